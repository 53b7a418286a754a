import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { FormatError } from '../../src/errors.js';
import { loadIdxPair } from '../../src/data/idx.js';
import { idxBytes, randomImages, tempDir } from '../data/fixtures.js';
import { fuzzReader, mutate, mutation, type FuzzInput } from './harness.js';

const { dir, cleanup } = tempDir('fuzz-idx');
after(cleanup);

const { pixels, labels } = randomImages(5, 4, 3, 3, 1);
const images = idxBytes(0x803, [5, 4, 3], pixels);
const labelFile = idxBytes(0x801, [5], labels);
const valid = { images: join(dir, 'images-idx3-ubyte'), labels: join(dir, 'labels-idx1-ubyte') };
writeFileSync(valid.images, images);
writeFileSync(valid.labels, labelFile);

/** Seed 0 mutates the images file, seed 1 the labels file; the other file of the pair stays valid. */
function readPair(input: FuzzInput, gz: boolean): void {
  const path = join(dir, `fuzzed${gz ? '.gz' : ''}`);
  writeFileSync(path, input.bytes);
  if (input.seed === 0) loadIdxPair(path, valid.labels);
  else loadIdxPair(valid.images, path);
}

/** IDX headers that lie: any magic type and rank byte, huge or zero dimensions, with a little data after them. */
const lyingHeader: fc.Arbitrary<Uint8Array> = fc.record({
  seed: fc.nat({ max: 1 }),
  dims: fc.array(fc.oneof(fc.constantFrom(0, 1, 3, 4, 5, 0x7fffffff, 0x80000000, 0xffffffff), fc.nat()), { minLength: 1, maxLength: 3 }),
  data: fc.uint8Array({ maxLength: 64 }),
}).map(({ seed, dims, data }) => idxBytes(seed === 0 ? 0x803 : 0x801, dims, data));

test('fuzz: IDX image and label files', () => {
  const generated = fc.tuple(fc.nat({ max: 1 }), lyingHeader).map(([seed, bytes]) => ({ seed, bytes }));
  const report = fuzzReader({ name: 'idx', seeds: [images, labelFile], read: (input) => readPair(input, false), generated });
  assert.ok(report.valid > 0 && report.errors > 0);
});

test('fuzz: gzip-compressed IDX files', () => {
  const seeds = [gzipSync(images), gzipSync(labelFile)];
  // Valid gzip around mutated content reaches the IDX checks; the mutated seeds exercise the gzip layer.
  const generated = fc.tuple(fc.nat({ max: 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([seed, ms]) => ({ seed, bytes: new Uint8Array(gzipSync(ms.reduce(mutate, seed === 0 ? images : labelFile))) }));
  const report = fuzzReader({
    name: 'idx.gz', seeds, read: (input) => readPair(input, true), generated,
    // A gzip member may legitimately expand ~1000x (deflate's limit); the reader caps output at the header's size.
    budget: (input) => (1 << 20) + 1100 * input.bytes.length,
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

test('IDX: a gzip file whose header claims far more data than it holds is a FormatError', () => {
  const path = join(dir, 'bomb-images-idx3-ubyte.gz');
  writeFileSync(path, gzipSync(idxBytes(0x803, [1000, 1000, 100], new Uint8Array(1000))));
  assert.throws(() => loadIdxPair(path, valid.labels), FormatError);
});
