/**
 * The matrix-product op shared by `linear`, `matmul` (linear.ts) and `pointwiseConv2d` (conv.ts), and the bias
 * helpers shared with the convolutions. Internal: ops/index.ts does not re-export this file.
 */
import { ShapeError } from '../errors.js';
import { kernel } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { Tensor, shapeToString, type Shape } from '../tensor/tensor.js';

/** Throws unless `bias` is null or a 1-D tensor of `channels` values. */
export function checkBias(op: string, bias: Tensor | null, channels: number, channelsName: string): void {
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== channels))
    throw new ShapeError(`${op}: bias has shape ${shapeToString(bias.shape)} but the weight has ${channels} ${channelsName}; ` +
      `pass a bias of shape [${channels}] or null`);
}

/** dL/dbias: the sum of dy [rows, channels] over its rows (for a conv, over N, H and W). Accumulates in float64. */
export function biasGradient(dy: Float32Array, channels: number): Float32Array {
  const acc = new Float64Array(channels);
  for (let i = 0; i < dy.length; i++) acc[i % channels] += dy[i];
  return Float32Array.from(acc);
}

/**
 * y [m, n] = a [m, k] · b [k, n] (+ bias [n]), shaped `outShape` and recorded as `op` with attrs {m, k, n}.
 * Backward: da = dy · bᵀ, db = aᵀ · dy, dbias = column sums of dy; each computed only when that input needs it.
 */
export function gemmOp(op: string, a: Tensor, b: Tensor, bias: Tensor | null, m: number, k: number, n: number,
  outShape: Shape): Tensor {
  const ad = a.data;
  const bd = b.data;
  const y = kernel('matmul')(ad, bd, bias === null ? null : bias.data, m, k, n, false, false);
  const inputs = bias === null ? [a, b] : [a, b, bias];
  const needA = a.requiresGrad;
  const needB = b.requiresGrad;
  const needBias = bias !== null && bias.requiresGrad;
  return record(new Tensor(y, outShape), op, inputs, (dy) => {
    const matmul = kernel('matmul');
    const da = needA ? matmul(dy, bd, null, m, n, k, false, true) : null;
    const db = needB ? matmul(ad, dy, null, k, m, n, true, false) : null;
    return bias === null ? [da, db] : [da, db, needBias ? biasGradient(dy, n) : null];
  }, { m, k, n });
}
