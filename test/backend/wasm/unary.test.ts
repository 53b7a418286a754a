/** The wasm backend against the js reference: test/backend/kernel_suite/unary.ts. */
import { unarySuite } from '../kernel_suite/unary.js';
import { wasmTarget } from './harness.js';

unarySuite(wasmTarget);
