/**
 * The `wasm` backend: the C kernels of csrc/ compiled to WebAssembly SIMD128 (wasm/sepconv.wasm), for Node and
 * browsers. Call `await initWasmBackend()` once, then `setBackend('wasm')`.
 */
import type { Backend, Kernels } from '../kernels.js';
import { registerBackend } from '../registry.js';
import { createWasmKernels } from './kernels.js';
import { instantiateSepconvWasm, type WasmSource } from './load.js';

export type { WasmSource } from './load.js';
export { defaultWasmUrl } from './load.js';

let loading: Promise<Backend> | null = null;

/**
 * Loads the kernels module and registers the backend under the name 'wasm' (it does not make it active). Resolves
 * to the backend; later calls return the same one. `source` overrides where the module comes from: its bytes, a
 * compiled WebAssembly.Module or a URL (default: wasm/sepconv.wasm at the package root, read with fs in Node and
 * fetched in browsers). Rejects with FormatError when the module cannot be read or compiled.
 */
export function initWasmBackend(source?: WasmSource): Promise<Backend> {
  if (loading === null) {
    loading = instantiateSepconvWasm(source).then((exports) => {
      const kernels: Partial<Kernels> = createWasmKernels(exports);
      const backend: Backend = { name: 'wasm', kernels };
      registerBackend(backend);
      return backend;
    });
    loading.catch(() => {
      loading = null; // a failed load can be retried, e.g. with explicit bytes
    });
  }
  return loading;
}
