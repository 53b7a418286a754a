/**
 * Constructors for ONNX messages (in the spirit of `onnx.helper`): tensors, attributes, nodes, graphs and models as
 * the plain objects of proto.ts, ready for `encodeModel`. The exporter builds its graphs with these, and tests use
 * them to write ONNX files by hand.
 */
import { ArgumentError } from '../../errors.js';
import {
  AttributeType, DataType, type AttributeProto, type Dim, type GraphProto, type ModelProto, type NodeProto,
  type TensorProto, type ValueInfoProto,
} from './proto.js';

/** Lowest and highest default-domain opset that sepconv writes (import also reads opset 6). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

/** A FLOAT tensor (stored as little-endian raw_data). `dims` [] is a scalar. */
export function floatTensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new ArgumentError(`floatTensor "${name}": ${data.length} values for dims [${dims}] (${n} elements)`);
  const raw = new Uint8Array(4 * n);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) view.setFloat32(4 * i, data[i], true);
  return tensorProto(name, dims, DataType.FLOAT, { raw_data: raw });
}

/** An INT64 tensor (shapes, axes, pads), stored in int64_data. */
export function int64Tensor(name: string, dims: readonly number[], data: readonly number[]): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new ArgumentError(`int64Tensor "${name}": ${data.length} values for dims [${dims}] (${n} elements)`);
  for (const v of data) if (!Number.isSafeInteger(v)) throw new ArgumentError(`int64Tensor "${name}": ${v} is not a safe integer`);
  return tensorProto(name, dims, DataType.INT64, { int64_data: [...data] });
}

function tensorProto(name: string, dims: readonly number[], dataType: number, fields: Partial<TensorProto>): TensorProto {
  return {
    name, dims: [...dims], data_type: dataType, float_data: [], int32_data: [], int64_data: [], double_data: [],
    raw_data: null, data_location: 0, ...fields,
  };
}

/** An attribute value without its name; `node` adds the name. */
export type AttrValue = Omit<AttributeProto, 'name'>;

function attrValue(type: number, fields: Partial<AttributeProto>): AttrValue {
  return {
    type, f: 0, i: 0, s: new Uint8Array(0), t: null, g: null, floats: [], ints: [], strings: [], tensors: [], graphs: [],
    ...fields,
  };
}

const utf8 = new TextEncoder();

/** Typed attribute values: ONNX tells FLOAT from INT, so a bare number would be ambiguous. */
export const attr = {
  float: (v: number): AttrValue => attrValue(AttributeType.FLOAT, { f: v }),
  int: (v: number): AttrValue => attrValue(AttributeType.INT, { i: v }),
  string: (v: string): AttrValue => attrValue(AttributeType.STRING, { s: utf8.encode(v) }),
  tensor: (v: TensorProto): AttrValue => attrValue(AttributeType.TENSOR, { t: v }),
  floats: (v: readonly number[]): AttrValue => attrValue(AttributeType.FLOATS, { floats: [...v] }),
  ints: (v: readonly number[]): AttrValue => attrValue(AttributeType.INTS, { ints: [...v] }),
};

/** A node; an empty string in `inputs` marks an omitted optional input. */
export function node(opType: string, inputs: readonly string[], outputs: readonly string[],
  attrs: Readonly<Record<string, AttrValue>> = {}, name = ''): NodeProto {
  return {
    op_type: opType, input: [...inputs], output: [...outputs], name, domain: '',
    attribute: Object.entries(attrs).map(([n, a]) => ({ ...a, name: n })),
  };
}

/** A tensor-typed graph input or output; a string dim is symbolic (e.g. 'N'), null leaves the shape unknown. */
export function valueInfo(name: string, dims: readonly (number | string)[] | null, elemType: number = DataType.FLOAT): ValueInfoProto {
  const shape: Dim[] | null = dims === null ? null : dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, elem_type: elemType, shape };
}

export interface GraphSpec {
  name?: string;
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
}

export function graph(spec: GraphSpec): GraphProto {
  return {
    name: spec.name ?? 'graph', node: spec.nodes, initializer: spec.initializers ?? [], input: spec.inputs,
    output: spec.outputs, value_info: [],
  };
}

/** The newest IR version each opset may be written with (onnx/helper.py's VERSION_TABLE). */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** A model importing the default domain at `opset`, with the matching IR version. */
export function model(g: GraphProto, opts: { opset?: number; producer?: string } = {}): ModelProto {
  const opset = opts.opset ?? 13;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new ArgumentError(`ONNX model: opset ${opset} is outside the supported range ${MIN_OPSET}..${MAX_OPSET}`);
  return {
    ir_version: irVersionFor(opset), producer_name: opts.producer ?? 'sepconv', graph: g,
    opset_import: [{ domain: '', version: opset }],
  };
}
