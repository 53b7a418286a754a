/**
 * Choosing sepconv's backend in the page and its workers: the WebAssembly SIMD kernels (wasm/sepconv.wasm, bundled
 * as an asset) when they load, else the plain JavaScript reference.
 */
import wasmUrl from '../../../wasm/sepconv.wasm?url';
import { errorMessage } from './errors.js';
import { getBackend, initWasmBackend, setBackend } from './sepconv.js';

let wasmProblem: string | null | undefined;

/** Loads the wasm kernels once; resolves to null when they work, or to why they do not. */
export async function wasmAvailable(): Promise<string | null> {
  if (wasmProblem !== undefined) return wasmProblem;
  try {
    await initWasmBackend(new URL(wasmUrl, self.location.href));
    wasmProblem = null;
  } catch (err) {
    wasmProblem = errorMessage(err);
  }
  return wasmProblem;
}

/** Makes `choice` the active backend if it is available, else 'js'; returns the active name and any problem. */
export async function useBackend(choice: 'wasm' | 'js'): Promise<{ backend: string; note?: string }> {
  if (choice === 'wasm') {
    const problem = await wasmAvailable();
    if (problem !== null) {
      setBackend('js');
      return { backend: getBackend(), note: `wasm backend unavailable (${problem}); ran on js` };
    }
  }
  setBackend(choice);
  return { backend: getBackend() };
}
