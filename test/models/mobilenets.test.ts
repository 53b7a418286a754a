import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from '../../src/cost/analyse.js';
import { ArgumentError } from '../../src/errors.js';
import { Conv2d, DepthwiseConv2d } from '../../src/nn/conv.js';
import { mobilenetV1 } from '../../src/models/mobilenet_v1.js';
import { InvertedResidual as V2Block, mobilenetV2 } from '../../src/models/mobilenet_v2.js';
import { InvertedResidual as V3Block, mobilenetV3Large, mobilenetV3Small } from '../../src/models/mobilenet_v3.js';
import { Random } from '../../src/tensor/random.js';
import { allFinite, randomImages } from './helpers.js';

test('MobileNet V1: forward at 64x64 gives [N, classes] in train and eval mode, finite', () => {
  const model = mobilenetV1({ alpha: 0.25, numClasses: 7, rng: new Random(0) });
  for (const training of [true, false]) {
    model.train(training);
    const y = model.call(randomImages([2, 64, 64, 3]));
    assert.deepEqual(y.shape, [2, 7]);
    assert.ok(allFinite(y));
  }
});

test('MobileNet V1 follows Keras: layer names, floor(filters * alpha), bottom/right padding at stride 2', () => {
  const model = mobilenetV1({ alpha: 0.75 });
  const keys = [...model.stateDict().keys()];
  for (const k of ['conv1.weight', 'conv1_bn.running_var', 'conv_dw_1.weight', 'conv_pw_1_bn.weight', 'conv_dw_13.weight',
    'conv_pw_13.weight', 'conv_preds.weight', 'conv_preds.bias'])
    assert.ok(keys.includes(k), k);
  assert.deepEqual(model.stateDict().get('conv1.weight')?.shape, [3, 3, 3, 24]);
  assert.deepEqual(model.stateDict().get('conv_pw_13.weight')?.shape, [768, 768]);
  const dw2 = model.namedModules().find(([k]) => k === 'conv_dw_2')?.[1];
  assert.ok(dw2 instanceof DepthwiseConv2d);
  assert.deepEqual(dw2.padding, [0, 1, 0, 1]);
  // 224 -> 112 -> 56 -> 28 -> 14 -> 7.
  assert.deepEqual(analyse(model, [224, 224, 3]).layers.find((l) => l.name === 'conv_pw_13_relu')?.outputShape, [1, 7, 7, 768]);
});

test('MobileNet V2: forward at 64x64, finite; Keras names, make_divisible widths, residuals where shapes match', () => {
  const model = mobilenetV2({ alpha: 0.35, numClasses: 5, rng: new Random(0) });
  const y = model.call(randomImages([2, 64, 64, 3]));
  assert.deepEqual(y.shape, [2, 5]);
  assert.ok(allFinite(y));

  const sd = model.stateDict();
  assert.deepEqual(sd.get('Conv1.weight')?.shape, [3, 3, 3, 16]); // makeDivisible(32 * 0.35, 8)
  assert.equal(sd.has('expanded_conv.expand.weight'), false); // expansion 1: no expand layer
  assert.deepEqual(sd.get('expanded_conv.project.weight')?.shape, [16, 8]); // makeDivisible(floor(16 * 0.35), 8)
  assert.deepEqual(sd.get('block_1.expand.weight')?.shape, [8, 48]); // 6 x input channels, not rounded
  assert.deepEqual(sd.get('Conv_1.weight')?.shape, [112, 1280]); // 1280 unscaled for alpha <= 1
  assert.deepEqual(mobilenetV2({ alpha: 1.4 }).stateDict().get('Conv_1.weight')?.shape, [448, 1792]);
  const residual = model.namedModules().filter(([, m]) => m instanceof V2Block && m.residual).map(([k]) => k);
  assert.deepEqual(residual, ['block_2', 'block_4', 'block_5', 'block_7', 'block_8', 'block_9', 'block_11', 'block_12',
    'block_14', 'block_15']);
});

test('MobileNet V3 Large and Small: forward at 64x64, finite, torchvision keys and residual blocks', () => {
  for (const [build, blocks, residuals] of [[mobilenetV3Large, 15, 10], [mobilenetV3Small, 11, 6]] as const) {
    const model = build({ numClasses: 4, rng: new Random(3) });
    const y = model.call(randomImages([2, 64, 64, 3]));
    assert.deepEqual(y.shape, [2, 4]);
    assert.ok(allFinite(y));
    const block = model.namedModules().filter(([, m]) => m instanceof V3Block) as [string, V3Block][];
    assert.equal(block.length, blocks);
    assert.equal(block.filter(([, m]) => m.residual).length, residuals);
  }
  const sd = mobilenetV3Large().stateDict();
  for (const k of ['features.0.0.weight', 'features.1.block.0.0.weight', 'features.4.block.2.reduce.weight',
    'features.16.0.weight', 'classifier.0.weight', 'classifier.3.bias'])
    assert.ok(sd.has(k), k);
  assert.deepEqual(sd.get('features.4.block.2.reduce.weight')?.shape, [72, 24]); // makeDivisible(72 / 4, 8)
  assert.deepEqual(sd.get('features.13.block.1.0.weight')?.shape, [5, 5, 672]); // 5x5 depthwise
  assert.deepEqual(mobilenetV3Small({ width: 0.5 }).stateDict().get('classifier.0.weight')?.shape, [288, 512]);
});

test('torchvision initialisation: kaiming-normal fan_out convs, N(0, 0.01) linear, zero biases, seeded', () => {
  const a = mobilenetV3Small({ rng: new Random(7) });
  const b = mobilenetV3Small({ rng: new Random(7) });
  assert.deepEqual(a.stateDict().get('features.0.0.weight')?.toArray(), b.stateDict().get('features.0.0.weight')?.toArray());
  const stem = a.namedModules().find(([k]) => k === 'features.0.0')?.[1];
  assert.ok(stem instanceof Conv2d);
  const std = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  // fan_out = 3 * 3 * 16: std sqrt(2 / 144) = 0.118 (432 samples: loose bound).
  assert.ok(Math.abs(std(stem.weight.data) - Math.sqrt(2 / 144)) < 0.015);
  const fc = a.stateDict().get('classifier.3.weight')!;
  assert.ok(Math.abs(std(fc.data) - 0.01) < 0.0005);
  assert.ok(a.stateDict().get('classifier.3.bias')!.data.every((v) => v === 0));
});

test('builders reject impossible options with ArgumentError', () => {
  assert.throws(() => mobilenetV1({ alpha: 0 }), (e) => e instanceof ArgumentError && /alpha/.test(e.message));
  assert.throws(() => mobilenetV2({ numClasses: 0 }), (e) => e instanceof ArgumentError && /numClasses/.test(e.message));
  assert.throws(() => mobilenetV3Large({ width: -1 }), ArgumentError);
  assert.throws(() => mobilenetV3Small({ dropout: 1 }), ArgumentError);
  assert.throws(() => mobilenetV1({ resolution: 16 }), (e) => e instanceof ArgumentError && /32/.test(e.message));
});
