import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Residual } from '../../src/nn/containers.js';
import { SeparableConv2d } from '../../src/nn/conv.js';
import { xception } from '../../src/models/xception.js';
import { Random } from '../../src/tensor/random.js';
import { allFinite, randomImages } from './helpers.js';

test('Xception: forward at 32x32 (the smallest input it takes) gives [N, classes], finite', () => {
  const model = xception({ numClasses: 3, resolution: 32, rng: new Random(0) });
  for (const training of [true, false]) {
    model.train(training);
    const y = model.call(randomImages([2, 32, 32, 3]));
    assert.deepEqual(y.shape, [2, 3]);
    assert.ok(allFinite(y));
  }
});

test('Xception follows Keras: block names, 36 bias-free separable convs, 12 residual blocks, shortcut projections', () => {
  const model = xception();
  const modules = model.namedModules();
  const separable = modules.filter(([, m]) => m instanceof SeparableConv2d) as [string, SeparableConv2d][];
  assert.equal(separable.length, 2 * 3 + 8 * 3 + 2 + 2);
  assert.ok(separable.every(([, m]) => m.pointwise.bias === null && m.bn === null && m.act === null));
  assert.equal(modules.filter(([, m]) => m instanceof Residual).length, 3 + 8 + 1);
  const sd = model.stateDict();
  for (const k of ['block1.conv1.weight', 'block1.conv2_bn.running_mean', 'block2.body.sepconv1.depthwise.weight',
    'block2.shortcut.0.weight', 'block5.body.sepconv3_bn.weight', 'block13.body.sepconv2.pointwise.weight',
    'block14.sepconv2.pointwise.weight', 'predictions.weight'])
    assert.ok(sd.has(k), k);
  assert.equal(sd.has('block2.body.sepconv1_act'), false); // the stem's ReLU precedes it
  assert.deepEqual(sd.get('block13.shortcut.0.weight')?.shape, [1, 1, 728, 1024]);
});
