import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FormatError } from '../../src/errors.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { fuzzReader, type FuzzInput } from './harness.js';
import { prototypeKey } from './json_hostile.js';

/** The same array with a version 2.0 or 3.0 header (a 4-byte header length instead of 2). */
function withVersion(npy: Uint8Array, major: 2 | 3): Uint8Array {
  const headerLength = npy[8] | (npy[9] << 8);
  const out = new Uint8Array(npy.length + 2);
  out.set(npy.subarray(0, 8));
  out[6] = major;
  new DataView(out.buffer).setUint32(8, headerLength, true);
  out.set(npy.subarray(10), 12);
  return out;
}

const seeds = [
  writeNpy({ dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, NaN, -Infinity) }),
  writeNpy({ dtype: 'float64', shape: [3], data: Float64Array.of(1e-300, 2, -0) }),
  writeNpy({ dtype: 'uint8', shape: [2, 1, 2], data: Uint8Array.of(0, 255, 7, 8) }),
  writeNpy({ dtype: 'float32', shape: [], data: Float32Array.of(42) }),
  writeNpy({ dtype: 'float32', shape: [0, 4], data: new Float32Array(0) }),
];
seeds.push(withVersion(seeds[0], 2), withVersion(seeds[2], 3));

/** A version 1.0 file with any header text and a few data bytes. */
function npyFile(header: string, data: Uint8Array, major = 1): Uint8Array {
  const text = new TextEncoder().encode(header);
  const lenSize = major === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenSize + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (lenSize === 2) view.setUint16(8, text.length & 0xffff, true);
  else view.setUint32(8, text.length, true);
  out.set(text, 8 + lenSize);
  out.set(data, 8 + lenSize + text.length);
  return out;
}

const dimText = fc.oneof(fc.constantFrom('0', '1', '3', '-1', '1.5', '4294967296', '99999999999999999999', 'None', ''), fc.nat({ max: 8 }).map(String));

/** Header dicts that lie: huge or odd dims, repeated or prototype keys, other dtypes, very long headers. */
const hostileHeader: fc.Arbitrary<string> = fc.record({
  descr: fc.constantFrom("'<f4'", "'<f8'", "'|u1'", "'>f4'", "'<i8'", "'O'", "''", 'True', '(1,)', `'${'x'.repeat(5000)}'`),
  fortran: fc.constantFrom('False', 'True', "'no'", '0'),
  dims: fc.array(dimText, { maxLength: 6 }),
  extra: fc.array(fc.tuple(fc.oneof(prototypeKey, fc.constantFrom('descr', 'shape', 'x')),
    fc.constantFrom("'a'", 'True', '()', `(${'1, '.repeat(3000)})`, `'${'y'.repeat(60_000)}'`)), { maxLength: 2 }),
  padding: fc.constantFrom(0, 1, 100, 70_000),
}).map(({ descr, fortran, dims, extra, padding }) =>
  `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': (${dims.join(', ')}), ` +
  extra.map(([k, v]) => `'${k}': ${v}, `).join('') + '}' + ' '.repeat(padding) + '\n');

const generated: fc.Arbitrary<FuzzInput> = fc.tuple(hostileHeader, fc.uint8Array({ maxLength: 64 }), fc.constantFrom(1, 1, 2, 3))
  .map(([header, data, major]) => ({ seed: -1, bytes: npyFile(header, data, major) }));

test('fuzz: .npy reading', () => {
  const report = fuzzReader({
    name: 'npy', seeds, generated,
    read: ({ bytes }) => {
      readNpy(bytes, 'fuzz.npy');
    },
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

// Regressions found by the fuzzer.

test('npy: a huge header gives a short error message', () => {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': '${'y'.repeat(60_000)}', }\n`;
  assert.throws(() => readNpy(npyFile(header, new Uint8Array(4)), 'big.npy'),
    (e: unknown) => e instanceof FormatError && e.message.startsWith('big.npy: bad .npy header (keys are descr,fortran_order,shape,x') && e.message.length < 500);
});

test('npy: a dimension beyond 2^53 is rejected even when another dimension is 0', () => {
  assert.throws(() => readNpy(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 99999999999999999999), }\n", new Uint8Array(0))),
    /shape entry '99999999999999999999' is not a non-negative integer below 2\^53/);
});
