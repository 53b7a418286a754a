/**
 * Decoders for the subset of onnx.proto that sepconv reads, into plain objects.
 *
 * Property names follow onnx.proto (snake_case) so they can be looked up in the ONNX docs directly.
 * Field numbers are from onnx/onnx.proto; unknown fields are skipped.
 */
import { FormatError } from '../../errors.js';
import { Reader, type Fields } from './wire.js';

/** TensorProto.DataType (the values sepconv handles or names in errors). */
export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

/** AttributeProto.AttributeType. */
export const AttributeType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9,
  GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12,
} as const;

export interface TensorProto {
  name: string;
  dims: number[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  int64_data: number[];
  double_data: number[];
  /** Little-endian element bytes; a view into the decoded buffer (no copy). */
  raw_data: Uint8Array | null;
  /** 0 = DEFAULT, 1 = EXTERNAL (rejected by the decoder). */
  data_location: number;
}

export interface AttributeProto {
  name: string;
  type: number;
  f: number;
  i: number;
  s: Uint8Array;
  t: TensorProto | null;
  g: GraphProto | null;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeProto[];
}

/** One dimension of a TensorShapeProto: a fixed size, a symbolic name, or neither (unknown). */
export interface Dim {
  dim_value?: number;
  dim_param?: string;
}

/** ValueInfoProto with `type.tensor_type` flattened: elem_type 0 and shape null when not given (or not a tensor). */
export interface ValueInfoProto {
  name: string;
  elem_type: number;
  shape: Dim[] | null;
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
}

export interface OperatorSetId {
  domain: string;
  version: number;
}

export interface ModelProto {
  ir_version: number;
  opset_import: OperatorSetId[];
  producer_name: string;
  graph: GraphProto | null;
}

const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL

// Each message: a factory for the empty object plus a field table. The reader names `Message.field` in errors.

const tensorFields: Fields<TensorProto> = {
  1: ['dims', (r, t) => r.int64s(t.dims)],
  2: ['data_type', (r, t) => (t.data_type = r.int64())],
  4: ['float_data', (r, t) => r.floats(t.float_data)],
  5: ['int32_data', (r, t) => r.int64s(t.int32_data)], // int32 varints decode like int64 (sign-extended)
  7: ['int64_data', (r, t) => r.int64s(t.int64_data)],
  8: ['name', (r, t) => (t.name = r.string())],
  9: ['raw_data', (r, t) => (t.raw_data = r.bytes())],
  10: ['double_data', (r, t) => r.doubles(t.double_data)],
  14: ['data_location', (r, t) => (t.data_location = r.int64())],
};

function tensor(r: Reader): TensorProto {
  const at = r.pos;
  const t = r.decode('TensorProto', tensorFields, {
    name: '', dims: [], data_type: 0, float_data: [], int32_data: [], int64_data: [], double_data: [], raw_data: null,
    data_location: 0,
  });
  // Checked after the loop because `name` may come after `data_location`.
  if (t.data_location === EXTERNAL) {
    throw new FormatError(`ONNX: tensor "${t.name}" at byte ${at}: external data not supported (save the model with its weights inside)`);
  }
  return t;
}

const attributeFields: Fields<AttributeProto> = {
  1: ['name', (r, a) => (a.name = r.string())],
  2: ['f', (r, a) => (a.f = r.float())],
  3: ['i', (r, a) => (a.i = r.int64())],
  4: ['s', (r, a) => (a.s = r.bytes())],
  5: ['t', (r, a) => (a.t = tensor(r.message()))],
  6: ['g', (r, a) => (a.g = graph(r.message()))],
  7: ['floats', (r, a) => r.floats(a.floats)],
  8: ['ints', (r, a) => r.int64s(a.ints)],
  9: ['strings', (r, a) => a.strings.push(r.bytes())],
  10: ['tensors', (r, a) => a.tensors.push(tensor(r.message()))],
  11: ['graphs', (r, a) => a.graphs.push(graph(r.message()))],
  20: ['type', (r, a) => (a.type = r.int64())],
};

function attribute(r: Reader): AttributeProto {
  return r.decode('AttributeProto', attributeFields, {
    name: '', type: 0, f: 0, i: 0, s: new Uint8Array(0), t: null, g: null, floats: [], ints: [], strings: [], tensors: [],
    graphs: [],
  });
}

const nodeFields: Fields<NodeProto> = {
  1: ['input', (r, n) => n.input.push(r.string())],
  2: ['output', (r, n) => n.output.push(r.string())],
  3: ['name', (r, n) => (n.name = r.string())],
  4: ['op_type', (r, n) => (n.op_type = r.string())],
  5: ['attribute', (r, n) => n.attribute.push(attribute(r.message()))],
  7: ['domain', (r, n) => (n.domain = r.string())],
};

function node(r: Reader): NodeProto {
  return r.decode('NodeProto', nodeFields, { input: [], output: [], name: '', op_type: '', domain: '', attribute: [] });
}

const dimFields: Fields<Dim> = {
  1: ['dim_value', (r, d) => (d.dim_value = r.int64())],
  2: ['dim_param', (r, d) => (d.dim_param = r.string())],
};

// TypeProto (tensor_type = 1) -> TypeProto.Tensor (elem_type = 1, shape = 2) -> TensorShapeProto (dim = 1).
const shapeFields: Fields<Dim[]> = { 1: ['dim', (r, dims) => dims.push(r.message().decode('TensorShapeProto.Dimension', dimFields, {}))] };

const tensorTypeFields: Fields<ValueInfoProto> = {
  1: ['elem_type', (r, v) => (v.elem_type = r.int64())],
  2: ['shape', (r, v) => (v.shape = r.message().decode('TensorShapeProto', shapeFields, []))],
};

const typeFields: Fields<ValueInfoProto> = {
  1: ['tensor_type', (r, v) => r.message().decode('TypeProto.Tensor', tensorTypeFields, v)],
};

const valueInfoFields: Fields<ValueInfoProto> = {
  1: ['name', (r, v) => (v.name = r.string())],
  2: ['type', (r, v) => r.message().decode('TypeProto', typeFields, v)],
};

function valueInfo(r: Reader): ValueInfoProto {
  return r.decode('ValueInfoProto', valueInfoFields, { name: '', elem_type: 0, shape: null });
}

const graphFields: Fields<GraphProto> = {
  1: ['node', (r, g) => g.node.push(node(r.message()))],
  2: ['name', (r, g) => (g.name = r.string())],
  5: ['initializer', (r, g) => g.initializer.push(tensor(r.message()))],
  11: ['input', (r, g) => g.input.push(valueInfo(r.message()))],
  12: ['output', (r, g) => g.output.push(valueInfo(r.message()))],
  13: ['value_info', (r, g) => g.value_info.push(valueInfo(r.message()))],
};

function graph(r: Reader): GraphProto {
  return r.decode('GraphProto', graphFields, { name: '', node: [], initializer: [], input: [], output: [], value_info: [] });
}

const opsetFields: Fields<OperatorSetId> = {
  1: ['domain', (r, o) => (o.domain = r.string())],
  2: ['version', (r, o) => (o.version = r.int64())],
};

const modelFields: Fields<ModelProto> = {
  1: ['ir_version', (r, m) => (m.ir_version = r.int64())],
  2: ['producer_name', (r, m) => (m.producer_name = r.string())],
  7: ['graph', (r, m) => (m.graph = graph(r.message()))],
  8: ['opset_import', (r, m) => m.opset_import.push(r.message().decode('OperatorSetIdProto', opsetFields, { domain: '', version: 0 }))],
};

/** Decodes a serialized onnx.ModelProto (the contents of a `.onnx` file). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return new Reader(bytes).decode('ModelProto', modelFields, { ir_version: 0, opset_import: [], producer_name: '', graph: null });
}

/** Decodes a serialized onnx.TensorProto (e.g. a conformance case's `input_0.pb`). */
export function decodeTensor(bytes: Uint8Array): TensorProto {
  return tensor(new Reader(bytes));
}

// ---- tensor contents ----

/** Number of elements the dims call for; checked so a hostile shape cannot make us allocate. */
export function elementCount(t: TensorProto): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new FormatError(`ONNX: tensor "${t.name}" has invalid dim ${d} in [${t.dims}]`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new FormatError(`ONNX: tensor "${t.name}" dims [${t.dims}] are too large`);
  return n;
}

const BYTES: Partial<Record<number, number>> = {
  [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.INT32]: 4, [DataType.INT64]: 8, [DataType.FLOAT16]: 2,
};

function typeName(code: number): string {
  return Object.keys(DataType).find((k) => DataType[k as keyof typeof DataType] === code) ?? `data_type ${code}`;
}

/**
 * Element source of a numeric tensor: either raw_data (little-endian) or the typed repeated field.
 * Verifies the element count against the dims before anything is allocated.
 */
function source(t: TensorProto, allowed: number[]): { n: number; raw: DataView | null; list: number[] } {
  const size = BYTES[t.data_type];
  if (size === undefined || !allowed.includes(t.data_type)) {
    throw new FormatError(`ONNX: tensor "${t.name}" has unsupported data type ${typeName(t.data_type)} here (supported: ${allowed.map(typeName).join(', ')})`);
  }
  const n = elementCount(t);
  const what = `ONNX: tensor "${t.name}" (${typeName(t.data_type)}, dims [${t.dims}], ${n} elements)`;
  if (t.raw_data !== null) {
    if (t.raw_data.byteLength !== n * size) throw new FormatError(`${what}: raw_data has ${t.raw_data.byteLength} bytes, expected ${n * size}`);
    return { n, raw: new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength), list: [] };
  }
  const list = typedField(t);
  if (list.length !== n) throw new FormatError(`${what}: holds ${list.length} elements`);
  return { n, raw: null, list };
}

/** The repeated field that carries a tensor's values when raw_data is absent. */
function typedField(t: TensorProto): number[] {
  switch (t.data_type) {
    case DataType.FLOAT: return t.float_data;
    case DataType.DOUBLE: return t.double_data;
    case DataType.INT64: return t.int64_data;
    default: return t.int32_data; // INT32, and FLOAT16 as uint16 bits (onnx.proto)
  }
}

/** IEEE 754 half -> number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** int64 from two little-endian 32-bit halves; must fit a JS safe integer. */
function int64At(v: DataView, at: number, t: TensorProto): number {
  const lo = v.getUint32(at, true);
  const hi = v.getInt32(at + 4, true);
  const x = hi * 2 ** 32 + lo;
  if (!Number.isSafeInteger(x)) throw new FormatError(`ONNX: tensor "${t.name}" has an int64 out of safe integer range`);
  return x;
}

/** Any FLOAT, DOUBLE, INT32, INT64 or FLOAT16 tensor as float32 values, row-major. */
export function tensorToFloat32(t: TensorProto): Float32Array {
  const { n, raw, list } = source(t, [DataType.FLOAT, DataType.DOUBLE, DataType.INT32, DataType.INT64, DataType.FLOAT16]);
  const out = new Float32Array(n);
  if (raw === null) {
    if (t.data_type === DataType.FLOAT16) for (let i = 0; i < n; i++) out[i] = halfToFloat(list[i]! & 0xffff);
    else out.set(list);
    return out;
  }
  for (let i = 0; i < n; i++) {
    switch (t.data_type) {
      case DataType.FLOAT: out[i] = raw.getFloat32(4 * i, true); break;
      case DataType.DOUBLE: out[i] = raw.getFloat64(8 * i, true); break;
      case DataType.INT32: out[i] = raw.getInt32(4 * i, true); break;
      case DataType.INT64: out[i] = int64At(raw, 8 * i, t); break;
      default: out[i] = halfToFloat(raw.getUint16(2 * i, true));
    }
  }
  return out;
}

/** An INT64 or INT32 tensor (shapes, pads, axes) as plain numbers. */
export function tensorToInt64(t: TensorProto): number[] {
  const { n, raw, list } = source(t, [DataType.INT64, DataType.INT32]);
  if (raw === null) return list.slice();
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = t.data_type === DataType.INT64 ? int64At(raw, 8 * i, t) : raw.getInt32(4 * i, true);
  return out;
}
