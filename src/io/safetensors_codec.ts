/**
 * The safetensors format in memory (no file system, so it also runs in browsers): an 8-byte little-endian header
 * length, a JSON header mapping each tensor name to {dtype, shape, data_offsets} (plus an optional `__metadata__`
 * string map), then the tensors' raw little-endian bytes, back to back. sepconv writes F32 and reads F32, F16, BF16
 * and F64 (and the integer types, e.g. PyTorch's `num_batches_tracked`), converting to float32.
 *
 * Decoding trusts nothing: the header length must fit the file, the JSON must be an object of well-formed entries,
 * every tensor's byte range must match its shape and dtype, and the ranges must tile the data section exactly (no
 * gaps, no overlaps). Names are kept in a Map and metadata in a prototype-less object, so a tensor named
 * `__proto__` is just a name.
 */
import { ArgumentError, FormatError, ShapeError, previewValue } from '../errors.js';

/** A tensor to write: row-major float32 data of the given shape (a sepconv Tensor fits). */
export interface SafetensorsInput {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A tensor read back, converted to float32; `dtype` is what the file stored. */
export interface SafetensorsTensor {
  shape: number[];
  data: Float32Array;
  dtype: string;
}

/** A decoded file. `metadata` has no prototype. */
export interface SafetensorsContents {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const HEADER_START = 8;

/** Bytes per element and a reader of `n` little-endian elements at `offset` into float32. */
interface DtypeCodec {
  size: number;
  read(view: DataView, offset: number, out: Float32Array): void;
}

const bf16Bits = new Uint32Array(1);
const bf16Float = new Float32Array(bf16Bits.buffer);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function elementwise(size: number, get: (view: DataView, at: number) => number): DtypeCodec {
  return {
    size,
    read(view, offset, out) {
      for (let i = 0; i < out.length; i++) out[i] = get(view, offset + i * size);
    },
  };
}

const DTYPES: ReadonlyMap<string, DtypeCodec> = new Map([
  ['F32', elementwise(4, (v, at) => v.getFloat32(at, true))],
  ['F16', elementwise(2, (v, at) => halfToFloat(v.getUint16(at, true)))],
  ['BF16', elementwise(2, (v, at) => {
    bf16Bits[0] = v.getUint16(at, true) << 16;
    return bf16Float[0];
  })],
  ['F64', elementwise(8, (v, at) => v.getFloat64(at, true))],
  ['I64', elementwise(8, (v, at) => Number(v.getBigInt64(at, true)))],
  ['U64', elementwise(8, (v, at) => Number(v.getBigUint64(at, true)))],
  ['I32', elementwise(4, (v, at) => v.getInt32(at, true))],
  ['U32', elementwise(4, (v, at) => v.getUint32(at, true))],
  ['I16', elementwise(2, (v, at) => v.getInt16(at, true))],
  ['U16', elementwise(2, (v, at) => v.getUint16(at, true))],
  ['I8', elementwise(1, (v, at) => v.getInt8(at))],
  ['U8', elementwise(1, (v, at) => v.getUint8(at))],
  ['BOOL', elementwise(1, (v, at) => (v.getUint8(at) !== 0 ? 1 : 0))],
]);

function shapeText(shape: readonly unknown[]): string {
  return `[${shape.join(', ')}]`;
}

/** `text` shortened so that a hostile tensor name or shape cannot bloat an error message. */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks the tensors and metadata to write and lays them out in name order. */
function plan(tensors: ReadonlyMap<string, SafetensorsInput>, metadata: Record<string, string> | undefined):
    { header: Uint8Array; entries: [string, SafetensorsInput][] } {
  const json: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) {
    const meta: Record<string, string> = Object.create(null);
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string')
        throw new ArgumentError(`encodeSafetensors: metadata '${key}' is a ${typeof value}; safetensors metadata values must be strings (JSON.stringify it)`);
      meta[key] = value;
    }
    json[METADATA_KEY] = meta;
  }
  const entries = [...tensors.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === METADATA_KEY || name.length === 0)
      throw new ArgumentError(`encodeSafetensors: '${name}' cannot be a tensor name (it is empty or reserved for metadata)`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || product(t.shape) !== t.data.length)
      throw new ShapeError(`encodeSafetensors: tensor '${name}' has ${t.data.length} values but shape ${shapeText(t.shape)}`);
    const bytes = t.data.length * 4;
    json[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  // Pad with spaces (allowed by the format) so the data starts 8-byte aligned, as the reference writer does.
  const header = new Uint8Array(Math.ceil(text.length / 8) * 8).fill(0x20);
  header.set(text);
  return { header, entries };
}

/**
 * The encoded file as a sequence of chunks (length + header, then one chunk per tensor), so a writer never needs
 * the whole file in memory at once. Everything is validated here, before the first chunk is produced.
 */
export function safetensorsChunks(tensors: ReadonlyMap<string, SafetensorsInput>, metadata?: Record<string, string>):
    Iterable<Uint8Array> {
  const { header, entries } = plan(tensors, metadata);
  return (function* () {
    const prefix = new Uint8Array(HEADER_START + header.length);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(header.length), true);
    prefix.set(header, HEADER_START);
    yield prefix;
    for (const [, t] of entries) {
      const chunk = new Uint8Array(t.data.length * 4);
      const view = new DataView(chunk.buffer);
      for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i], true);
      yield chunk;
    }
  })();
}

/** Encodes tensors (as F32) and string metadata into one safetensors byte array. */
export function encodeSafetensors(tensors: ReadonlyMap<string, SafetensorsInput>, metadata?: Record<string, string>): Uint8Array {
  const chunks = [...safetensorsChunks(tensors, metadata)];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A validated header entry. */
interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses and checks the JSON header (file bytes 8 .. 8 + length). */
function parseHeader(bytes: Uint8Array, length: number, name: string):
    { entries: Entry[]; metadata: Record<string, string> } {
  const where = `the JSON header (bytes ${HEADER_START}..${HEADER_START + length})`;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_START, HEADER_START + length)));
  } catch (e) {
    throw new FormatError(`${name}: ${where} is not valid UTF-8 JSON (${(e as Error).message}); the file is truncated, corrupt or not safetensors`);
  }
  if (!isObject(json)) throw new FormatError(`${name}: ${where} is not a JSON object`);
  const metadata: Record<string, string> = Object.create(null);
  const entries: Entry[] = [];
  for (const key of Object.keys(json)) {
    const info = json[key];
    if (key === METADATA_KEY) {
      if (!isObject(info) || !Object.values(info).every((v) => typeof v === 'string'))
        throw new FormatError(`${name}: ${METADATA_KEY} in ${where} must map strings to strings`);
      for (const k of Object.keys(info)) metadata[k] = info[k] as string;
      continue;
    }
    const bad = (why: string) => new FormatError(`${name}: tensor '${clip(key)}' in ${where}: ${why}`);
    if (!isObject(info)) throw bad('entry is not an object {dtype, shape, data_offsets}');
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !DTYPES.has(dtype))
      throw bad(`dtype ${previewValue(dtype)} is not one of ${[...DTYPES.keys()].join(', ')}`);
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw bad(`shape ${previewValue(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1])
      throw bad(`data_offsets ${previewValue(offsets)} is not [begin, end] with 0 <= begin <= end`);
    const expected = product(shape) * DTYPES.get(dtype)!.size;
    if (offsets[1] - offsets[0] !== expected)
      throw bad(`data_offsets [${offsets[0]}, ${offsets[1]}] span ${offsets[1] - offsets[0]} bytes but ${dtype} ${clip(shapeText(shape))} ` +
        `needs ${expected}`);
    entries.push({ name: key, dtype, shape: shape as number[], begin: offsets[0], end: offsets[1] });
  }
  return { entries, metadata };
}

/** Checks that the tensors' byte ranges tile the data section `[0, dataSize)` with no gap or overlap. */
function checkTiling(entries: Entry[], dataSize: number, dataStart: number, name: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous = 'the start of the data';
  for (const e of sorted) {
    if (e.begin !== at)
      throw new FormatError(`${name}: tensor '${clip(e.name)}' starts at data byte ${e.begin} (file byte ${dataStart + e.begin}) but ` +
        `${previous} ends at ${at}: tensors must be contiguous, without ${e.begin > at ? 'gaps' : 'overlaps'}`);
    at = e.end;
    previous = `tensor '${clip(e.name)}'`;
  }
  if (at !== dataSize)
    throw new FormatError(`${name}: the tensors end at data byte ${at} (file byte ${dataStart + at}) but the file has ` +
      `${dataSize} data bytes (it ends at byte ${dataStart + dataSize}): ` +
      (at > dataSize ? 'the file is truncated' : 'trailing bytes after the last tensor'));
}

/** Decodes a safetensors byte array; `name` (a file name) is used in errors. Every tensor comes back as float32. */
export function decodeSafetensors(bytes: Uint8Array, name = 'safetensors buffer'): SafetensorsContents {
  if (bytes.length < HEADER_START)
    throw new FormatError(`${name}: ${bytes.length} bytes is too short for a safetensors file (8-byte header length at byte 0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength === 0n || headerLength > BigInt(bytes.length - HEADER_START))
    throw new FormatError(`${name}: header length ${headerLength} at byte 0 does not fit the ${bytes.length}-byte file ` +
      '(truncated, or not a safetensors file)');
  const length = Number(headerLength);
  const { entries, metadata } = parseHeader(bytes, length, name);
  const dataStart = HEADER_START + length;
  checkTiling(entries, bytes.length - dataStart, dataStart, name);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries.sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    const codec = DTYPES.get(e.dtype)!;
    const data = new Float32Array((e.end - e.begin) / codec.size);
    codec.read(view, dataStart + e.begin, data);
    tensors.set(e.name, { shape: e.shape, data, dtype: e.dtype });
  }
  return { tensors, metadata };
}
