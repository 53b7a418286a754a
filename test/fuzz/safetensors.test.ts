import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FormatError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors_codec.js';
import { fuzzReader, type FuzzInput } from './harness.js';
import { anyJson, deeplyNested, hostileNumber, jsonObject, prototypeKey } from './json_hostile.js';

/** A safetensors file from a header text and data bytes; `declared` overrides the 8-byte header length. */
export function safetensorsFile(headerText: string, data: Uint8Array, declared?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const seeds = [
  encodeSafetensors(new Map([
    ['conv.weight', { shape: [3, 3, 1, 2], data: Float32Array.from({ length: 18 }, (_, i) => i - 9) }],
    ['conv.bias', { shape: [2], data: Float32Array.of(0.5, -0.5) }],
    ['bn.num_batches_tracked', { shape: [], data: Float32Array.of(7) }],
  ]), { format: 'pt', note: '__proto__' }),
  // Other dtypes, an empty tensor and a prototype-named tensor, written by hand.
  safetensorsFile(jsonObject([
    ['__metadata__', '{"constructor":"x"}'],
    ['half', '{"dtype":"F16","shape":[2],"data_offsets":[0,4]}'],
    ['__proto__', '{"dtype":"I64","shape":[1],"data_offsets":[4,12]}'],
    ['empty', '{"dtype":"BF16","shape":[0,5],"data_offsets":[12,12]}'],
    ['mask', '{"dtype":"BOOL","shape":[2,2],"data_offsets":[12,16]}'],
  ]), Uint8Array.of(0x00, 0x3c, 0x00, 0xc0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0)),
];

/** One tensor entry whose fields are hostile: prototype keys, deep nesting, huge or negative sizes, wrong types. */
const hostileEntry = fc.record({
  name: fc.oneof(prototypeKey, fc.constantFrom('__metadata__', 'w', ''), fc.string({ maxLength: 8 })),
  dtype: fc.oneof(fc.constantFrom('"F32"', '"F16"', '"BF16"', '"F64"', '"I64"', '"U8"', '"BOOL"', '"F8"', '"f32"'), anyJson),
  shape: fc.oneof(
    fc.array(fc.oneof(hostileNumber, fc.nat({ max: 8 }).map(String)), { maxLength: 6 }).map((ds) => `[${ds.join(',')}]`),
    anyJson),
  offsets: fc.oneof(
    fc.tuple(fc.oneof(hostileNumber, fc.nat({ max: 64 }).map(String)), fc.oneof(hostileNumber, fc.nat({ max: 64 }).map(String)))
      .map(([a, b]) => `[${a},${b}]`),
    anyJson),
});

const generated: fc.Arbitrary<FuzzInput> = fc.record({
  entries: fc.array(hostileEntry, { maxLength: 4 }),
  metadata: fc.option(fc.oneof(anyJson, deeplyNested), { nil: undefined }),
  data: fc.uint8Array({ maxLength: 64 }),
  declared: fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: undefined, freq: 4 }),
}).map(({ entries, metadata, data, declared }) => {
  const pairs: [string, string][] = entries.map((e) =>
    [e.name, jsonObject([['dtype', e.dtype], ['shape', e.shape], ['data_offsets', e.offsets]])]);
  if (metadata !== undefined) pairs.unshift(['__metadata__', metadata]);
  return { seed: -1, bytes: safetensorsFile(jsonObject(pairs), data, declared) };
});

test('fuzz: safetensors decoding', () => {
  const report = fuzzReader({
    name: 'safetensors',
    seeds,
    read: ({ bytes }) => {
      decodeSafetensors(bytes, 'fuzz.safetensors');
    },
    generated,
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

// Regressions found by the fuzzer.

test('safetensors: deeply nested shape, dtype or offsets give a FormatError, not a stack overflow', () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  for (const entry of [
    `{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}`,
    `{"dtype":${deep},"shape":[1],"data_offsets":[0,4]}`,
    `{"dtype":"F32","shape":[1],"data_offsets":${deep}}`,
  ])
    assert.throws(() => decodeSafetensors(safetensorsFile(`{"w":${entry}}`, new Uint8Array(4)), 'deep.safetensors'),
      (e: unknown) => e instanceof FormatError && /deep\.safetensors: tensor 'w'/.test(e.message) && e.message.length < 400);
});
