/**
 * The native backend as kernel-suite targets (test/backend/kernel_suite/): one target per instruction set this CPU
 * runs, each pinning the addon to that ISA for its calls, so AVX-512, AVX2 and SSE2 builds are all checked against
 * the reference. Without a built addon every target is skipped with the reason and how to build it; set
 * SEPCONV_REQUIRE_NATIVE=1 (CI with a toolchain) to fail instead.
 */
import type { Kernels } from '../../../src/backend/kernels.js';
import { initNativeBackend, nativeInfo, setNativeIsa } from '../../../src/backend/native/index.js';
import type { KernelTarget } from '../kernel_suite/harness.js';

async function load(): Promise<{ kernels: Kernels | null; skip?: string }> {
  try {
    return { kernels: (await initNativeBackend()).kernels as Kernels };
  } catch (e) {
    if (process.env.SEPCONV_REQUIRE_NATIVE === '1') throw e;
    return { kernels: null, skip: `${(e as Error).message} (SEPCONV_REQUIRE_NATIVE=1 makes this a failure)` };
  }
}

const loaded = await load();

/** The native kernels at the CPU's widest ISA, or null when the addon is not built. */
export const native: Kernels | null = loaded.kernels;
/** Why the native tests are skipped, if they are. */
export const nativeSkip: string | undefined = loaded.skip;

/** Every kernel of `kernels`, each call first restricting the addon to `isa`. */
function pinned(kernels: Kernels, isa: string): Kernels {
  const out: Partial<Record<keyof Kernels, unknown>> = {};
  for (const name of Object.keys(kernels) as (keyof Kernels)[]) {
    const f = kernels[name] as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      setNativeIsa(isa);
      return f(...args);
    };
  }
  return out as Kernels;
}

/** The backend at the CPU's widest ISA (also for suites that go through setBackend('native')). */
export const nativeTarget: KernelTarget = native === null
  ? { name: 'native', kernels: {} as Kernels, skip: nativeSkip }
  : { name: 'native', kernels: pinned(native, nativeInfo().isas[0]) };

/** One target per instruction set the CPU runs ('native avx512', 'native avx2', 'native sse2'). */
export const nativeIsaTargets: KernelTarget[] = native === null
  ? [{ name: 'native', kernels: {} as Kernels, skip: nativeSkip }]
  : nativeInfo().isas.map((isa) => ({ name: `native ${isa}`, kernels: pinned(native, isa) }));
