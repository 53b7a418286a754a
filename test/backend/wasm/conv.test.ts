/** The wasm backend against the js reference: test/backend/kernel_suite/conv.ts. */
import { convSuite } from '../kernel_suite/conv.js';
import { wasmTarget } from './harness.js';

convSuite(wasmTarget);
