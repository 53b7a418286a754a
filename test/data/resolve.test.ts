import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { DATASET_SPECS, resolveDataset } from '../../src/data/resolve.js';
import { cifarRecords, pngBytes, randomImages, tempDir, writeData, writeIdxPair } from './fixtures.js';

const { dir, cleanup } = tempDir('resolve');
after(cleanup);

test('resolveDataset: unknown or incomplete specs list every accepted form', () => {
  for (const spec of ['imagenet', 'cifar10', 'folder:', 'mnist:/tmp', ''])
    assert.throws(() => resolveDataset(spec), (e: Error) => {
      assert.ok(e instanceof ArgumentError, spec);
      assert.match(e.message, new RegExp(`^dataset '${spec}'`));
      for (const form of ['mnist', 'fashion-mnist', 'cifar10:DIR', 'cifar100:DIR', 'folder:DIR', 'idx:DIR'])
        assert.ok(e.message.includes(form), `${spec}: lists ${form}`);
      return true;
    });
  assert.equal(DATASET_SPECS.length, 6);
});

test('resolveDataset: mnist, idx:DIR, cifar10:DIR, cifar100:DIR, folder:DIR and fashion-mnist:DIR', () => {
  const mnist = resolveDataset('mnist', { testFraction: 0.5, seed: 3 });
  assert.deepEqual([mnist.train.length, mnist.test.length], [5000, 5000]);

  const idx = join(dir, 'idx');
  const { pixels, labels } = randomImages(4, 5, 5, 2, 1);
  writeIdxPair(join(idx, 'train-images-idx3-ubyte.gz'), join(idx, 'train-labels-idx1-ubyte.gz'), pixels, labels, 5, 5);
  writeIdxPair(join(idx, 't10k-images-idx3-ubyte'), join(idx, 't10k-labels-idx1-ubyte'), pixels, labels, 5, 5);
  assert.deepEqual(resolveDataset(`idx:${idx}`).test.imageShape, [5, 5, 1]);
  assert.equal(resolveDataset(`fashion-mnist:${idx}`).train.classNames?.[0], 'T-shirt/top');

  const c10 = join(dir, 'c10');
  for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'])
    writeData(join(c10, `${f}.bin`), cifarRecords([[1]]));
  assert.equal(resolveDataset(`cifar10:${c10}`).train.length, 5);
  const c100 = join(dir, 'c100');
  for (const f of ['train', 'test']) writeData(join(c100, `${f}.bin`), cifarRecords([[1, 77]]));
  assert.equal(resolveDataset(`cifar100:${c100}`).test.labels[0], 77);

  const folder = join(dir, 'folder');
  for (const cls of ['x', 'y'])
    for (let i = 0; i < 5; i++) writeData(join(folder, cls, `${i}.png`), pngBytes(4, 4, () => [9, 9, 9, 255]));
  const f = resolveDataset(`folder:${folder}`, { imageSize: 3, channels: 1, testFraction: 0.4 });
  assert.deepEqual(f.train.imageShape, [3, 3, 1]);
  assert.deepEqual(f.test.classCounts(), [2, 2]);
});
