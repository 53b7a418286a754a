import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { efficientnet, EfficientNetVariant, MBConv } from '../../src/models/efficientnet.js';
import { StochasticDepth } from '../../src/models/stochastic_depth.js';
import { crossEntropy } from '../../src/ops/softmax.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { allFinite, randomImages } from './helpers.js';

test('EfficientNet B0: forward at 64x64 in train and eval mode gives [N, classes], finite', () => {
  const model = efficientnet('b0', { numClasses: 6, rng: new Random(0) });
  for (const training of [true, false]) {
    model.train(training);
    const y = model.call(randomImages([2, 64, 64, 3]));
    assert.deepEqual(y.shape, [2, 6]);
    assert.ok(allFinite(y));
  }
});

test('EfficientNet B0: every parameter gets a gradient', () => {
  const model = efficientnet('b0', { numClasses: 3, rng: new Random(1) });
  crossEntropy(model.call(randomImages([2, 32, 32, 3])), [0, 2]).backward();
  const missing = model.namedParameters().filter(([, p]) => p.grad === null || !allFinite(p.grad)).map(([k]) => k);
  assert.deepEqual(missing, []);
});

test('EfficientNet follows torchvision: keys, SE squeeze from the block input, depth and width scaling', () => {
  const sd = efficientnet('b0').stateDict();
  for (const k of ['features.0.0.weight', 'features.1.0.block.0.0.weight', 'features.2.0.block.0.0.weight',
    'features.8.0.weight', 'features.8.1.running_mean', 'classifier.1.weight'])
    assert.ok(sd.has(k), k);
  // Stage 2, first block: input 16, expanded 96, squeeze max(1, 16 / 4) = 4 (not 96 / 4).
  assert.deepEqual(sd.get('features.2.0.block.2.reduce.weight')?.shape, [96, 4]);
  assert.deepEqual(sd.get('features.2.0.block.1.0.weight')?.shape, [3, 3, 96]);

  const blocksPerStage = (v: EfficientNetVariant): number[] => {
    const model = efficientnet(v);
    return [1, 2, 3, 4, 5, 6, 7].map((s) => model.namedModules().filter(([k, m]) => m instanceof MBConv && k.startsWith(`features.${s}.`)).length);
  };
  assert.deepEqual(blocksPerStage('b0'), [1, 2, 2, 3, 3, 4, 1]);
  assert.deepEqual(blocksPerStage('b3'), [2, 3, 3, 5, 5, 6, 2]); // ceil(n * 1.4)
  const b2 = efficientnet('b2').stateDict();
  assert.deepEqual(b2.get('features.0.0.weight')?.shape, [3, 3, 3, 32]); // makeDivisible(32 * 1.1, 8)
  assert.deepEqual(b2.get('features.8.0.weight')?.shape, [352, 1408]); // 4 x makeDivisible(320 * 1.1, 8)
});

test('stochastic depth rises linearly to 0.2 * 15/16 over the 16 blocks, only on residual blocks', () => {
  const model = efficientnet('b0');
  const drops = model.namedModules().filter(([, m]) => m instanceof StochasticDepth) as [string, StochasticDepth][];
  const byPath = new Map(drops.map(([k, m]) => [k, m.p]));
  assert.equal(byPath.size, 9); // blocks with stride 1 and equal channels
  assert.equal(byPath.get('features.2.1.stochastic_depth'), 0.2 * 2 / 16);
  assert.equal(byPath.get('features.6.3.stochastic_depth'), 0.2 * 14 / 16);
  assert.ok(!byPath.has('features.1.0.stochastic_depth')); // 32 -> 16 channels: no skip
  assert.equal(efficientnet('b0', { stochasticDepth: 0 }).namedModules().filter(([, m]) => m instanceof StochasticDepth && m.p > 0).length, 0);
});

test('StochasticDepth drops whole samples in training (kept ones scaled by 1/(1-p)), identity in eval', () => {
  const sd = new StochasticDepth({ p: 0.5, rng: new Random(4) });
  const x = Tensor.full([64, 2, 2, 3], 1);
  const y = sd.call(x).data;
  let dropped = 0;
  for (let n = 0; n < 64; n++) {
    const sample = y.subarray(n * 12, (n + 1) * 12);
    assert.ok(sample.every((v) => v === sample[0]) && (sample[0] === 0 || sample[0] === 2), `sample ${n}: ${sample[0]}`);
    if (sample[0] === 0) dropped++;
  }
  assert.ok(dropped > 16 && dropped < 48, `${dropped} of 64 dropped at p = 0.5`);
  sd.eval();
  assert.equal(sd.call(x), x);
  assert.throws(() => new StochasticDepth({ p: 1 }), ArgumentError);
});

test('efficientnet rejects unknown variants and impossible options', () => {
  assert.throws(() => efficientnet('b9' as EfficientNetVariant), (e) => e instanceof ArgumentError && /b0, b1, b2, b3/.test(e.message));
  assert.throws(() => efficientnet('b0', { stochasticDepth: 1.5 }), ArgumentError);
  assert.throws(() => efficientnet('b1', { numClasses: 2.5 }), ArgumentError);
});
