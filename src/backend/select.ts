/**
 * Automatic backend choice: the fastest backend that loads on this platform (native > wasm > js), or the one named
 * by the SEPCONV_BACKEND environment variable (Node) or by the caller. The js reference needs no loading, so a
 * program that never calls this runs on js.
 */
import { ArgumentError, SepconvError } from '../errors.js';
import { getBackend, setBackend } from './registry.js';
import { initWasmBackend } from './wasm/index.js';

/** In order of preference. */
const LOADERS: readonly [string, () => Promise<unknown>][] = [
  ['wasm', () => initWasmBackend()],
  ['js', async () => undefined],
];

function requested(): string | undefined {
  const env = typeof process !== 'undefined' ? process.env?.SEPCONV_BACKEND : undefined;
  return env === undefined || env === '' ? undefined : env;
}

export interface BackendChoice {
  backend: string;
  /** Backends that were tried and could not be loaded, with why (one line each). */
  skipped: string[];
}

/**
 * Loads and activates the best available backend, or `name` (default: SEPCONV_BACKEND) if given; a named backend
 * that cannot be loaded is an error, an automatic choice falls back to the next one and says why in `skipped`.
 */
export async function initBackend(name: string | undefined = requested()): Promise<BackendChoice> {
  if (name !== undefined) {
    const loader = LOADERS.find(([n]) => n === name);
    if (loader === undefined)
      throw new ArgumentError(`backend '${name}' is not available here; choose one of ${LOADERS.map(([n]) => n).join(', ')} ` +
        '(SEPCONV_BACKEND or --backend)');
    await loader[1]();
    setBackend(name);
    return { backend: getBackend(), skipped: [] };
  }
  const skipped: string[] = [];
  for (const [n, load] of LOADERS) {
    try {
      await load();
      setBackend(n);
      return { backend: n, skipped };
    } catch (err) {
      if (!(err instanceof SepconvError)) throw err;
      skipped.push(`${n}: ${err.message}`);
    }
  }
  return { backend: getBackend(), skipped };
}
