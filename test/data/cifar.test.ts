import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ArgumentError, FormatError } from '../../src/errors.js';
import { CIFAR10_CLASSES, loadCifar10, loadCifar100 } from '../../src/data/cifar.js';
import { cifarRecords, cifarValue, tempDir, writeData } from './fixtures.js';

const { dir, cleanup } = tempDir('cifar');
after(cleanup);

/** A cifar-10-batches-bin folder under `parent` with `perBatch` records per training batch. */
function writeCifar10(parent: string, perBatch: number, gz = false): string {
  const root = join(parent, 'cifar-10-batches-bin');
  for (let k = 1; k <= 5; k++)
    writeData(join(root, `data_batch_${k}.bin${gz && k === 3 ? '.gz' : ''}`),
      cifarRecords(Array.from({ length: perBatch }, (_, r) => [(k + r) % 10])));
  writeData(join(root, 'test_batch.bin'), cifarRecords([[9], [0], [4]]));
  return root;
}

test('CIFAR-10: all five batches (one gzipped), channel-major records become HWC, default class names', () => {
  const root = writeCifar10(join(dir, 'c10'), 2, true);
  const { train, test: te } = loadCifar10(root);
  assert.deepEqual([train.length, te.length], [10, 3]);
  assert.deepEqual(train.imageShape, [32, 32, 3]);
  assert.deepEqual(train.classNames, CIFAR10_CLASSES);
  assert.deepEqual([...train.labels], [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  assert.deepEqual([...te.labels], [9, 0, 4]);
  // Record 1 of test_batch: pixel (y=2, x=5) of each channel.
  const image = te.get(1).image;
  const p = 2 * 32 + 5;
  for (let ch = 0; ch < 3; ch++) assert.equal(Math.round(image[p * 3 + ch] * 255), cifarValue(1, ch, p));
});

test('CIFAR-10: the parent folder works too, and batches.meta.txt names the classes', () => {
  const parent = join(dir, 'c10meta');
  const root = writeCifar10(parent, 1);
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
  writeFileSync(join(root, 'batches.meta.txt'), names.join('\n') + '\n\n');
  assert.deepEqual(loadCifar10(parent).train.classNames, names);
  writeFileSync(join(root, 'batches.meta.txt'), 'only\ntwo\n');
  assert.throws(() => loadCifar10(parent), /batches\.meta\.txt: 2 class names, expected 10/);
});

test('CIFAR-10: a partial record and an out-of-range label name the file and byte', () => {
  const root = writeCifar10(join(dir, 'c10bad'), 1);
  writeData(join(root, 'test_batch.bin'), cifarRecords([[1], [2]]).subarray(0, 3073 + 100));
  assert.throws(() => loadCifar10(root), (e: Error) => e instanceof FormatError &&
    /test_batch\.bin: 3173 bytes is not a whole number of 3073-byte CIFAR records \(record 1 starting at byte 3073/.test(e.message));
  writeData(join(root, 'test_batch.bin'), cifarRecords([[1], [10]]));
  assert.throws(() => loadCifar10(root), /test_batch\.bin: label 10 at byte 3073 \(record 1\) is not below 10 classes/);
});

test('CIFAR-10: missing folders and files are ArgumentErrors that say what to point at', () => {
  assert.throws(() => loadCifar10(join(dir, 'nowhere')), (e: Error) => e instanceof ArgumentError && /directory not found/.test(e.message));
  const root = writeCifar10(join(dir, 'c10missing'), 1);
  writeFileSync(join(root, 'data_batch_4.bin'), new Uint8Array(0));
  assert.throws(() => loadCifar10(root), /data_batch_4\.bin: 0 bytes is not a whole number/);
  assert.throws(() => loadCifar10(dir), /neither it nor .*cifar-10-batches-bin holds test_batch\.bin/);
});

test('CIFAR-100: fine labels by default, coarse on request, class names from the .txt files', () => {
  const root = join(dir, 'c100', 'cifar-100-binary');
  writeData(join(root, 'train.bin.gz'), cifarRecords([[3, 55], [19, 99], [0, 0]]));
  writeData(join(root, 'test.bin'), cifarRecords([[7, 12]]));
  writeFileSync(join(root, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `super${i}`).join('\n'));
  const fine = loadCifar100(join(dir, 'c100'));
  assert.equal(fine.train.numClasses, 100);
  assert.deepEqual([...fine.train.labels], [55, 99, 0]);
  assert.equal(fine.train.classNames, undefined);
  const coarse = loadCifar100(root, { labels: 'coarse' });
  assert.deepEqual([...coarse.train.labels, ...coarse.test.labels], [3, 19, 0, 7]);
  assert.equal(coarse.test.classNames?.[7], 'super7');
  const p = 31 * 32 + 31;
  assert.equal(Math.round(coarse.test.get(0).image[p * 3 + 2] * 255), cifarValue(0, 2, p));
  writeData(join(root, 'test.bin'), cifarRecords([[20, 1]]));
  assert.throws(() => loadCifar100(root, { labels: 'coarse' }), /test\.bin: label 20 at byte 0 \(record 0\) is not below 20 classes/);
  assert.throws(() => loadCifar100(root, { labels: 'medium' as 'fine' }), ArgumentError);
});
