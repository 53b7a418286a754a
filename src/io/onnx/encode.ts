/**
 * A minimal, dependency-free protobuf encoder for the ONNX messages in proto.ts (the inverse of the decoder there:
 * `decodeModel(encodeModel(m))` gives back `m`). Field numbers are from onnx/onnx.proto.
 *
 * Each sub-message is encoded into its own byte array first, so that its length prefix is known when the parent
 * writes it. ONNX messages nest only a few levels, so these copies are cheap; weight bytes are copied once more, into
 * the final buffer.
 */
import { ArgumentError } from '../../errors.js';
import {
  AttributeType, type AttributeProto, type Dim, type GraphProto, type ModelProto, type NodeProto, type OperatorSetId, type TensorProto,
  type ValueInfoProto,
} from './proto.js';
import { WireType } from './wire.js';

/** Accumulates byte chunks; `finish` concatenates them once. */
class Writer {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  private length = 0;

  private flushScratch(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.length += this.scratch.length;
    this.scratch = [];
  }

  private byte(b: number): void {
    this.scratch.push(b);
  }

  /** Unsigned varint of a non-negative safe integer. */
  private uvarint(n: number): void {
    let lo = n % 2 ** 32 >>> 0;
    let hi = Math.floor(n / 2 ** 32) >>> 0;
    while (hi > 0 || lo > 0x7f) {
      this.byte((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.byte(lo);
  }

  /** Signed int64 varint: negative numbers as 10-byte two's complement, as protobuf requires. */
  private svarint(n: number): void {
    if (!Number.isSafeInteger(n)) throw new ArgumentError(`ONNX encoder: ${n} is not a safe integer`);
    if (n >= 0) return this.uvarint(n);
    let v = BigInt.asUintN(64, BigInt(n));
    for (let i = 0; i < 9; i++) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private key(field: number, wire: number): void {
    this.uvarint(field * 8 + wire);
  }

  int(field: number, v: number): void {
    this.key(field, WireType.VARINT);
    this.svarint(v);
  }

  float(field: number, v: number): void {
    this.key(field, WireType.I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.byte(x);
  }

  bytes(field: number, data: Uint8Array): void {
    this.key(field, WireType.LEN);
    this.uvarint(data.byteLength);
    this.flushScratch();
    this.chunks.push(data);
    this.length += data.byteLength;
  }

  string(field: number, s: string): void {
    this.bytes(field, utf8.encode(s));
  }

  message(field: number, body: Uint8Array): void {
    this.bytes(field, body);
  }

  /** Packed repeated int64 (the proto3 default encoding). */
  packedInts(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const w = new Writer();
    for (const v of values) w.svarint(v);
    this.bytes(field, w.finish());
  }

  packedFloats(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const b = new Uint8Array(4 * values.length);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat32(4 * i, v, true));
    this.bytes(field, b);
  }

  packedDoubles(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const b = new Uint8Array(8 * values.length);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => view.setFloat64(8 * i, v, true));
    this.bytes(field, b);
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

const utf8 = new TextEncoder();

/** Encodes an onnx.TensorProto. */
export function encodeTensor(t: TensorProto): Uint8Array {
  const w = new Writer();
  w.packedInts(1, t.dims);
  w.int(2, t.data_type);
  w.packedFloats(4, t.float_data);
  w.packedInts(5, t.int32_data);
  w.packedInts(7, t.int64_data);
  if (t.name !== '') w.string(8, t.name);
  if (t.raw_data !== null) w.bytes(9, t.raw_data);
  w.packedDoubles(10, t.double_data);
  if (t.data_location !== 0) w.int(14, t.data_location);
  return w.finish();
}

function encodeAttribute(a: AttributeProto): Uint8Array {
  const w = new Writer();
  w.string(1, a.name);
  w.int(20, a.type);
  // Only the field that the type names is written (the others hold defaults).
  switch (a.type) {
    case AttributeType.FLOAT: w.float(2, a.f); break;
    case AttributeType.INT: w.int(3, a.i); break;
    case AttributeType.STRING: w.bytes(4, a.s); break;
    case AttributeType.TENSOR: w.message(5, encodeTensor(a.t!)); break;
    case AttributeType.GRAPH: w.message(6, encodeGraph(a.g!)); break;
    case AttributeType.FLOATS: w.packedFloats(7, a.floats); break;
    case AttributeType.INTS: w.packedInts(8, a.ints); break;
    case AttributeType.STRINGS: for (const s of a.strings) w.bytes(9, s); break;
    case AttributeType.TENSORS: for (const t of a.tensors) w.message(10, encodeTensor(t)); break;
    case AttributeType.GRAPHS: for (const g of a.graphs) w.message(11, encodeGraph(g)); break;
    default: throw new ArgumentError(`ONNX encoder: attribute "${a.name}" has unsupported type ${a.type}`);
  }
  return w.finish();
}

function encodeNode(n: NodeProto): Uint8Array {
  const w = new Writer();
  for (const s of n.input) w.string(1, s);
  for (const s of n.output) w.string(2, s);
  if (n.name !== '') w.string(3, n.name);
  w.string(4, n.op_type);
  for (const a of n.attribute) w.message(5, encodeAttribute(a));
  if (n.domain !== '') w.string(7, n.domain);
  return w.finish();
}

function encodeDim(d: Dim): Uint8Array {
  const w = new Writer();
  if (d.dim_value !== undefined) w.int(1, d.dim_value);
  else if (d.dim_param !== undefined) w.string(2, d.dim_param);
  return w.finish();
}

function encodeValueInfo(v: ValueInfoProto): Uint8Array {
  const tensorType = new Writer();
  tensorType.int(1, v.elem_type);
  if (v.shape !== null) {
    const shape = new Writer();
    for (const d of v.shape) shape.message(1, encodeDim(d));
    tensorType.message(2, shape.finish());
  }
  const type = new Writer();
  type.message(1, tensorType.finish());
  const w = new Writer();
  w.string(1, v.name);
  w.message(2, type.finish());
  return w.finish();
}

function encodeGraph(g: GraphProto): Uint8Array {
  const w = new Writer();
  for (const n of g.node) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializer) w.message(5, encodeTensor(t));
  for (const v of g.input) w.message(11, encodeValueInfo(v));
  for (const v of g.output) w.message(12, encodeValueInfo(v));
  for (const v of g.value_info) w.message(13, encodeValueInfo(v));
  return w.finish();
}

function encodeOpset(o: OperatorSetId): Uint8Array {
  const w = new Writer();
  if (o.domain !== '') w.string(1, o.domain);
  w.int(2, o.version);
  return w.finish();
}

/** Encodes an onnx.ModelProto: the bytes of a `.onnx` file. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new Writer();
  w.int(1, m.ir_version);
  if (m.producer_name !== '') w.string(2, m.producer_name);
  if (m.graph !== null) w.message(7, encodeGraph(m.graph));
  for (const o of m.opset_import) w.message(8, encodeOpset(o));
  return w.finish();
}
