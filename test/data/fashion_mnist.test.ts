import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadFashionMnist } from '../../src/data/fashion_mnist.js';

const installed = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
const skip = installed ? false : `Fashion-MNIST is not installed in ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`;

test("loadFashionMnist reads Debian's dataset-fashion-mnist: 60,000 / 10,000 balanced 28x28 images", { skip }, () => {
  const { train, test: te } = loadFashionMnist();
  assert.deepEqual([train.length, te.length], [60000, 10000]);
  assert.deepEqual(train.imageShape, [28, 28, 1]);
  assert.deepEqual(train.classNames, FASHION_MNIST_CLASSES);
  assert.deepEqual(train.classCounts(), new Array(10).fill(6000));
  assert.deepEqual(te.classCounts(), new Array(10).fill(1000));
  const { image, label } = te.get(0);
  assert.equal(label, 9, 'the first test image is an ankle boot');
  assert.ok(image.every((v) => v >= 0 && v <= 1) && image.some((v) => v > 0.5));
});

test('loadFashionMnist says how to get the data when the folder is missing', () => {
  assert.throws(() => loadFashionMnist('/nonexistent/fashion-mnist'), (e: Error) => e instanceof ArgumentError &&
    /apt-get install dataset-fashion-mnist/.test(e.message) && /idx:DIR/.test(e.message));
});
