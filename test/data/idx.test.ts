import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ArgumentError, FormatError } from '../../src/errors.js';
import { findIdxFiles, loadIdxDirectory, loadIdxPair, readIdxImages, readIdxLabels } from '../../src/data/idx.js';
import { idxBytes, randomImages, tempDir, writeData, writeIdxPair } from './fixtures.js';

const { dir, cleanup } = tempDir('idx');
after(cleanup);

for (const ext of ['', '.gz']) {
  test(`reads IDX images and labels${ext || ' (plain)'}: non-square images keep rows x columns order`, () => {
    const { pixels, labels } = randomImages(5, 3, 4, 3, 1);
    const images = join(dir, `pair${ext}`, `images-idx3-ubyte${ext}`);
    const labelsPath = join(dir, `pair${ext}`, `labels-idx1-ubyte${ext}`);
    writeIdxPair(images, labelsPath, pixels, labels, 3, 4);
    const raw = readIdxImages(images);
    assert.deepEqual([raw.count, raw.rows, raw.columns], [5, 3, 4]);
    assert.deepEqual([...raw.pixels], [...pixels]);
    assert.deepEqual([...readIdxLabels(labelsPath)], [...labels]);
    const ds = loadIdxPair(images, labelsPath);
    assert.equal(ds.length, 5);
    assert.deepEqual(ds.imageShape, [3, 4, 1]);
    assert.equal(ds.numClasses, 3);
    const s = ds.get(2);
    assert.equal(s.label, labels[2]);
    assert.deepEqual([...s.image], [...pixels.subarray(24, 36)].map((v) => Math.fround(v / 255)));
  });
}

test('loadIdxDirectory finds the standard names (plain, .gz and the dotted variant) and shares numClasses', () => {
  const d = join(dir, 'std');
  const train = randomImages(6, 2, 2, 4, 2);
  const test_ = randomImages(3, 2, 2, 2, 3);
  writeIdxPair(join(d, 'train-images-idx3-ubyte.gz'), join(d, 'train-labels.idx1-ubyte'), train.pixels, train.labels, 2, 2);
  writeIdxPair(join(d, 't10k-images-idx3-ubyte'), join(d, 't10k-labels-idx1-ubyte.gz'), test_.pixels, test_.labels, 2, 2);
  writeFileSync(join(d, 'README'), 'not data');
  const files = findIdxFiles(d);
  assert.match(files.trainLabels, /train-labels\.idx1-ubyte$/);
  const { train: tr, test: te } = loadIdxDirectory(d, { classNames: ['a', 'b', 'c', 'd'] });
  assert.deepEqual([tr.length, te.length], [6, 3]);
  assert.equal(te.numClasses, 4);
  assert.deepEqual(te.classNames, ['a', 'b', 'c', 'd']);
  assert.equal(loadIdxDirectory(d).test.numClasses, 4, 'inferred from the larger label set of train and test');
});

test('loadIdxDirectory names the missing file and the expected names', () => {
  const d = join(dir, 'partial');
  const { pixels, labels } = randomImages(2, 2, 2, 2, 4);
  writeIdxPair(join(d, 'train-images-idx3-ubyte'), join(d, 'train-labels-idx1-ubyte'), pixels, labels, 2, 2);
  assert.throws(() => loadIdxDirectory(d), (e: Error) => e instanceof ArgumentError && /no t10k-images-idx3-ubyte\[\.gz\]/.test(e.message));
  assert.throws(() => loadIdxDirectory(join(dir, 'absent')), /directory not found/);
});

/** Writes `bytes` plain and gzipped and checks both reads fail with a FormatError matching `pattern`. */
function assertBadIdx(name: string, bytes: Uint8Array, read: (path: string) => unknown, pattern: RegExp, gzPattern = pattern): void {
  for (const [ext, p] of [['', pattern], ['.gz', gzPattern]] as const) {
    const path = writeData(join(dir, 'bad', name + ext), bytes);
    assert.throws(() => read(path), (e: Error) => {
      assert.ok(e instanceof FormatError, `${name}${ext}: ${e}`);
      assert.match(e.message, p);
      assert.ok(e.message.startsWith(name + ext + ':'), `names the file: ${e.message}`);
      return true;
    });
  }
}

test('wrong magic number is reported with the value, byte 0 and the expected magic', () => {
  const labels = idxBytes(0x801, [2], new Uint8Array(2));
  assertBadIdx('train-images-idx3-ubyte', labels, readIdxImages,
    /magic 0x00000801 at byte 0 is not an IDX image file \(expected 0x00000803/);
  assertBadIdx('x-labels', idxBytes(0x802, [2], new Uint8Array(2)), readIdxLabels,
    /magic 0x00000802 at byte 0 is not an IDX label file \(expected 0x00000801/);
  assertBadIdx('float-images', idxBytes(0xd03, [1, 1, 1], new Uint8Array(4)), readIdxImages, /magic 0x00000d03/);
});

test('a header claiming 2^31 images in a tiny file fails on the header, before reading the data', () => {
  const bytes = idxBytes(0x803, [2 ** 31, 28, 28], new Uint8Array(100));
  assertBadIdx('huge', bytes, readIdxImages, /claims 2147483648 x 28 x 28 = 1683627180032 data bytes but the file can hold at most 100/,
    /claims 2147483648 x 28 x 28 = 1683627180032 data bytes but the file can hold at most \d+/);
});

test('short, truncated, padded and non-gzip files', () => {
  assertBadIdx('tiny', new Uint8Array([0, 0]), readIdxImages, /2 bytes is too short for an IDX header/);
  assertBadIdx('cut-header', idxBytes(0x803, [3], new Uint8Array(0)), readIdxImages, /ends at byte 8, inside its 16-byte IDX header/);
  const truncated = idxBytes(0x803, [2, 2, 2], new Uint8Array(7));
  assertBadIdx('truncated', truncated, readIdxImages, /claims 2 x 2 x 2 = 8 data bytes but the file can hold at most 7 \(truncated file/,
    /decompresses to 23 bytes but its header says 24 \(truncated/);
  const padded = idxBytes(0x801, [2], new Uint8Array(3));
  assertBadIdx('padded', padded, readIdxLabels, /the file has 11 bytes but its header says 10 \(trailing bytes/,
    /decompresses to more than the 10 bytes its header says/);
  assertBadIdx('zero-rows', idxBytes(0x803, [1, 0, 2], new Uint8Array(0)), readIdxImages, /dimension 1 at byte 8 is 0/);
  const fake = join(dir, 'bad', 'fake-idx1-ubyte.gz');
  writeFileSync(fake, idxBytes(0x801, [1], new Uint8Array(1)));
  assert.throws(() => readIdxLabels(fake), /fake-idx1-ubyte\.gz: not a valid gzip file/);
});

test('a gzip stream cut short is a FormatError naming the file', () => {
  const { pixels, labels } = randomImages(20, 8, 8, 2, 5);
  const images = join(dir, 'cut', 'images.gz');
  writeIdxPair(images, join(dir, 'cut', 'labels.gz'), pixels, labels, 8, 8);
  const whole = readFileSync(images);
  writeFileSync(images, whole.subarray(0, whole.length - 40));
  assert.throws(() => readIdxImages(images), (e: Error) => e instanceof FormatError && /images\.gz: not a valid gzip file/.test(e.message));
});

test('label and image counts must match; labels must fit the classes', () => {
  const { pixels, labels } = randomImages(4, 2, 2, 3, 6);
  const d = join(dir, 'mismatch');
  writeIdxPair(join(d, 'images'), join(d, 'labels'), pixels, labels, 2, 2);
  writeData(join(d, 'labels5'), idxBytes(0x801, [5], new Uint8Array(5)));
  assert.throws(() => loadIdxPair(join(d, 'images'), join(d, 'labels5')),
    /labels5: labels file has 5 items but images file images has 4/);
  assert.throws(() => loadIdxPair(join(d, 'images'), join(d, 'labels'), { classNames: ['a', 'b'] }),
    (e: Error) => e instanceof FormatError && /labels: label 2 at byte 10 is not below the 2 classes/.test(e.message));
});
