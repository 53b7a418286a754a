/**
 * Finding and instantiating wasm/sepconv.wasm. In Node the file is read next to the package (it sits at the repo
 * root, three levels above build/src/backend/wasm/ and src/backend/wasm/ alike); in browsers it is fetched from the
 * same URL relative to this module, or the caller passes the bytes, a compiled module or a URL.
 */
import { FormatError } from '../../errors.js';
import { requiredExports, type SepconvWasmExports } from './exports.js';

/** Where the module comes from: its bytes, an already compiled module, or a URL to fetch (or read, in Node). */
export type WasmSource = ArrayBuffer | ArrayBufferView | WebAssembly.Module | URL | string;

/** The default location: `<package root>/wasm/sepconv.wasm`. */
export function defaultWasmUrl(): URL {
  return new URL('../../../../wasm/sepconv.wasm', import.meta.url);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function readBytes(url: URL): Promise<ArrayBuffer | Uint8Array> {
  if (url.protocol === 'file:' && isNode()) {
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok)
    throw new FormatError(`wasm backend: fetching ${url.href} failed with HTTP ${response.status}; ` +
      'serve wasm/sepconv.wasm next to the library or pass its bytes to initWasmBackend(source)');
  return response.arrayBuffer();
}

async function compile(source: WasmSource | undefined): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  let bytes: ArrayBuffer | ArrayBufferView;
  let from: string;
  if (source === undefined || typeof source === 'string' || source instanceof URL) {
    const url = source === undefined ? defaultWasmUrl() : new URL(source, import.meta.url);
    from = url.href;
    try {
      bytes = await readBytes(url);
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new FormatError(`wasm backend: cannot read ${from} (${(e as Error).message}); ` +
        'run scripts/build-wasm.sh, or pass the module bytes to initWasmBackend(source)');
    }
  } else {
    bytes = source;
    from = `${source.byteLength} bytes passed in`;
  }
  try {
    return await WebAssembly.compile(bytes as BufferSource);
  } catch (e) {
    throw new FormatError(`wasm backend: ${from} is not a valid WebAssembly module with SIMD128 ` +
      `(${(e as Error).message}); rebuild it with scripts/build-wasm.sh or use a runtime with WebAssembly SIMD`);
  }
}

/** Compiles and instantiates the kernels module, checking that it exports every kernel this version calls. */
export async function instantiateSepconvWasm(source?: WasmSource): Promise<SepconvWasmExports> {
  const module = await compile(source);
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, {});
  } catch (e) {
    // A module that imports anything, or traps while starting, is not sepconv's (which is self-contained).
    throw new FormatError(`wasm backend: the module cannot be instantiated (${(e as Error).message}); it is not ` +
      "sepconv's kernels module: rebuild it with scripts/build-wasm.sh");
  }
  const exports = instance.exports as Record<string, unknown>;
  // Present and of the right kind: memory, the heap-base global, functions for the kernels.
  const missing = requiredExports.filter((name) => !(name === 'memory' ? exports[name] instanceof WebAssembly.Memory
    : name === '__heap_base' ? exports[name] instanceof WebAssembly.Global : typeof exports[name] === 'function'));
  if (missing.length > 0)
    throw new FormatError(`wasm backend: the module lacks exports ${missing.join(', ')}; it is older or newer than ` +
      'this library: rebuild it with scripts/build-wasm.sh');
  return instance.exports as unknown as SepconvWasmExports;
}
