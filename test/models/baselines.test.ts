import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from '../../src/cost/analyse.js';
import { ArgumentError } from '../../src/errors.js';
import { ReLU, Swish } from '../../src/nn/activation.js';
import { Conv2d } from '../../src/nn/conv.js';
import type { Module } from '../../src/nn/module.js';
import { BasicBlock, ConvUnit, resnetStyle, smallCnn, vggStyle } from '../../src/models/baselines.js';
import { separabilize } from '../../src/models/separabilize.js';
import { SqueezeExcite } from '../../src/nn/squeeze_excite.js';
import { relu, swish } from '../../src/ops/activation.js';
import { add } from '../../src/ops/elementwise.js';
import { crossEntropy } from '../../src/ops/softmax.js';
import { Random } from '../../src/tensor/random.js';
import { allFinite, randomImages } from './helpers.js';

test('smallCnn: 28x28 digits -> [N, 10], 32-64-128 channels, 94,186 parameters, every parameter trained', () => {
  const model = smallCnn({ rng: new Random(0) });
  assert.equal(model.numParameters(), 94_186);
  const y = model.call(randomImages([4, 28, 28, 1]));
  assert.deepEqual(y.shape, [4, 10]);
  assert.ok(allFinite(y));
  crossEntropy(y, [0, 1, 2, 3]).backward();
  assert.ok(model.parameters().every((p) => p.grad !== null && allFinite(p.grad)));
  const report = analyse(model, [28, 28, 1]);
  assert.deepEqual(report.layers.find((l) => l.name === 'features.10')?.outputShape, [1, 7, 7, 128]);
});

test('vggStyle: stages of 3x3 convs doubling up to 8x width, 2x2 pools; forward and shapes', () => {
  const model = vggStyle({ width: 4, stages: 3, convsPerStage: 2, numClasses: 5, inChannels: 2, rng: new Random(1) });
  const convs = model.modules().filter((m) => m instanceof Conv2d) as Conv2d[];
  assert.deepEqual(convs.map((c) => c.outChannels), [4, 4, 8, 8, 16, 16]);
  assert.ok(convs.every((c) => c.kernelSize[0] === 3 && c.bias === null));
  const y = model.call(randomImages([2, 16, 16, 2]));
  assert.deepEqual(y.shape, [2, 5]);
  assert.ok(allFinite(y));
  assert.deepEqual(vggStyle({ stages: 6 }).modules().filter((m) => m instanceof Conv2d).map((c) => (c as Conv2d).outChannels).slice(-2), [512, 512]);
});

test('vggStyle activation: every conv unit and its separable twin end in that activation', () => {
  const options = { width: 4, stages: 2, convsPerStage: 2, numClasses: 3, inChannels: 1, resolution: 8 };
  const names = (m: Module): string[] => m.modules().filter((c) => c instanceof ReLU || c instanceof Swish).map((c) => c.constructor.name);
  const model = vggStyle({ ...options, activation: 'swish', rng: new Random(2) });
  assert.deepEqual(names(model), Array(4).fill('Swish'));
  assert.deepEqual(names(vggStyle({ ...options, residual: true, activation: 'swish' })), Array(4).fill('Swish'));
  assert.deepEqual(names(vggStyle(options)), Array(4).fill('ReLU'));
  // Linear depthwise -> pointwise (no activation between), then the original conv's swish.
  assert.deepEqual(names(separabilize(model, { batchNorm: true, keepStem: true, rng: new Random(5) }).model), Array(4).fill('Swish'));
  // conv -> BN -> swish, from the model's own children.
  model.eval();
  const x = randomImages([2, 8, 8, 1]);
  const [conv, bn, act] = [0, 1, 2].map((i) => model.namedModules().find(([k]) => k === `features.${i}`)![1]);
  const y = bn.call(conv.call(x));
  assert.deepEqual([...act.call(y).data], [...swish(y).data]);
  assert.throws(() => vggStyle({ ...options, activation: 'gelu' as never }), (e) => e instanceof ArgumentError && /gelu/.test(e.message));
});

test('vggStyle residual / squeezeExcite: later convs of a stage are SE-ResNet units; separabilize keeps shortcut and gate', () => {
  const options = { width: 4, stages: 2, convsPerStage: 3, numClasses: 3, inChannels: 1, resolution: 8 };
  const model = vggStyle({ ...options, residual: true, squeezeExcite: true, rng: new Random(3) });
  const units = model.namedModules().filter(([, m]) => m instanceof ConvUnit) as [string, ConvUnit][];
  assert.deepEqual(units.map(([k]) => k), ['features.3', 'features.4', 'features.9', 'features.10']);
  assert.deepEqual(model.modules().filter((m) => m instanceof SqueezeExcite).map((m) => (m as SqueezeExcite).squeezeChannels), [1, 1, 2, 2]);
  // The same convs as the plain network.
  const plain = vggStyle({ ...options, rng: new Random(3) });
  assert.equal(plain.modules().filter((m) => m instanceof Conv2d).length, model.modules().filter((m) => m instanceof Conv2d).length);

  // unit(x) = relu(se(bn(conv(x))) + x), from its own children.
  const unit = units[0][1];
  unit.eval();
  const x = randomImages([2, 8, 8, 4]);
  const [conv, bn, se] = ['conv', 'bn', 'se'].map((k) => unit.namedChildren().find(([n]) => n === k)![1]);
  assert.deepEqual([...unit.call(x).data], [...relu(add(se.call(bn.call(conv.call(x))), x)).data]);
  const noShortcut = new ConvUnit(4, false, false, new Random(4));
  noShortcut.eval();
  const [conv2, bn2] = ['conv', 'bn'].map((k) => noShortcut.namedChildren().find(([n]) => n === k)![1]);
  assert.deepEqual([...noShortcut.call(x).data], [...relu(bn2.call(conv2.call(x))).data]);

  const separable = separabilize(model, { batchNorm: true, keepStem: true, rng: new Random(5) }).model;
  const keys = [...separable.stateDict().keys()];
  for (const k of ['features.3.conv.depthwise.weight', 'features.3.conv.pointwise.weight', 'features.3.se.reduce.weight', 'features.10.se.expand.bias'])
    assert.ok(keys.includes(k), `${k} in ${keys.join(', ')}`);
  const y = separable.call(randomImages([2, 8, 8, 1]));
  assert.deepEqual(y.shape, [2, 3]);
  crossEntropy(y, [0, 2]).backward();
  assert.ok(separable.parameters().every((p) => p.grad !== null && allFinite(p.grad)));
});

test('resnetStyle: ResNet-18 layout by default; basic blocks project when they stride or widen', () => {
  const model = resnetStyle({ width: 4, blocks: [1, 2], numClasses: 3, rng: new Random(2) });
  const blocks = model.namedModules().filter(([, m]) => m instanceof BasicBlock) as [string, BasicBlock][];
  assert.deepEqual(blocks.map(([k, b]) => [k, b.hasDownsample]), [['layer1.0', false], ['layer2.0', true], ['layer2.1', false]]);
  const y = model.call(randomImages([2, 32, 32, 3]));
  assert.deepEqual(y.shape, [2, 3]);
  assert.ok(allFinite(y));
  const keys = [...resnetStyle().stateDict().keys()];
  for (const k of ['conv1.weight', 'bn1.running_mean', 'layer1.0.conv1.weight', 'layer2.0.downsample.0.weight', 'layer4.1.bn2.bias', 'fc.weight'])
    assert.ok(keys.includes(k), k);
  assert.equal(analyse(resnetStyle(), [224, 224, 3]).totals.macs, 1_814_073_344); // torchvision: 1.81 GFLOPS
});

test('baselines reject impossible options with ArgumentError', () => {
  assert.throws(() => smallCnn({ width: 0 }), ArgumentError);
  assert.throws(() => smallCnn({ width: 1.5 }), ArgumentError);
  assert.throws(() => vggStyle({ stages: 0 }), ArgumentError);
  assert.throws(() => vggStyle({ stages: 5, resolution: 16 }), (e) => e instanceof ArgumentError && /32/.test(e.message));
  assert.throws(() => resnetStyle({ blocks: [] }), ArgumentError);
  assert.throws(() => resnetStyle({ blocks: [2, 0] }), (e) => e instanceof ArgumentError && /blocks\[1\]/.test(e.message));
});
