/**
 * Run-time values of an imported graph. Float values are sepconv tensors with a layout permutation (layout.ts):
 * a value keeps whatever order its producer left it in, and is transposed only when a consumer needs another one
 * (a conv needs NHWC, a Reshape needs ONNX order). Integer values (shapes, axes, indices) are small plain arrays,
 * computed in JavaScript so that shape arithmetic follows the real batch size.
 */
import { FormatError } from '../../errors.js';
import { reshape, transpose } from '../../ops/shape.js';
import { keep } from '../../tensor/memory.js';
import { Tensor, shapeToString } from '../../tensor/tensor.js';
import { identityPerm, invertPerm, isDataPreserving, permuteShape, samePerm } from './layout.js';

export interface FloatValue {
  readonly kind: 'float';
  /** The data, in the order `perm` says. */
  readonly t: Tensor;
  /** t = transpose(onnxValue, perm). */
  readonly perm: readonly number[];
  /** Known at load time (weights, folded constants): its layout conversions are cached. */
  readonly constant: boolean;
}

export interface IntValue {
  readonly kind: 'int';
  readonly dims: readonly number[];
  readonly data: readonly number[];
}

export type Value = FloatValue | IntValue;

export type ValueKind = Value['kind'];

export function floatValue(t: Tensor, perm: readonly number[] = identityPerm(t.rank), constant = false): FloatValue {
  return { kind: 'float', t, perm, constant };
}

export function intValue(dims: readonly number[], data: readonly number[]): IntValue {
  return { kind: 'int', dims, data };
}

/** The ONNX dims of a float value. */
export function onnxDims(v: FloatValue): number[] {
  return permuteShape(v.t.shape, invertPerm(v.perm));
}

export function rankOf(v: Value): number {
  return v.kind === 'float' ? v.t.rank : v.dims.length;
}

const conversions = new WeakMap<FloatValue, Map<string, Tensor>>();

/**
 * The value's data in layout `perm` (a tensor equal to transpose(onnxValue, perm)). Converting a constant is done
 * once and kept, so weights used by elementwise ops are not transposed on every forward pass.
 */
export function inLayout(v: FloatValue, perm: readonly number[]): Tensor {
  if (samePerm(v.perm, perm)) return v.t;
  if (!v.constant) return convert(v, perm);
  let cache = conversions.get(v);
  if (cache === undefined) conversions.set(v, (cache = new Map()));
  const key = perm.join(',');
  let t = cache.get(key);
  if (t === undefined) cache.set(key, (t = keep(convert(v, perm))));
  return t;
}

function convert(v: FloatValue, perm: readonly number[]): Tensor {
  const inv = invertPerm(v.perm);
  const rel = perm.map((a) => inv[a]);
  if (isDataPreserving(v.t.shape, rel)) return reshape(v.t, permuteShape(v.t.shape, rel));
  return transpose(v.t, rel);
}

/** The value's data in ONNX order. */
export function plain(v: FloatValue): Tensor {
  return inLayout(v, identityPerm(v.t.rank));
}

/** Throws a FormatError naming `what` unless `v` is a float tensor. */
export function expectFloat(v: Value | undefined, what: string): FloatValue {
  if (v === undefined) throw new FormatError(`${what} is missing`);
  if (v.kind !== 'float') throw new FormatError(`${what} must be a float tensor, got an integer tensor of dims [${v.dims}]`);
  return v;
}

/** Throws a FormatError naming `what` unless `v` is an integer tensor. */
export function expectInt(v: Value | undefined, what: string): IntValue {
  if (v === undefined) throw new FormatError(`${what} is missing`);
  if (v.kind !== 'int') throw new FormatError(`${what} must be an integer tensor, got a float tensor of shape ${shapeToString(onnxDims(v))}`);
  return v;
}

/** The elements of a constant or integer value as plain numbers (e.g. Clip's min, Pad's constant_value). */
export function numbers(v: Value): number[] {
  return v.kind === 'int' ? [...v.data] : Array.from(v.t.data);
}

/** Wraps a tensor computed from ONNX-ordered data at load time as a constant. */
export function constantTensor(data: Float32Array, dims: readonly number[]): FloatValue {
  return floatValue(keep(new Tensor(data, dims)), identityPerm(dims.length), true);
}

/**
 * The value's data broadcast-aligned to `rank` (ONNX prepends size-1 axes to the lower-rank operand) and laid out in
 * `perm`, ready for an element-wise op with a `rank`-D operand in that layout. Cached for constants.
 */
export function alignedTo(v: FloatValue, rank: number, perm: readonly number[]): Tensor {
  if (v.t.rank === rank) return inLayout(v, perm);
  if (!v.constant) return lift(v, rank, perm);
  let cache = conversions.get(v);
  if (cache === undefined) conversions.set(v, (cache = new Map()));
  const key = `${rank}|${perm.join(',')}`;
  let t = cache.get(key);
  if (t === undefined) cache.set(key, (t = keep(lift(v, rank, perm))));
  return t;
}

function lift(v: FloatValue, rank: number, perm: readonly number[]): Tensor {
  const dims = [...new Array<number>(rank - v.t.rank).fill(1), ...onnxDims(v)];
  return inLayout(floatValue(reshape(plain(v), dims)), perm);
}
