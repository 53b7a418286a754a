/** NumPy-style broadcasting: shapes align at the right; a dimension of 1 stretches. */
import { ShapeError } from '../errors.js';
import { shapeSize, shapeToString, type Shape } from '../tensor/tensor.js';

export function broadcastShapes(a: Shape, b: Shape, where: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new ShapeError(`${where}: shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast ` +
        `(dimension ${i} of the aligned shapes is ${da} vs ${db})`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** For each element of `outShape`, the flat index into a tensor of `shape` broadcast to it. */
export function broadcastIndex(shape: Shape, outShape: Shape): Int32Array {
  const n = shapeSize(outShape);
  const idx = new Int32Array(n);
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = rank - shape.length + i;
    strides[o] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  const counter = new Array<number>(rank).fill(0);
  let flat = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = flat;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      flat += strides[d];
      if (counter[d] < outShape[d]) break;
      flat -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return idx;
}

/** Sums a gradient of `outShape` back down to `shape` (the reverse of broadcasting). */
export function reduceToShape(grad: Float32Array, outShape: Shape, shape: Shape): Float32Array {
  if (shapeSize(shape) === grad.length) return grad;
  const idx = broadcastIndex(shape, outShape);
  const out = new Float32Array(shapeSize(shape));
  for (let k = 0; k < grad.length; k++) out[idx[k]] += grad[k];
  return out;
}

/** `gate` is [N, 1, 1, C] for an `x` of [N, H, W, C]: squeeze-and-excitation's per-image channel gate. */
export function isChannelGate(x: Shape, gate: Shape): boolean {
  return x.length === 4 && gate.length === 4 && gate[0] === x[0] && gate[1] === 1 && gate[2] === 1 && gate[3] === x[3];
}
