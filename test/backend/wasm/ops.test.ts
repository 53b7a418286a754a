/** The wasm backend against the js reference: test/backend/kernel_suite/ops.ts. */
import { opsSuite } from '../kernel_suite/ops.js';
import { wasmTarget } from './harness.js';

opsSuite(wasmTarget);
