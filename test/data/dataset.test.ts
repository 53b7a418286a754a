import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { ImageDataset, splitDataset, stratifiedSplit } from '../../src/data/dataset.js';

test('ImageDataset scales bytes to 0..1 per sample and checks sizes, labels and indices', () => {
  const ds = new ImageDataset({ pixels: new Uint8Array([0, 51, 255, 102, 0, 0]), labels: [1, 0] as unknown as Uint8Array,
    imageShape: [1, 3, 1], numClasses: 2, classNames: ['no', 'yes'] });
  assert.deepEqual([...ds.get(0).image], [0, 0.2, 1].map(Math.fround));
  assert.equal(ds.get(1).label, 0);
  assert.deepEqual(ds.classCounts(), [1, 1]);
  assert.throws(() => ds.get(2), /index 2 is outside 0\.\.1/);
  assert.throws(() => new ImageDataset({ pixels: new Uint8Array(5), labels: new Uint8Array(2), imageShape: [1, 3, 1], numClasses: 2 }),
    (e: Error) => e instanceof ShapeError && /2 labels need 6 pixel bytes/.test(e.message));
  assert.throws(() => new ImageDataset({ pixels: new Uint8Array(3), labels: new Uint8Array([3]), imageShape: [1, 3, 1], numClasses: 2 }),
    (e: Error) => e instanceof ArgumentError && /label 3 of sample 0/.test(e.message));
  assert.throws(() => new ImageDataset({ pixels: new Uint8Array(0), labels: new Uint8Array(0), imageShape: [0, 3, 1], numClasses: 2 }), ShapeError);
  const sub = ds.subset([1, 1, 0]);
  assert.deepEqual([...sub.labels], [0, 0, 1]);
  assert.deepEqual([...sub.pixels.subarray(6)], [0, 51, 255]);
  assert.deepEqual(sub.classNames, ['no', 'yes']);
});

test('stratifiedSplit: disjoint, complete, per-class shares, exact total, deterministic by seed', () => {
  const labels = Int32Array.from({ length: 1003 }, (_, i) => (i * 7) % 3 === 0 ? 0 : i % 5 === 0 ? 1 : 2);
  const a = stratifiedSplit(labels, 3, 0.25, 42);
  const all = [...a.train, ...a.test].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 1003 }, (_, i) => i));
  assert.equal(a.test.length, Math.round(0.25 * 1003));
  for (let c = 0; c < 3; c++) {
    const n = labels.filter((l) => l === c).length;
    const t = a.test.filter((i) => labels[i] === c).length;
    assert.ok(Math.abs(t - 0.25 * n) < 1, `class ${c}: ${t} of ${n}`);
  }
  assert.deepEqual(stratifiedSplit(labels, 3, 0.25, 42), a);
  assert.notDeepEqual(stratifiedSplit(labels, 3, 0.25, 43).test, a.test);
  assert.throws(() => stratifiedSplit(labels, 3, 1, 0), ArgumentError);
  assert.throws(() => stratifiedSplit([0, 5], 3, 0.5, 0), /label 5 of sample 1/);
});

test('splitDataset copies the chosen samples into two datasets', () => {
  const ds = new ImageDataset({ pixels: Uint8Array.from({ length: 10 }, (_, i) => i), labels: new Uint8Array([0, 0, 1, 1, 1, 0, 1, 0, 1, 0]),
    imageShape: [1, 1, 1], numClasses: 2 });
  const { train, test: te } = splitDataset(ds, 0.4, 1);
  assert.deepEqual([train.length, te.length], [6, 4]);
  assert.deepEqual(te.classCounts(), [2, 2]);
  assert.deepEqual([...train.pixels, ...te.pixels].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
