/** The wasm backend against the js reference: test/backend/kernel_suite/batchnorm.ts. */
import { batchNormSuite } from '../kernel_suite/batchnorm.js';
import { wasmTarget } from './harness.js';

batchNormSuite(wasmTarget);
