/**
 * A minimal, dependency-free protobuf wire-format reader, just enough for ONNX.
 *
 * Every malformed input throws {@link FormatError} naming the byte offset and the field being read
 * (e.g. `ONNX: truncated varint at byte 1234 while reading NodeProto.attribute`). Nothing is allocated
 * before its length has been checked against the bytes that are actually there.
 */
import { FormatError } from '../../errors.js';

/** Protobuf wire types. 3/4 (groups) are deprecated but must still be skippable. */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** Nesting limit for sub-messages and groups, so hostile input cannot exhaust the stack. */
export const MAX_DEPTH = 100;

const TWO_32 = 2 ** 32;

/** Per-field handler table of a message: field number -> [field name (for errors), reader]. */
export type Fields<T> = Record<number, readonly [name: string, read: (r: Reader, out: T) => void]>;

const utf8 = new TextDecoder('utf-8');

export class Reader {
  /** Wire type of the field whose value is about to be read (set by {@link decode}). */
  wire: number = WireType.LEN;
  /** What is being read, for error messages, e.g. `NodeProto.attribute`. */
  where: string;

  /** One little-endian view of the whole input, shared by all sub-readers. */
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
    readonly end = buf.length,
    readonly depth = 0,
    where = 'message',
    view?: DataView,
  ) {
    this.where = where;
    this.view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(what: string, at: number = this.pos): never {
    throw new FormatError(`ONNX: ${what} at byte ${at} while reading ${this.where}`);
  }

  /** Reads all fields of a message up to `end`, dispatching known ones and skipping the rest. */
  decode<T>(msg: string, fields: Fields<T>, out: T): T {
    while (this.pos < this.end) {
      this.where = `${msg} (field key)`;
      const at = this.pos;
      const key = this.uint();
      const field = Math.floor(key / 8);
      this.wire = key % 8;
      if (field === 0 || field >= 2 ** 29) this.fail(`invalid field number ${field}`, at);
      const f = Object.hasOwn(fields, field) ? fields[field] : undefined;
      this.where = f ? `${msg}.${f[0]}` : `${msg} field ${field}`;
      if (f) f[1](this, out);
      else this.skip(field, at);
    }
    return out;
  }

  private expect(...wires: number[]): void {
    if (!wires.includes(this.wire)) this.fail(`bad wire type ${this.wire} (expected ${wires.join(' or ')})`);
  }

  /** Raw varint as [low 32 bits, high 32 bits]; at most 10 bytes, as in the spec. */
  private varint64(): [number, number] {
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint', start);
      const b = this.buf[this.pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28; // low 4 bits land in lo, the rest in hi
        hi |= bits >>> 4;
      } else if (i < 9) hi |= bits << (7 * i - 32);
      else if (b >= 0x80) this.fail('varint longer than 10 bytes', start);
      else if (b > 1) this.fail('varint overflows 64 bits', start);
      else hi |= b << 31; // the 10th byte holds bit 63 only
      if (b < 0x80) break;
    }
    return [lo >>> 0, hi >>> 0];
  }

  /** Unsigned varint (field keys, lengths, uint64) as a number; must be a safe integer. */
  uint(): number {
    const at = this.pos;
    const [lo, hi] = this.varint64();
    if (hi > 0x1fffff) this.fail('varint out of safe integer range', at);
    return hi * TWO_32 + lo;
  }

  /** Signed int64/int32 varint (two's complement, negative values take 10 bytes). */
  int64(): number {
    this.expect(WireType.VARINT);
    const at = this.pos;
    const [lo, hi] = this.varint64();
    if (hi < 0x80000000) {
      if (hi > 0x1fffff) this.fail('int64 out of safe integer range', at);
      return hi * TWO_32 + lo;
    }
    // Negative: magnitude is the two's complement of the 64-bit value.
    const mlo = (~lo + 1) >>> 0;
    const mhi = (~hi + (mlo === 0 ? 1 : 0)) >>> 0;
    if (mhi > 0x1fffff) this.fail('int64 out of safe integer range', at);
    return -(mhi * TWO_32 + mlo);
  }

  /** Length prefix of a LEN field, checked against the bytes left in this message. */
  private length(): number {
    this.expect(WireType.LEN);
    const at = this.pos;
    const n = this.uint();
    if (n > this.end - this.pos) this.fail(`length ${n} runs past end of buffer (${this.end - this.pos} bytes left)`, at);
    return n;
  }

  private take(n: number): number {
    if (n > this.end - this.pos) this.fail(`truncated ${n}-byte value (${this.end - this.pos} bytes left)`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  float(): number {
    this.expect(WireType.I32);
    return this.view.getFloat32(this.take(4), true);
  }

  double(): number {
    this.expect(WireType.I64);
    return this.view.getFloat64(this.take(8), true);
  }

  /** A view into the input (no copy). */
  bytes(): Uint8Array {
    const n = this.length();
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** Reader over a length-delimited sub-message; the parent skips past it. */
  message(): Reader {
    const n = this.length();
    if (this.depth + 1 > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const at = this.take(n);
    return new Reader(this.buf, at, at + n, this.depth + 1, this.where, this.view);
  }

  /** Repeated scalar: accepts both packed (LEN) and one-element-per-field encodings, as the spec requires. */
  private repeated(out: number[], wire: number, size: number, one: (r: Reader) => number): void {
    if (this.wire !== WireType.LEN) {
      this.expect(wire);
      out.push(one(this));
      return;
    }
    const at = this.pos;
    const sub = this.message();
    if (size > 0 && (sub.end - sub.pos) % size !== 0) this.fail(`packed length ${sub.end - sub.pos} is not a multiple of ${size}`, at);
    sub.wire = wire;
    while (sub.pos < sub.end) out.push(one(sub));
  }

  floats(out: number[]): void {
    this.repeated(out, WireType.I32, 4, (r) => r.float());
  }

  doubles(out: number[]): void {
    this.repeated(out, WireType.I64, 8, (r) => r.double());
  }

  int64s(out: number[]): void {
    this.repeated(out, WireType.VARINT, 0, (r) => r.int64());
  }

  /** Skips one field's value (the key at `keyAt` has been read), including nested groups. */
  skip(field: number, keyAt: number): void {
    switch (this.wire) {
      case WireType.VARINT:
        this.varint64();
        return;
      case WireType.I64:
        this.take(8);
        return;
      case WireType.LEN:
        this.take(this.length());
        return;
      case WireType.I32:
        this.take(4);
        return;
      case WireType.SGROUP:
        return this.skipGroup(field, keyAt, this.depth + 1);
      case WireType.EGROUP:
        return this.fail(`unexpected end-group for field ${field}`, keyAt);
      default:
        return this.fail(`bad wire type ${this.wire}`, keyAt);
    }
  }

  private skipGroup(field: number, startAt: number, depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`, startAt);
    for (;;) {
      if (this.pos >= this.end) this.fail(`unterminated group (field ${field})`, startAt);
      const at = this.pos;
      const key = this.uint();
      const inner = Math.floor(key / 8);
      this.wire = key % 8;
      if (inner === 0) this.fail('invalid field number 0', at);
      if (this.wire === WireType.EGROUP) {
        if (inner !== field) this.fail(`end-group for field ${inner} inside group ${field}`, at);
        return;
      }
      if (this.wire === WireType.SGROUP) this.skipGroup(inner, at, depth + 1);
      else this.skip(inner, at);
    }
  }
}
