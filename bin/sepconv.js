#!/usr/bin/env node
// The `sepconv` command; the implementation is compiled TypeScript (npm run build).
import { main } from '../build/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
