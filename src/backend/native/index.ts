/**
 * The `native` backend (Node only): the C kernels of csrc/ as a Node-API addon with full-width SIMD (SSE2, AVX2 +
 * FMA or AVX-512, picked at run time) and its own threads. `await initNativeBackend()` loads it and registers
 * 'native' (initBackend in ../select.ts does this first of all backends), and its plan executor, so that
 * `compile(model, shape, { backend: 'native' })` runs in the addon; it does not make it active.
 *
 * Threads: SEPCONV_THREADS, or every core Node reports available; setNativeThreads changes it later. Results do
 * not depend on the thread count (work splits by shape only).
 */
import { ArgumentError } from '../../errors.js';
import { registerPlanExecutor } from '../../plan/executor.js';
import { nativePlanExecutor } from '../../plan/native_executor.js';
import type { Backend } from '../kernels.js';
import { registerBackend } from '../registry.js';
import type { SepconvNativeAddon } from './addon.js';
import { createNativeKernels } from './kernels.js';
import { loadNativeAddon } from './load.js';

export { defaultAddonUrl } from './load.js';

const MAX_THREADS = 256;

let loading: Promise<{ backend: Backend; addon: SepconvNativeAddon }> | null = null;
let loaded: SepconvNativeAddon | null = null;

function checkedThreads(threads: number, source: string): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)
    throw new ArgumentError(`native backend: ${source} must be a whole number of threads from 1 to ${MAX_THREADS}, ` +
      `got ${String(threads)}`);
  return threads;
}

/** SEPCONV_THREADS, else the cores available to this process. */
async function defaultThreads(): Promise<number> {
  const env = process.env.SEPCONV_THREADS;
  if (env !== undefined && env !== '') return checkedThreads(Number(env), `SEPCONV_THREADS ('${env}')`);
  const os = await import('node:os');
  return Math.min(MAX_THREADS, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/**
 * Loads the addon (build/Release/sepconv_native.node) and registers the backend as 'native'; later calls return
 * the same backend. Rejects with FormatError when the addon is not built or does not load (the message says how to
 * build it), and with ArgumentError for a bad SEPCONV_THREADS.
 */
export async function initNativeBackend(): Promise<Backend> {
  if (loading === null) {
    loading = (async () => {
      const addon = await loadNativeAddon();
      addon.setThreads(await defaultThreads());
      const backend: Backend = { name: 'native', kernels: createNativeKernels(addon) };
      registerBackend(backend);
      registerPlanExecutor(nativePlanExecutor(addon));
      loaded = addon;
      return { backend, addon };
    })();
    loading.catch(() => {
      loading = null;
    });
  }
  return (await loading).backend;
}

function addon(caller: string): SepconvNativeAddon {
  if (loaded === null) throw new ArgumentError(`${caller}: the native backend is not loaded; await initNativeBackend() first`);
  return loaded;
}

/** Threads the native kernels use from now on (1..256). */
export function setNativeThreads(threads: number): void {
  addon('setNativeThreads').setThreads(checkedThreads(threads, 'setNativeThreads(threads)'));
}

/** What the loaded addon runs: its instruction set, the ones this CPU supports, and its thread count. */
export function nativeInfo(): { isa: string; isas: string[]; threads: number } {
  const a = addon('nativeInfo');
  return { isa: a.isa(), isas: a.isas(), threads: a.threads() };
}

/** Restricts the native kernels to instruction set `name` (one of nativeInfo().isas), e.g. to compare them. */
export function setNativeIsa(name: string): void {
  const a = addon('setNativeIsa');
  if (!a.isas().includes(name))
    throw new ArgumentError(`setNativeIsa: this CPU runs ${a.isas().join(', ')}, not '${name}'`);
  a.setIsa(name);
}

/** The measured multiply-add peak (GFLOP/s) of the current instruction set on the current threads. */
export function nativePeakGflops(milliseconds = 200): number {
  return addon('nativePeakGflops').peakGflops(milliseconds);
}
