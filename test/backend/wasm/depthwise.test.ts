/** The wasm backend against the js reference: test/backend/kernel_suite/depthwise.ts. */
import { depthwiseSuite } from '../kernel_suite/depthwise.js';
import { wasmTarget } from './harness.js';

depthwiseSuite(wasmTarget);
