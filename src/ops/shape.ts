/** Layout ops: reshape, flatten, transpose, concat, constant padding. */
import { ArgumentError, ShapeError } from '../errors.js';
import { record } from '../tensor/autograd.js';
import { Tensor, shapeSize, shapeToString, type Shape } from '../tensor/tensor.js';
import { normalizeAxis } from './axes.js';

/** Same data, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const dims = [...shape];
  const unknown = dims.indexOf(-1);
  if (unknown >= 0) {
    if (dims.indexOf(-1, unknown + 1) >= 0) throw new ArgumentError(`reshape: only one dimension may be -1, got ${shapeToString(shape)}`);
    const known = dims.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (known === 0 || x.size % known !== 0)
      throw new ShapeError(`reshape: cannot reshape ${shapeToString(x.shape)} (${x.size} elements) to ${shapeToString(shape)}`);
    dims[unknown] = x.size / known;
  }
  if (shapeSize(dims) !== x.size)
    throw new ShapeError(`reshape: cannot reshape ${shapeToString(x.shape)} (${x.size} elements) to ${shapeToString(shape)} (${shapeSize(dims)} elements)`);
  return record(new Tensor(x.data.slice(), dims), 'reshape', [x], (g) => [g]);
}

/** Keeps the first (batch) axis and flattens the rest: [N, ...] -> [N, prod(...)]. */
export function flatten(x: Tensor): Tensor {
  if (x.rank < 1) throw new ShapeError('flatten: needs a tensor with a batch axis, got a scalar');
  return reshape(x, [x.shape[0], -1]);
}

/** Permutes axes: output axis i is input axis perm[i]. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const rank = x.rank;
  if (perm.length !== rank || new Set(perm.map((p) => normalizeAxis(p, rank, 'transpose'))).size !== rank)
    throw new ArgumentError(`transpose: perm [${perm.join(', ')}] is not a permutation of the ${rank} axes of ${shapeToString(x.shape)}`);
  const p = perm.map((a) => normalizeAxis(a, rank, 'transpose'));
  const outShape = p.map((a) => x.shape[a]);
  const inStrides = stridesOf(x.shape);
  const idx = new Int32Array(x.size);
  const counter = new Array<number>(rank).fill(0);
  let flat = 0;
  for (let k = 0; k < x.size; k++) {
    idx[k] = flat;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      flat += inStrides[p[d]];
      if (counter[d] < outShape[d]) break;
      flat -= inStrides[p[d]] * counter[d];
      counter[d] = 0;
    }
  }
  const xd = x.data;
  const y = new Float32Array(x.size);
  for (let k = 0; k < y.length; k++) y[k] = xd[idx[k]];
  return record(new Tensor(y, outShape), 'transpose', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let k = 0; k < g.length; k++) gx[idx[k]] = g[k];
    return [gx];
  }, { perm: p });
}

function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Joins tensors along `axis` (e.g. channels, -1). All other dimensions must agree. */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  if (tensors.length === 0) throw new ArgumentError('concat: needs at least one tensor');
  const first = tensors[0];
  const ax = normalizeAxis(axis, first.rank, 'concat');
  for (const [i, t] of tensors.entries())
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== ax && d !== first.shape[j]))
      throw new ShapeError(`concat: tensor ${i} has shape ${shapeToString(t.shape)}, incompatible with ${shapeToString(first.shape)} ` +
        `(all dimensions except axis ${ax} must match)`);
  const outer = shapeSize(first.shape.slice(0, ax));
  const inner = shapeSize(first.shape.slice(ax + 1));
  const widths = tensors.map((t) => t.shape[ax] * inner);
  const total = widths.reduce((a, b) => a + b, 0);
  const y = new Float32Array(outer * total);
  let offset = 0;
  tensors.forEach((t, i) => {
    const d = t.data;
    const w = widths[i];
    for (let o = 0; o < outer; o++) y.set(d.subarray(o * w, (o + 1) * w), o * total + offset);
    offset += w;
  });
  const outShape = [...first.shape];
  outShape[ax] = total / inner;
  return record(new Tensor(y, outShape), 'concat', tensors, (g) => {
    let off = 0;
    return widths.map((w) => {
      const gi = new Float32Array(outer * w);
      for (let o = 0; o < outer; o++) gi.set(g.subarray(o * total + off, o * total + off + w), o * w);
      off += w;
      return gi;
    });
  }, { axis: ax });
}

/** Pads the H and W axes of an NHWC tensor with a constant (ZeroPadding2D / ZeroPad2d / ONNX Pad). */
export function pad2d(x: Tensor, pads: { top: number; bottom: number; left: number; right: number }, value = 0): Tensor {
  if (x.rank !== 4) throw new ShapeError(`pad2d: expected an NHWC tensor of rank 4, got ${shapeToString(x.shape)}`);
  for (const [k, v] of Object.entries(pads))
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError(`pad2d: ${k} padding must be a non-negative integer, got ${v}`);
  const [n, h, w, c] = x.shape;
  const oh = h + pads.top + pads.bottom;
  const ow = w + pads.left + pads.right;
  const y = new Float32Array(n * oh * ow * c).fill(value);
  const xd = x.data;
  const row = w * c;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h; i++) {
      const src = (b * h + i) * row;
      y.set(xd.subarray(src, src + row), ((b * oh + i + pads.top) * ow + pads.left) * c);
    }
  return record(new Tensor(y, [n, oh, ow, c]), 'pad2d', [x], (g) => {
    const gx = new Float32Array(x.size);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < h; i++) {
        const dst = (b * h + i) * row;
        const src = ((b * oh + i + pads.top) * ow + pads.left) * c;
        gx.set(g.subarray(src, src + row), dst);
      }
    return [gx];
  }, { ...pads, value });
}
