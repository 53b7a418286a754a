/** The wasm backend as a kernel-suite target (test/backend/kernel_suite/). */
import type { Kernels } from '../../../src/backend/kernels.js';
import { initWasmBackend } from '../../../src/backend/wasm/index.js';
import type { KernelTarget } from '../kernel_suite/harness.js';

export { convCase, random } from '../kernel_suite/harness.js';

export const wasmTarget: KernelTarget = { name: 'wasm', kernels: (await initWasmBackend()).kernels as Kernels };
