/**
 * Gradient check against central finite differences. The loss is sum(f(inputs) * r) for a fixed random r, summed
 * in float64, so every output element's gradient path is exercised with a different weight.
 */
import { Random, Tensor, noGrad } from '../../src/index.js';
import { assertClose } from './close.js';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-2: float32 forward passes need a large step). */
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
  /** Inputs (by index) whose gradients are not checked (e.g. integer-like or non-differentiable ones). */
  skip?: number[];
}

function weightedSum(y: Tensor, r: Float64Array): number {
  let s = 0;
  const d = y.data;
  for (let i = 0; i < d.length; i++) s += d[i] * r[i];
  return s;
}

export function checkGradients(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradCheckOptions = {}): void {
  const eps = opts.eps ?? 1e-2;
  const rng = new Random(opts.seed ?? 1234);
  const xs = inputs.map((t) => new Tensor(t.data.slice(), t.shape, true));
  const y = f(...xs);
  const r = new Float64Array(y.size);
  for (let i = 0; i < r.length; i++) r[i] = rng.uniform() * 2 - 1;
  y.backward(new Tensor(Float32Array.from(r), y.shape));
  xs.forEach((x, idx) => {
    if (opts.skip?.includes(idx)) return;
    const analytic = x.grad?.data ?? new Float32Array(x.size);
    const numeric = new Float64Array(x.size);
    noGrad(() => {
      const probe = xs.map((t) => new Tensor(t.data.slice(), t.shape));
      const d = probe[idx].data;
      for (let j = 0; j < d.length; j++) {
        const orig = d[j];
        d[j] = orig + eps;
        const plus = weightedSum(f(...probe), r);
        d[j] = orig - eps;
        const minus = weightedSum(f(...probe), r);
        d[j] = orig;
        numeric[j] = (plus - minus) / (2 * eps);
      }
    });
    assertClose(analytic, numeric, { rtol: opts.rtol ?? 1e-2, atol: opts.atol ?? 1e-3 }, `gradient of input ${idx}`);
  });
}

/** A tensor of the given shape with uniform values in [lo, hi), from a seeded generator. */
export function randomTensor(shape: number[], seed = 1, lo = -1, hi = 1): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * rng.uniform();
  return new Tensor(d, shape);
}
