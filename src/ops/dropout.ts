/** Inverted dropout. */
import { ArgumentError } from '../errors.js';
import { record } from '../tensor/autograd.js';
import { Random, globalRandom } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * In training, zeroes each element with probability p and scales the survivors by 1 / (1 - p), so that eval needs
 * no rescaling. In eval, or with p = 0, returns x itself (no copy, no op recorded). The mask comes from `rng`, one
 * uniform draw per element in order, so a seeded Random reproduces it.
 */
export function dropout(x: Tensor, p: number, training: boolean, rng: Random = globalRandom): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p < 1))
    throw new ArgumentError(`dropout: p must be a probability in [0, 1), got ${p}`);
  if (typeof training !== 'boolean') throw new ArgumentError(`dropout: training must be a boolean, got ${String(training)}`);
  if (!training || p === 0) return x;
  const scale = 1 / (1 - p);
  const xd = x.data;
  const mask = new Float32Array(xd.length);
  const y = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    mask[i] = rng.uniform() < p ? 0 : scale;
    y[i] = xd[i] * mask[i];
  }
  return record(new Tensor(y, x.shape), 'dropout', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = g[i] * mask[i];
    return [gx];
  }, { p, training });
}
