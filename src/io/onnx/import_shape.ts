/**
 * Importers of layout and shape ops: Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat on float tensors, and
 * the integer arithmetic exporters emit to compute reshape targets (Shape, Gather, Concat, Unsqueeze, Squeeze,
 * Cast, Constant). Transpose, Squeeze and Unsqueeze only relabel axes (no data moves); Reshape and Flatten need
 * ONNX order, so an NHWC input is transposed back first.
 */
import { FormatError, ShapeError } from '../../errors.js';
import { concat, reshape } from '../../ops/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { NodeProblem, type OpContext, type OpImporter, type Step } from './import_context.js';
import { invertPerm } from './layout.js';
import { DataType, elementCount, tensorToFloat32, tensorToInt64, type TensorProto } from './proto.js';
import {
  constantTensor, expectInt, floatValue, inLayout, intValue, onnxDims, plain, rankOf,
  type FloatValue, type IntValue, type Value, type ValueKind,
} from './values.js';
import { layoutFor } from './import_elementwise.js';

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Normalises an axis against `rank` (negative counts from the end), throwing a ShapeError naming `op`. */
export function axisOf(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank)
    throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Value dims in ONNX order. */
function dimsOf(v: Value): readonly number[] {
  return v.kind === 'float' ? onnxDims(v) : v.dims;
}

/** ONNX Reshape's target: 0 copies the input dim (unless allowzero), one -1 is inferred. */
function reshapeTarget(input: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const out = target.map((d, i) => {
    if (d !== 0 || allowZero) return d;
    if (i >= input.length) throw new ShapeError(`Reshape: target [${target}] copies dim ${i} (0), but the input has rank ${input.length}`);
    return input[i];
  });
  const unknown = out.indexOf(-1);
  if (unknown >= 0) {
    if (out.indexOf(-1, unknown + 1) >= 0) throw new ShapeError(`Reshape: target [${target}] has more than one -1`);
    const known = product(out.filter((_, i) => i !== unknown));
    if (known === 0 || product(input) % known !== 0)
      throw new ShapeError(`Reshape: cannot reshape [${input}] to [${target}]`);
    out[unknown] = product(input) / known;
  }
  if (out.some((d) => d < 0) || product(out) !== product(input))
    throw new ShapeError(`Reshape: cannot reshape [${input}] (${product(input)} elements) to [${target}] = [${out}]`);
  return out;
}

/** A value with the same data in ONNX order and new ONNX dims. */
function withDims(v: Value, dims: readonly number[]): Value {
  return v.kind === 'int' ? intValue(dims, v.data) : floatValue(reshape(plain(v), dims));
}

/** Passes the data input's kind through (these ops work on float tensors and integer shape values alike). */
function sameKind(ctx: OpContext, run: Step['run']): Step {
  return { kinds: [ctx.kind(0) ?? 'float'], run };
}

const reshapeImporter: OpImporter = (ctx) => {
  const allowZero = ctx.opset >= 14 && ctx.attrs.int('allowzero', 0) !== 0;
  return sameKind(ctx, ([x, shape]) => {
    const v = x as Value;
    return [withDims(v, reshapeTarget(dimsOf(v), expectInt(shape, 'shape').data, allowZero))];
  });
};

const flattenImporter: OpImporter = (ctx) => {
  const axis = ctx.attrs.int('axis', 1);
  return sameKind(ctx, ([x]) => {
    const dims = dimsOf(x as Value);
    const a = axis < 0 ? axis + dims.length : axis;
    if (a < 0 || a > dims.length) throw new ShapeError(`Flatten: axis ${axis} is out of range for rank ${dims.length}`);
    return [withDims(x as Value, [product(dims.slice(0, a)), product(dims.slice(a))])];
  });
};

/** Element order of a row-major array of `dims` transposed by `perm` (output axis i is input axis perm[i]). */
function permutedIndex(dims: readonly number[], perm: readonly number[]): number[] {
  const strides = dims.map((_, i) => product(dims.slice(i + 1)));
  const outDims = perm.map((a) => dims[a]);
  const out: number[] = [];
  const walk = (axis: number, offset: number): void => {
    if (axis === perm.length) {
      out.push(offset);
      return;
    }
    for (let k = 0; k < outDims[axis]; k++) walk(axis + 1, offset + k * strides[perm[axis]]);
  };
  walk(0, 0);
  return out;
}

/** Transpose only relabels a float value's axes: its data stays where it is. */
const transposeImporter: OpImporter = (ctx) => {
  const given = ctx.attrs.has('perm') ? ctx.attrs.ints('perm') : null;
  return sameKind(ctx, ([x]) => {
    const v = x as Value;
    const rank = rankOf(v);
    const perm = given ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    if (perm.length !== rank || new Set(perm.map((a) => axisOf(a, rank, 'Transpose'))).size !== rank)
      throw new ShapeError(`Transpose: perm [${perm}] is not a permutation of ${rank} axes`);
    const q = perm.map((a) => axisOf(a, rank, 'Transpose'));
    if (v.kind === 'int') return [intValue(q.map((a) => v.dims[a]), permutedIndex(v.dims, q).map((i) => v.data[i]))];
    const qInv = invertPerm(q);
    return [floatValue(v.t, v.perm.map((a) => qInv[a]))];
  });
};

/** Axes from the attribute (before opset 13) or from input 1 (from 13); null when not given. */
function axesArgument(ctx: OpContext, inputs: readonly (Value | undefined)[]): readonly number[] | null {
  if (ctx.opset < 13) return ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : null;
  return inputs[1] === undefined ? null : expectInt(inputs[1], 'axes').data;
}

/** Drops the size-1 ONNX axes in `drop` from a float value without moving data. */
export function dropAxes(v: FloatValue, drop: ReadonlySet<number>): FloatValue {
  const keep = v.perm.map((a, i) => [a, i] as const).filter(([a]) => !drop.has(a));
  const renumber = (a: number): number => a - [...drop].filter((d) => d < a).length;
  return floatValue(reshape(v.t, keep.map(([, i]) => v.t.shape[i])), keep.map(([a]) => renumber(a)));
}

const squeezeImporter: OpImporter = (ctx) => {
  const attrAxes = ctx.opset < 13 ? axesArgument(ctx, []) : null;
  return sameKind(ctx, (inputs) => {
    const v = inputs[0] as Value;
    const dims = dimsOf(v);
    const axes = ctx.opset < 13 ? attrAxes : axesArgument(ctx, inputs);
    const drop = new Set(axes === null ? dims.flatMap((d, a) => (d === 1 ? [a] : [])) : axes.map((a) => axisOf(a, dims.length, 'Squeeze')));
    for (const a of drop) if (dims[a] !== 1) throw new ShapeError(`Squeeze: axis ${a} of [${dims}] has size ${dims[a]}, not 1`);
    if (v.kind === 'int') return [intValue(dims.filter((_, a) => !drop.has(a)), v.data)];
    return [dropAxes(v, drop)];
  });
};

const unsqueezeImporter: OpImporter = (ctx) => {
  const attrAxes = ctx.opset < 13 ? ctx.attrs.ints('axes') : null;
  return sameKind(ctx, (inputs) => {
    const v = inputs[0] as Value;
    const dims = dimsOf(v);
    const axes = attrAxes ?? expectInt(inputs[1], 'axes').data;
    const rank = dims.length + axes.length;
    const added = [...new Set(axes.map((a) => axisOf(a, rank, 'Unsqueeze')))].sort((a, b) => a - b);
    if (added.length !== axes.length) throw new ShapeError(`Unsqueeze: axes [${axes}] repeat an axis`);
    const kept = Array.from({ length: rank }, (_, a) => a).filter((a) => !added.includes(a));
    const outDims = new Array<number>(rank).fill(1);
    kept.forEach((a, i) => (outDims[a] = dims[i]));
    if (v.kind === 'int') return [intValue(outDims, v.data)];
    // The new size-1 axes go last in sepconv's order, so the data does not move.
    return [floatValue(reshape(v.t, [...v.t.shape, ...added.map(() => 1)]), [...v.perm.map((a) => kept[a]), ...added])];
  });
};

/** Concatenation of row-major blocks along `axis` (shared by int and float constants). */
function concatData<T>(parts: readonly { dims: readonly number[]; data: ArrayLike<T> }[], axis: number): T[] {
  const outer = product(parts[0].dims.slice(0, axis));
  const out: T[] = [];
  for (let o = 0; o < outer; o++)
    for (const p of parts) {
      const w = product(p.dims.slice(axis));
      for (let k = 0; k < w; k++) out.push(p.data[o * w + k]);
    }
  return out;
}

const concatImporter: OpImporter = (ctx) => {
  const axis = ctx.attrs.int('axis');
  const kinds = new Set(ctx.node.input.map((_, i) => ctx.kind(i)));
  if (kinds.size > 1) throw new NodeProblem('mixes float and integer inputs; insert a Cast');
  return sameKind(ctx, (inputs) => {
    const vs = inputs.filter((v): v is Value => v !== undefined);
    const rank = rankOf(vs[0]);
    const a = axisOf(axis, rank, 'Concat');
    for (const v of vs) {
      const d = dimsOf(v);
      if (d.length !== rank || d.some((n, i) => i !== a && n !== dimsOf(vs[0])[i]))
        throw new ShapeError(`Concat: input dims [${d}] do not match [${dimsOf(vs[0])}] outside axis ${a}`);
    }
    if (vs[0].kind === 'int') {
      const ints = vs as IntValue[];
      const dims = [...ints[0].dims];
      dims[a] = ints.reduce((s, v) => s + v.dims[a], 0);
      return [intValue(dims, concatData(ints, a))];
    }
    const floats = vs as FloatValue[];
    const perm = layoutFor(floats, rank);
    return [floatValue(concat(floats.map((v) => inLayout(v, perm)), invertPerm(perm)[a]), perm)];
  });
};

const shapeImporter: OpImporter = (ctx) => {
  const start = ctx.opset >= 15 ? ctx.attrs.int('start', 0) : 0;
  const end = ctx.opset >= 15 && ctx.attrs.has('end') ? ctx.attrs.int('end') : undefined;
  return {
    kinds: ['int'],
    run: ([x]) => {
      const dims = dimsOf(x as Value);
      const r = dims.length;
      const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + r : i, 0), r);
      const out = dims.slice(clamp(start), end === undefined ? r : clamp(end));
      return [intValue([out.length], out)];
    },
  };
};

/** ONNX Gather: out dims = data.dims[:axis] + indices.dims + data.dims[axis+1:]. */
function gatherData<T>(data: ArrayLike<T>, dims: readonly number[], indices: IntValue, axis: number): { dims: number[]; data: T[] } {
  const outer = product(dims.slice(0, axis));
  const n = dims[axis];
  const inner = product(dims.slice(axis + 1));
  const out: T[] = [];
  for (let o = 0; o < outer; o++)
    for (const raw of indices.data) {
      const i = raw < 0 ? raw + n : raw;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new ShapeError(`Gather: index ${raw} is out of range for axis ${axis} of size ${n}`);
      for (let k = 0; k < inner; k++) out.push(data[(o * n + i) * inner + k]);
    }
  return { dims: [...dims.slice(0, axis), ...indices.dims, ...dims.slice(axis + 1)], data: out };
}

/** Gather on integer values (shapes) at run time, and on float constants at load time. */
const gatherImporter: OpImporter = (ctx) => {
  const axis = ctx.attrs.int('axis', 0);
  if (ctx.kind(0) === 'float' && (ctx.constant(0) === undefined || ctx.constant(1) === undefined))
    throw new NodeProblem('Gather is supported on shapes and constants only, not on float activations');
  return sameKind(ctx, ([x, idx]) => {
    const v = x as Value;
    const dims = dimsOf(v);
    const indices = expectInt(idx, 'indices');
    const a = axisOf(axis, dims.length, 'Gather');
    if (v.kind === 'int') {
      const g = gatherData(v.data, dims, indices, a);
      return [intValue(g.dims, g.data)];
    }
    const g = gatherData(plain(v).data, dims, indices, a);
    return [constantTensor(Float32Array.from(g.data), g.dims)];
  });
};

const FLOAT_TYPES: readonly number[] = [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16];
const INT_TYPES: readonly number[] = [DataType.INT64, DataType.INT32, DataType.BOOL];

/** The kind a tensor data type maps to (float16 and double are computed as float32); undefined for the rest. */
export function kindOfDataType(type: number): ValueKind | undefined {
  if (FLOAT_TYPES.includes(type)) return 'float';
  if (INT_TYPES.includes(type)) return 'int';
  return undefined;
}

/** The TensorProto.DataType name of `type`, for messages. */
export function dataTypeName(type: number): string {
  return Object.entries(DataType).find(([, v]) => v === type)?.[0] ?? `data type ${type}`;
}

/** A decoded numeric TensorProto as a load-time value (BOOL as 0/1 integers, e.g. Dropout's training_mode). */
export function tensorValue(t: TensorProto): Value {
  if (kindOfDataType(t.data_type) === 'float') return constantTensor(tensorToFloat32(t), t.dims);
  if (t.data_type !== DataType.BOOL) return intValue([...t.dims], tensorToInt64(t));
  const n = elementCount(t);
  const values = t.raw_data !== null ? Array.from(t.raw_data, (b) => (b === 0 ? 0 : 1)) : t.int32_data.map((b) => (b === 0 ? 0 : 1));
  if (values.length !== n) throw new FormatError(`ONNX: BOOL tensor "${t.name}" holds ${values.length} values for dims [${t.dims}]`);
  return intValue([...t.dims], values);
}

/**
 * Cast between float and integer kinds (float16 and double are computed as float32). Casting to integers truncates
 * toward zero and yields a plain integer value: meant for shape arithmetic, not for large activations.
 */
const castImporter: OpImporter = (ctx) => {
  const type = ctx.attrs.int('to');
  const to = kindOfDataType(type);
  if (to === undefined || type === DataType.BOOL) throw new NodeProblem(`casting to ${dataTypeName(type)} is not supported (only to float and integer types)`);
  return {
    kinds: [to],
    run: ([x]) => {
      const v = x as Value;
      if (v.kind === to) return [v];
      if (v.kind === 'int') return [floatValue(new Tensor(Float32Array.from(v.data), v.dims))];
      return [intValue(onnxDims(v), Array.from(plain(v).data, Math.trunc))];
    },
  };
};

/** Constant: its value is computed once, at load. */
const constantImporter: OpImporter = (ctx) => {
  const a = ctx.attrs;
  let value: Value;
  const t = a.tensor('value');
  if (t !== undefined) {
    if (kindOfDataType(t.data_type) === undefined) throw new NodeProblem(`value has unsupported type ${dataTypeName(t.data_type)}`);
    value = tensorValue(t);
  }
  else if (a.has('value_float')) value = constantTensor(Float32Array.of(a.float('value_float')), []);
  else if (a.has('value_floats')) value = constantTensor(Float32Array.from(a.floats('value_floats')), [a.floats('value_floats').length]);
  else if (a.has('value_int')) value = intValue([], [a.int('value_int')]);
  else if (a.has('value_ints')) value = intValue([a.ints('value_ints').length], a.ints('value_ints'));
  else throw new NodeProblem(`needs one of value, value_float(s), value_int(s) (got ${ctx.node.attribute.map((x) => x.name).join(', ') || 'none'})`);
  return { kinds: [value.kind], run: () => [value] };
};

export const SHAPE_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  Reshape: reshapeImporter,
  Flatten: flattenImporter,
  Transpose: transposeImporter,
  Squeeze: squeezeImporter,
  Unsqueeze: unsqueezeImporter,
  Concat: concatImporter,
  Shape: shapeImporter,
  Gather: gatherImporter,
  Cast: castImporter,
  Constant: constantImporter,
};
