/** The wasm backend against the js reference: test/backend/kernel_suite/pool.ts. */
import { poolSuite } from '../kernel_suite/pool.js';
import { wasmTarget } from './harness.js';

poolSuite(wasmTarget);
