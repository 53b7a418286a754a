import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { DataLoader, type Batch, type DataLoaderOptions } from '../../src/data/dataloader.js';
import { ImageDataset, type Dataset } from '../../src/data/dataset.js';
import { Random } from '../../src/tensor/random.js';

/** `n` random 5x4 images with `c` channels; pixel bytes are never 0 so zero padding is recognisable. */
function dataset(n: number, c = 3): ImageDataset {
  const rng = new Random(99);
  const pixels = Uint8Array.from({ length: n * 5 * 4 * c }, () => 1 + rng.int(255));
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 4);
  return new ImageDataset({ pixels, labels, imageShape: [5, 4, c], numClasses: 4 });
}

/** A batch as plain arrays, so batches can be compared after their tensors are disposed. */
function plain(b: Batch): { x: number[]; y: number[]; indices: number[]; shape: readonly number[] } {
  const out = { x: [...b.x.data], y: [...b.y], indices: [...b.indices], shape: b.x.shape };
  b.x.dispose();
  return out;
}

function take(loader: DataLoader, n: number) {
  return Array.from({ length: n }, () => plain(loader.nextBatch()));
}

test('an epoch visits every sample once, in [B, H, W, C] batches with a partial last batch', () => {
  const ds = dataset(10);
  const loader = new DataLoader(ds, { batchSize: 4, seed: 1 });
  assert.equal(loader.length, 3);
  const batches = [...loader].map(plain);
  assert.deepEqual(batches.map((b) => b.shape), [[4, 5, 4, 3], [4, 5, 4, 3], [2, 5, 4, 3]]);
  const seen = batches.flatMap((b) => b.indices);
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'shuffled');
  for (const b of batches)
    b.indices.forEach((i, j) => {
      assert.equal(b.y[j], ds.labels[i]);
      assert.deepEqual(b.x.slice(j * 60, (j + 1) * 60), [...ds.get(i).image]);
    });
  assert.deepEqual([loader.epoch, loader.step], [1, 0]);
  const next = [...loader].map(plain).flatMap((b) => b.indices);
  assert.notDeepEqual(next, seen, 'a new order every epoch');
});

test('dropLast, no shuffle, and option errors', () => {
  const ds = dataset(10);
  const loader = new DataLoader(ds, { batchSize: 4, shuffle: false, dropLast: true });
  assert.deepEqual([...loader].map(plain).map((b) => b.indices), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), ArgumentError);
  assert.throws(() => new DataLoader(ds, { batchSize: 11, dropLast: true }), /10 samples, not enough for one batch of 11 with dropLast/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, augment: { cropPadding: -1 } }), ArgumentError);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, normalize: { mean: [0, 0], std: [1] } }),
    /normalize\.mean has 2 entries but the images have 3 channels/);
  assert.throws(() => new DataLoader(ds, { batchSize: 2, normalize: { mean: [0], std: [0] } }), /std must be positive/);
});

test('the same seed gives the same batches; another seed does not', () => {
  const options: DataLoaderOptions = { batchSize: 3, seed: 7, augment: { cropPadding: 2, horizontalFlip: true } };
  const a = take(new DataLoader(dataset(10), options), 8);
  const b = take(new DataLoader(dataset(10), options), 8);
  assert.deepEqual(a, b);
  const c = take(new DataLoader(dataset(10), { ...options, seed: 8 }), 8);
  assert.notDeepEqual(c.map((x) => x.indices), a.map((x) => x.indices));
});

test('state/restore (through JSON) resumes mid-epoch and across epochs with identical batches', () => {
  const options: DataLoaderOptions = { batchSize: 3, seed: 11, augment: { cropPadding: 1, horizontalFlip: true },
    normalize: { mean: [0.5], std: [0.25] } };
  for (const stop of [0, 2, 4, 5, 9]) {
    const original = new DataLoader(dataset(11), options);
    take(original, stop);
    const saved = JSON.parse(JSON.stringify(original.state()));
    const expected = take(original, 7);
    const resumed = new DataLoader(dataset(11), options);
    resumed.restore(saved);
    assert.deepEqual([resumed.epoch, resumed.step], [Math.floor(stop / 4), stop % 4]);
    assert.deepEqual(take(resumed, 7), expected, `resumed after ${stop} batches`);
  }
});

test('iterating after restore yields the rest of that epoch only', () => {
  const loader = new DataLoader(dataset(10), { batchSize: 3, seed: 2 });
  const epoch0 = [...loader].map(plain);
  const fresh = new DataLoader(dataset(10), { batchSize: 3, seed: 2 });
  fresh.nextBatch().x.dispose();
  const state = fresh.state();
  const other = new DataLoader(dataset(10), { batchSize: 3, seed: 2 });
  other.restore(state);
  assert.deepEqual([...other].map(plain), epoch0.slice(1));
  assert.equal(other.epoch, 1);
});

test('restore refuses states of other loaders or malformed states', () => {
  const loader = new DataLoader(dataset(10), { batchSize: 3 });
  const state = loader.state();
  assert.throws(() => new DataLoader(dataset(10), { batchSize: 4 }).restore(state), /batches of 3 over 10 samples but this loader has batches of 4/);
  assert.throws(() => loader.restore({ ...state, step: 4 }), /step 4 is not a position/);
  assert.throws(() => loader.restore({ ...state, augmentRng: [1, 2, 3] }), /augmentRng must be four 32-bit unsigned integers/);
  assert.throws(() => loader.restore({ ...state, shuffleRng: [1, 2, 3, -1] }), ArgumentError);
});

/** Whether `out` is `input` shifted by (dy, dx) with zeros where the shifted window leaves the image. */
function isShift(input: Float32Array, out: number[], h: number, w: number, c: number, dy: number, dx: number, flip: boolean): boolean {
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const ox = flip ? w - 1 - x : x;
        const sy = y + dy, sx = ox + dx;
        const v = sy >= 0 && sy < h && sx >= 0 && sx < w ? input[(sy * w + sx) * c + ch] : 0;
        if (Math.abs(out[(y * w + x) * c + ch] - v) > 1e-6) return false;
      }
  return true;
}

test('augmentation: crops are padded shifts within the padding, flips mirror, shapes are kept, both vary', () => {
  const ds = dataset(40, 2);
  const p = 2;
  const loader = new DataLoader(ds, { batchSize: 8, seed: 3, augment: { cropPadding: p, horizontalFlip: true } });
  const shifts = new Set<string>();
  let flips = 0;
  for (const b of [...loader].map(plain)) {
    assert.deepEqual(b.shape.slice(1), [5, 4, 2]);
    b.indices.forEach((i, j) => {
      const out = b.x.slice(j * 40, (j + 1) * 40);
      const input = ds.get(i).image;
      let found = false;
      for (let dy = -p; dy <= p && !found; dy++)
        for (let dx = -p; dx <= p && !found; dx++)
          for (const flip of [false, true])
            if (!found && isShift(input, out, 5, 4, 2, dy, dx, flip)) {
              found = true;
              shifts.add(`${dy},${dx}`);
              if (flip) flips++;
            }
      assert.ok(found, `sample ${i} is a padded crop (and maybe a flip) of the original`);
    });
  }
  assert.ok(shifts.size > 5, `crops vary: ${[...shifts].join(' ')}`);
  assert.ok(flips > 5 && flips < 35, `about half are flipped: ${flips} of 40`);
});

test('normalisation is (x - mean) / std per channel, after augmentation', () => {
  const ds = dataset(4, 2);
  const b = plain(new DataLoader(ds, { batchSize: 4, shuffle: false, normalize: { mean: [0.5, 0.25], std: [0.5, 2] } }).nextBatch());
  const raw = ds.get(1).image;
  for (let k = 0; k < raw.length; k++) {
    const expected = k % 2 === 0 ? (raw[k] - 0.5) / 0.5 : (raw[k] - 0.25) / 2;
    assert.ok(Math.abs(b.x[40 + k] - expected) < 1e-6);
  }
});

test('samples that do not match the dataset shape or classes are reported', () => {
  const bad: Dataset = { length: 2, imageShape: [2, 2, 1], numClasses: 2,
    get: (i) => ({ image: new Float32Array(i === 0 ? 4 : 3), label: 0 }) };
  const loader = new DataLoader(bad, { batchSize: 2, shuffle: false });
  assert.throws(() => loader.nextBatch(), (e: Error) => e instanceof ShapeError && /sample 1 has 3 values but .* needs 4/.test(e.message));
  const badLabel: Dataset = { ...bad, get: () => ({ image: new Float32Array(4), label: 2 }) };
  assert.throws(() => new DataLoader(badLabel, { batchSize: 1 }).nextBatch(), /label 2, outside 0\.\.1/);
});
