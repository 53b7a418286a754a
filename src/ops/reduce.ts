/** Sum and mean over axes. */
import { record } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { normalizeAxis } from './axes.js';
import { broadcastIndex } from './broadcast.js';

/** Output shape with reduced axes set to 1 (keepDims form) and the number of elements folded into each output. */
function reducedShape(x: Tensor, axes: readonly number[] | undefined, where: string): { keep: number[]; dropped: number[]; count: number } {
  const set = new Set((axes ?? x.shape.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank, where)));
  const keep = x.shape.map((d, i) => (set.has(i) ? 1 : d));
  const dropped = x.shape.filter((_, i) => !set.has(i));
  let count = 1;
  for (const i of set) count *= x.shape[i];
  return { keep, dropped, count };
}

function reduce(op: string, x: Tensor, axes: readonly number[] | undefined, keepDims: boolean, scale: (count: number) => number): Tensor {
  const { keep, dropped, count } = reducedShape(x, axes, op);
  const s = scale(count);
  const idx = broadcastIndex(keep, x.shape);
  const n = keep.reduce((p, d) => p * d, 1);
  const y = new Float64Array(n);
  const xd = x.data;
  for (let k = 0; k < xd.length; k++) y[idx[k]] += xd[k];
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = y[k] * s;
  return record(new Tensor(out, keepDims ? keep : dropped), op, [x], (g) => {
    const gx = new Float32Array(x.size);
    for (let k = 0; k < gx.length; k++) gx[k] = g[idx[k]] * s;
    return [gx];
  }, { axes: axes === undefined ? undefined : [...axes], keepDims });
}

/** Sum over `axes` (all axes when omitted). Accumulates in float64. */
export function sum(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return reduce('sum', x, axes, keepDims, () => 1);
}

/** Mean over `axes` (all axes when omitted). */
export function mean(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return reduce('mean', x, axes, keepDims, (count) => 1 / count);
}
