import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Random, nn } from '../../src/index.js';
import { DataLoader, ImageDataset } from '../../src/data/index.js';
import { recomputeBatchNormStats } from '../../src/train/bn_stats.js';

/** `count` random 3x3 images with 2 channels, channel 1 brighter and wider spread than channel 0. */
function images(count: number): ImageDataset {
  const rng = new Random(5);
  const pixels = new Uint8Array(count * 18);
  for (let i = 0; i < pixels.length; i++) pixels[i] = i % 2 === 0 ? 20 + rng.int(40) : 100 + rng.int(150);
  return new ImageDataset({ pixels, labels: new Int32Array(count), imageShape: [3, 3, 2], numClasses: 1 });
}

/** Per-channel mean and unbiased variance of each of the next `n` batches of `loader`, averaged over the batches. */
function averageBatchStats(loader: DataLoader, n: number, channels: number): { mean: number[]; variance: number[] } {
  const mean = new Array<number>(channels).fill(0);
  const variance = new Array<number>(channels).fill(0);
  for (let b = 0; b < n; b++) {
    const x = loader.nextBatch().x.data;
    const count = x.length / channels;
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let i = c; i < x.length; i += channels) sum += x[i];
      const m = sum / count;
      let sq = 0;
      for (let i = c; i < x.length; i += channels) sq += (x[i] - m) ** 2;
      mean[c] += m / n;
      variance[c] += sq / (count - 1) / n;
    }
  }
  return { mean, variance };
}

function close(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('recomputeBatchNormStats: running statistics become the average over the next N batches; weights, momentum and modes kept', () => {
  const first = new nn.BatchNorm2d({ numFeatures: 2, momentum: 0.3, eps: 1e-10 }); // eps tiny next to the batches' variance
  const dropout = new nn.Dropout({ p: 0.5 });
  const second = new nn.BatchNorm2d({ numFeatures: 2 });
  const model = new nn.Sequential(first, dropout, second);
  model.eval();
  dropout.training = true; // a mixed mode must come back as it was
  first.weight.data.set([2, 3]);
  first.runningMean.data.set([100, -100]);
  first.runningVar.data.set([1e-3, 1e3]);
  const weights = model.parameters().map((p) => p.data.slice());
  const options = { batchSize: 5, seed: 3 };

  recomputeBatchNormStats(model, new DataLoader(images(40), options), 6);
  const expected = averageBatchStats(new DataLoader(images(40), options), 6, 2);
  close(first.runningMean.data, expected.mean, 1e-5, 'running_mean');
  close(first.runningVar.data, expected.variance, 1e-5, 'running_var');
  assert.equal(first.numBatchesTracked.data[0], 6);
  // The second norm saw the first's training-mode output (scale 2 and 3, shift 0) with dropout off: mean 0 and
  // variance scale^2 * 45/44 (unbiased over 45 values); dropout would have scaled the kept values by 2.
  close(second.runningMean.data, [0, 0], 1e-5, 'second running_mean');
  close(second.runningVar.data, [4 * 45 / 44, 9 * 45 / 44], 1e-3, 'second running_var');

  assert.equal(first.momentum, 0.3);
  assert.equal(second.momentum, 0.1);
  assert.deepEqual([model.training, first.training, dropout.training, second.training], [false, false, true, false]);
  model.parameters().forEach((p, i) => assert.deepEqual(p.data, weights[i]));
});

test('recomputeBatchNormStats: no batch norm reads nothing; a bad count or a failing pass changes nothing', () => {
  const loader = new DataLoader(images(10), { batchSize: 5 });
  recomputeBatchNormStats(new nn.Sequential(new nn.ReLU()), loader, 3);
  assert.equal(loader.step, 0);

  const bn = new nn.BatchNorm2d({ numFeatures: 3 });
  bn.runningMean.data.set([1, 2, 3]);
  for (const bad of [0, 1.5, Number.NaN])
    assert.throws(() => recomputeBatchNormStats(bn, loader, bad), (e) => e instanceof ArgumentError && /batches must be an integer >= 1/.test(e.message));
  // The images have 2 channels, the norm 3: the pass fails and the statistics stay.
  assert.throws(() => recomputeBatchNormStats(bn, loader, 2), /3/);
  assert.deepEqual(Array.from(bn.runningMean.data), [1, 2, 3]);
  assert.equal(bn.momentum, 0.1);
  assert.equal(bn.training, true);
});
