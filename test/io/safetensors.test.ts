import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ArgumentError, FormatError, ShapeError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { Tensor } from '../../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const f32 = (values: number[]) => Float32Array.from(values);

/** A file from a header object and raw data bytes, exactly as given (for malformed cases). */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function leBytes(kind: 'u16' | 'f32' | 'f64' | 'i64', values: (number | bigint)[]): Uint8Array {
  const size = { u16: 2, f32: 4, f64: 8, i64: 8 }[kind];
  const out = new Uint8Array(values.length * size);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => {
    if (kind === 'u16') v.setUint16(i * size, x as number, true);
    else if (kind === 'f32') v.setFloat32(i * size, x as number, true);
    else if (kind === 'f64') v.setFloat64(i * size, x as number, true);
    else v.setBigInt64(i * size, x as bigint, true);
  });
  return out;
}

test('encode/decode round trip: shapes (scalar, empty), special values, metadata, awkward names', () => {
  const tensors = new Map([
    ['conv.weight', { shape: [2, 1, 1, 3], data: f32([1.5, -2, 0, -0, 1e-45, 3.4e38]) }],
    ['bn.running_var', { shape: [3], data: f32([NaN, Infinity, -Infinity]) }],
    ['step', { shape: [], data: f32([7]) }],
    ['empty', { shape: [0, 4], data: f32([]) }],
    ['__proto__', { shape: [1], data: f32([1]) }],
    ['constructor', { shape: [1], data: f32([2]) }],
    ['ünïcødé.层', { shape: [1], data: f32([3]) }],
  ]);
  const bytes = encodeSafetensors(tensors, { format: 'pt', epoch: '3', __proto__x: 'y' });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0, 'data starts 8-byte aligned');
  const { tensors: back, metadata } = decodeSafetensors(bytes);
  assert.deepEqual([...back.keys()].sort(), [...tensors.keys()].sort());
  for (const [name, t] of tensors) {
    const got = back.get(name)!;
    assert.deepEqual(got.shape, t.shape, name);
    assert.equal(got.dtype, 'F32');
    assert.deepEqual(got.data, t.data, name);
  }
  assert.ok(Object.is(back.get('conv.weight')!.data[3], -0));
  assert.deepEqual({ ...metadata }, { format: 'pt', epoch: '3', __proto__x: 'y' });
  assert.equal(Object.getPrototypeOf(metadata), null);
});

test('the header is the documented layout: F32 entries in name order with contiguous data_offsets', () => {
  const bytes = encodeSafetensors(new Map([['b', { shape: [2], data: f32([1, 2]) }], ['a', { shape: [1], data: f32([3]) }]]));
  const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  assert.equal(header.trimEnd(), '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}');
  assert.deepEqual([...bytes.subarray(8 + length)], [...leBytes('f32', [3, 1, 2])]);
});

test('a Map of Tensors (a state dict) can be encoded directly', () => {
  const w = new Tensor([1, 2, 3, 4], [2, 2]);
  const back = decodeSafetensors(encodeSafetensors(new Map([['w', w]]))).tensors.get('w')!;
  assert.deepEqual(back.shape, [2, 2]);
  assert.deepEqual([...back.data], [1, 2, 3, 4]);
});

test('F16, BF16, F64 and integer tensors are read as float32', () => {
  const parts: [string, string, number[], Uint8Array, number[]][] = [
    ['half', 'F16', [7], leBytes('u16', [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0xfc00]),
      [1, -2, 0.5, 65504, 2 ** -24, Infinity, -Infinity]],
    ['brain', 'BF16', [3], leBytes('u16', [0x3f80, 0xc020, 0x0000]), [1, -2.5, 0]],
    ['double', 'F64', [2], leBytes('f64', [0.1, -1e300]), [Math.fround(0.1), -Infinity]],
    ['count', 'I64', [1], leBytes('i64', [123456n]), [123456]],
    ['flags', 'BOOL', [2], new Uint8Array([0, 5]), [0, 1]],
  ];
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const [name, dtype, shape, bytes] of parts) {
    header[name] = { dtype, shape, data_offsets: [at, at + bytes.length] };
    chunks.push(bytes);
    at += bytes.length;
  }
  const data = new Uint8Array(at);
  chunks.reduce((o, c) => (data.set(c, o), o + c.length), 0);
  const { tensors } = decodeSafetensors(rawFile(header, data));
  for (const [name, dtype, , , expected] of parts) {
    assert.equal(tensors.get(name)!.dtype, dtype);
    assert.deepEqual([...tensors.get(name)!.data], expected, name);
  }
  const nan = decodeSafetensors(rawFile({ n: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, leBytes('u16', [0x7e00])));
  assert.ok(Number.isNaN(nan.tensors.get('n')!.data[0]));
});

test('a __proto__ tensor or metadata key cannot pollute prototypes', () => {
  const header = '{"__metadata__":{"__proto__":"x","polluted":"no"},"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
  const { tensors, metadata } = decodeSafetensors(rawFile(null, leBytes('f32', [5]), header));
  assert.deepEqual([...tensors.get('__proto__')!.data], [5]);
  assert.equal(metadata['__proto__'], 'x');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'dtype'), false);
});

test('malformed files: each is a FormatError naming the file, the tensor and the byte offset', () => {
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const eight = new Uint8Array(8);
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /5 bytes is too short for a safetensors file \(8-byte header length at byte 0\)/],
    ['header too long', (() => { const b = rawFile({ w: ok }, eight); new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true); return b; })(),
      /header length 1099511627776 at byte 0 does not fit the \d+-byte file/],
    ['zero header', new Uint8Array(16), /header length 0 at byte 0/],
    ['bad json', rawFile(null, eight, '{"w": {'), /the JSON header \(bytes 8\.\.15\) is not valid UTF-8 JSON/],
    ['bad utf-8', rawFile(null, eight, '{"w":1}').map((v, i) => (i === 10 ? 0xff : v)), /is not valid UTF-8 JSON/],
    ['array', rawFile([1, 2]), /is not a JSON object/],
    ['metadata', rawFile({ __metadata__: { epoch: 3 }, w: ok }, eight), /__metadata__ in the JSON header .* must map strings to strings/],
    ['dtype', rawFile({ w: { ...ok, dtype: 'F8_E4M3' } }, eight), /tensor 'w' in .*: dtype "F8_E4M3" is not one of F32, F16, BF16, F64/],
    ['shape', rawFile({ w: { ...ok, shape: [2, -1] } }, eight), /tensor 'w' .*shape \[2,-1\] is not a list of non-negative integers/],
    ['offsets', rawFile({ w: { ...ok, data_offsets: [8, 0] } }, eight), /tensor 'w' .*data_offsets \[8,0\] is not \[begin, end\]/],
    ['entry', rawFile({ w: 'F32' }, eight), /tensor 'w' .*entry is not an object/],
    ['size', rawFile({ w: { ...ok, shape: [3] } }, eight), /tensor 'w' .*data_offsets \[0, 8\] span 8 bytes but F32 \[3\] needs 12/],
    ['gap', rawFile({ a: { ...ok, data_offsets: [0, 8] }, b: { ...ok, data_offsets: [12, 20] } }, new Uint8Array(20)),
      /tensor 'b' starts at data byte 12 \(file byte \d+\) but tensor 'a' ends at 8: tensors must be contiguous, without gaps/],
    ['overlap', rawFile({ a: { ...ok, data_offsets: [0, 8] }, b: { ...ok, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /tensor 'b' starts at data byte 4 .* but tensor 'a' ends at 8: .*without overlaps/],
    ['late start', rawFile({ a: { ...ok, data_offsets: [4, 12] } }, new Uint8Array(12)),
      /tensor 'a' starts at data byte 4 .* but the start of the data ends at 0/],
    ['truncated', rawFile({ w: ok }, new Uint8Array(6)), /the tensors end at data byte 8 \(file byte \d+\) but the file has 6 data bytes .*truncated/],
    ['trailing', rawFile({ w: ok }, new Uint8Array(10)), /file has 10 data bytes .*trailing bytes after the last tensor/],
  ];
  for (const [what, bytes, pattern] of cases)
    assert.throws(() => decodeSafetensors(bytes, 'model.safetensors'), (e: Error) => {
      assert.ok(e instanceof FormatError, `${what}: ${e}`);
      assert.ok(e.message.startsWith('model.safetensors: '), what);
      assert.match(e.message, pattern, what);
      return true;
    });
});

test('encode rejects tensors whose data does not fit the shape, reserved names and non-string metadata', () => {
  assert.throws(() => encodeSafetensors(new Map([['w', { shape: [2, 2], data: f32([1, 2, 3]) }]])),
    (e: Error) => e instanceof ShapeError && /tensor 'w' has 3 values but shape \[2, 2\]/.test(e.message));
  assert.throws(() => encodeSafetensors(new Map([['__metadata__', { shape: [1], data: f32([1]) }]])), ArgumentError);
  assert.throws(() => encodeSafetensors(new Map(), { epoch: 3 as unknown as string }), /metadata 'epoch' is a number/);
});

test('saveSafetensors / loadSafetensors round trip on disk; load errors name the file', async () => {
  const path = join(dir, 'ckpt.safetensors');
  await saveSafetensors(path, new Map([['w', { shape: [3], data: f32([1, 2, 3]) }]]), { step: '10' });
  const { tensors, metadata } = await loadSafetensors(path);
  assert.deepEqual([...tensors.get('w')!.data], [1, 2, 3]);
  assert.equal(metadata.step, '10');
  await saveSafetensors(path, new Map([['v', { shape: [1], data: f32([9]) }]]));
  assert.deepEqual([...(await loadSafetensors(path)).tensors.keys()], ['v'], 'overwrites');
  writeFileSync(join(dir, 'broken.safetensors'), readFileSync(path).subarray(0, 20));
  await assert.rejects(loadSafetensors(join(dir, 'broken.safetensors')), /^FormatError: broken\.safetensors: /);
});

test('a failed save leaves the previous file intact and no temporary file behind', async () => {
  const sub = mkdtempSync(join(dir, 'atomic-'));
  const path = join(sub, 'model.safetensors');
  await saveSafetensors(path, new Map([['w', { shape: [2], data: f32([1, 2]) }]]));
  const before = readFileSync(path);
  await assert.rejects(saveSafetensors(path, new Map([['w', { shape: [3], data: f32([1, 2]) }]])), ShapeError);
  const disposed = new Tensor([1], [1]);
  disposed.dispose();
  await assert.rejects(saveSafetensors(path, new Map([['w', disposed]])), /used after dispose/);
  assert.deepEqual(readFileSync(path), before);
  assert.deepEqual(readdirSync(sub), ['model.safetensors']);
});
