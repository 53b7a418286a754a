/**
 * Automatic backend choice: the fastest backend that loads on this platform (native > wasm > js), or the one named
 * by the SEPCONV_BACKEND environment variable (Node) or by the caller. The js reference needs no loading, so a
 * program that never calls this runs on js. Falling back from a native addon that is built but does not load prints
 * a one-line notice.
 */
import { ArgumentError, SepconvError } from '../errors.js';
import { NativeUnavailableError } from './native/load.js';
import { getBackend, setBackend } from './registry.js';
import { initWasmBackend } from './wasm/index.js';

/** In order of preference. The native loader is imported on demand: browser bundles never load node:module. */
const LOADERS: readonly [string, () => Promise<unknown>][] = [
  ['native', async () => (await import('./native/index.js')).initNativeBackend()],
  ['wasm', () => initWasmBackend()],
  ['js', async () => undefined],
];

let noticeGiven = false;

/**
 * One line on stderr, once per process, when Node falls back from a native addon that exists but does not load
 * (stale or broken build). An addon that was never built is no news: the install printed so
 * (scripts/native-fallback-notice.js), and `skipped` says it.
 */
function fallbackNotice(err: unknown, chosen: string): void {
  if (noticeGiven || !(err instanceof NativeUnavailableError) || err.reason !== 'unloadable') return;
  noticeGiven = true;
  process.stderr.write(`sepconv: ${err.message.replace(/\s*\n\s*/g, ' ')}; using the ${chosen} backend\n`);
}

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
  let nativeFailure: unknown;
  for (const [n, load] of LOADERS) {
    try {
      await load();
      setBackend(n);
      fallbackNotice(nativeFailure, n);
      return { backend: n, skipped };
    } catch (err) {
      if (!(err instanceof SepconvError)) throw err;
      if (n === 'native') nativeFailure = err;
      skipped.push(`${n}: ${err.message}`);
    }
  }
  return { backend: getBackend(), skipped };
}
