/**
 * Shared pieces of the kernel suites that every fast backend runs against the js reference (test/backend/wasm/,
 * test/backend/native/): the target under test, seeded inputs, geometry builders that go through the ops' own
 * validation, and the tolerance rule: 1e-5 relative with an absolute floor that grows with the square root of the
 * reduction length (float32 accumulation in C against the float64 accumulation of the reference).
 */
import { jsBackend } from '../../../src/backend/js/index.js';
import type { ConvGeometry, Kernels, PoolGeometry } from '../../../src/backend/kernels.js';
import { convGeometry } from '../../../src/ops/conv.js';
import type { Padding } from '../../../src/ops/padding.js';
import { poolGeometry } from '../../../src/ops/pool.js';
import { Random } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import type { Tolerance } from '../../helpers/close.js';

/** A backend's kernels under test; `skip` (why they are unavailable) skips every test of a suite. */
export interface KernelTarget {
  /** Backend name, also used in test names ('wasm', 'native', 'native avx2', ...). */
  name: string;
  kernels: Kernels;
  skip?: string;
}

export const js = jsBackend.kernels;

/** Node test options that skip a suite's tests, with the reason, when its target is unavailable. */
export function skipUnless(target: KernelTarget): { skip?: string } {
  return target.skip === undefined ? {} : { skip: target.skip };
}

/** Uniform values in [lo, hi), seeded. */
export function random(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

/** Tolerance for outputs that sum `reduction` products of values in [-1, 1]. */
export function tolerance(reduction: number): Tolerance {
  return { rtol: 1e-5, atol: 2e-6 * Math.max(1, Math.sqrt(reduction)) };
}

export interface ConvCase {
  x: [number, number, number, number];
  kernel: number | [number, number];
  outC: number;
  groups?: number;
  stride?: number | [number, number];
  padding?: Padding;
  dilation?: number | [number, number];
}

export function convCase(c: ConvCase): ConvGeometry {
  return convGeometry(c.x, {
    kernelSize: c.kernel, outChannels: c.outC, groups: c.groups ?? 1, stride: c.stride ?? 1,
    padding: c.padding ?? 'valid', dilation: c.dilation ?? 1,
  });
}

export function describeConv(c: ConvCase): string {
  return JSON.stringify(c).replace(/"/g, '');
}

/** Pool geometry for an NHWC input shape, via the pooling op's own validation. */
export function poolCase(shape: [number, number, number, number], kernelSize: number | [number, number],
  stride?: number | [number, number], padding: Padding = 'valid'): PoolGeometry {
  return poolGeometry(Tensor.zeros(shape), { kernelSize, stride, padding }, 'test');
}
