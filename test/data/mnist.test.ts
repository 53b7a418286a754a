import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadMnist, mnistDigits } from '../../src/data/mnist.js';

test('the bundled digits: 10,000 28x28 grey images over 10 classes, values back on the byte grid', () => {
  const all = mnistDigits();
  assert.equal(all.length, 10000);
  assert.deepEqual(all.imageShape, [28, 28, 1]);
  assert.deepEqual(all.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(all.classCounts(), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  const image = all.get(0).image;
  assert.ok(image.some((v) => v > 0.9) && image.some((v) => v === 0), 'ink on a black background');
});

test('loadMnist: 8,000 / 2,000, every class split 80/20, deterministic for a seed, different across seeds', () => {
  const a = loadMnist();
  assert.deepEqual([a.train.length, a.test.length], [8000, 2000]);
  const total = mnistDigits().classCounts();
  a.test.classCounts().forEach((t, c) => assert.ok(Math.abs(t - 0.2 * total[c]) < 1, `class ${c}: ${t} of ${total[c]}`));
  const b = loadMnist({ seed: 0 });
  assert.deepEqual(b.test.labels, a.test.labels);
  assert.deepEqual(b.test.pixels, a.test.pixels);
  assert.deepEqual(b.train.pixels, a.train.pixels);
  const c = loadMnist({ seed: 1 });
  assert.deepEqual(c.test.classCounts(), a.test.classCounts(), 'the per-class counts do not depend on the seed');
  assert.notDeepEqual(c.test.pixels, a.test.pixels);
  assert.deepEqual(loadMnist({ testFraction: 0.1 }).test.length, 1000);
});
