/** The wasm backend against the js reference: test/backend/kernel_suite/matmul.ts. */
import { matmulSuite } from '../kernel_suite/matmul.js';
import { wasmTarget } from './harness.js';

matmulSuite(wasmTarget);
