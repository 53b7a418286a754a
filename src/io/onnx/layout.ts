/**
 * Layout arithmetic shared by import and export. A permutation `p` relates a sepconv tensor `s` to the ONNX value
 * `o` it stands for: s = transpose(o, p), i.e. s axis i is o axis p[i] (the convention of ops.transpose). ONNX
 * activations are NCHW and sepconv's NHWC, so a 4-D activation normally carries p = NHWC = [0, 2, 3, 1].
 */

/** sepconv NHWC order of an ONNX NCHW value. */
export const NHWC: readonly number[] = [0, 2, 3, 1];
/** ONNX NCHW order of a sepconv NHWC tensor (the inverse of NHWC). */
export const NCHW: readonly number[] = [0, 3, 1, 2];

export function identityPerm(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

export function isIdentity(p: readonly number[]): boolean {
  return p.every((a, i) => a === i);
}

export function invertPerm(p: readonly number[]): number[] {
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  return inv;
}

export function samePerm(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** shape[p[i]] for each i: the shape of transpose(x, p). */
export function permuteShape(shape: readonly number[], p: readonly number[]): number[] {
  return p.map((a) => shape[a]);
}

/**
 * Whether transposing a tensor of `shape` by `p` leaves its data order unchanged (only axes of size 1 move), so
 * that a reshape does the job.
 */
export function isDataPreserving(shape: readonly number[], p: readonly number[]): boolean {
  let last = -1;
  for (const a of p) {
    if (shape[a] === 1) continue;
    if (a < last) return false;
    last = a;
  }
  return true;
}

/** Transposes row-major `data` of `shape` by `p` (output axis i is input axis p[i]). */
export function transposeData(data: Float32Array, shape: readonly number[], p: readonly number[]): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const outShape = permuteShape(shape, p);
  const outStrides = p.map((a) => strides[a]);
  const out = new Float32Array(data.length);
  if (out.length === 0) return out;
  const counter = new Array<number>(rank).fill(0);
  let src = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      src += outStrides[d];
      if (counter[d] < outShape[d]) break;
      src -= outStrides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return out;
}

/** ONNX conv weight [O, I/g, KH, KW] -> sepconv [KH, KW, I/g, O]. */
export function oihwToHwio(data: Float32Array, dims: readonly number[]): Float32Array {
  return transposeData(data, dims, [2, 3, 1, 0]);
}

/** sepconv conv weight [KH, KW, I/g, O] -> ONNX [O, I/g, KH, KW]. */
export function hwioToOihw(data: Float32Array, dims: readonly number[]): Float32Array {
  return transposeData(data, dims, [3, 2, 0, 1]);
}
