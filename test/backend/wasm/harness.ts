/**
 * Shared pieces of the wasm kernel tests: the loaded wasm kernels, the js reference kernels, seeded inputs,
 * geometry builders that go through the ops' own validation, and the tolerance rule: 1e-5 relative with an
 * absolute floor that grows with the square root of the reduction length (float32 accumulation in C against the
 * float64 accumulation of the reference).
 */
import { jsBackend } from '../../../src/backend/js/index.js';
import type { ConvGeometry, Kernels, PoolGeometry } from '../../../src/backend/kernels.js';
import { initWasmBackend } from '../../../src/backend/wasm/index.js';
import { convGeometry } from '../../../src/ops/conv.js';
import type { Padding } from '../../../src/ops/padding.js';
import { poolGeometry } from '../../../src/ops/pool.js';
import { Random } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import type { Tolerance } from '../../helpers/close.js';

export const wasm = (await initWasmBackend()).kernels as Kernels;
export const js = jsBackend.kernels;

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
