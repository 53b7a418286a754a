import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from '../../src/cost/analyse.js';
import { ArgumentError } from '../../src/errors.js';
import { Residual, Sequential } from '../../src/nn/containers.js';
import { BlueprintSeparableConv2d, Conv2d, SeparableConv2d } from '../../src/nn/conv.js';
import { resnetStyle, smallCnn } from '../../src/models/baselines.js';
import { Chain } from '../../src/models/chain.js';
import { modelInputChannels } from '../../src/models/input_channels.js';
import { mobilenetV3Small } from '../../src/models/mobilenet_v3.js';
import { separabilize } from '../../src/models/separabilize.js';
import { crossEntropy } from '../../src/ops/softmax.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { allFinite, randomImages } from './helpers.js';

test('separabilize a small CNN: same output shape, fewer params, report equal to analyse() before and after', () => {
  const model = smallCnn({ width: 8, rng: new Random(0) });
  const before = analyse(model, [28, 28, 1]);
  const kept = new Map([...model.stateDict()].filter(([k]) => !/^features\.(0|4|8)\.weight$/.test(k)).map(([k, t]) => [k, [t, t.toArray()] as const]));

  const { model: out, report } = separabilize(model, { rng: new Random(1) });
  assert.equal(out, model); // in place
  const after = analyse(model, [28, 28, 1]);

  assert.deepEqual(report.input, [1, 28, 28, 1]);
  assert.deepEqual(report.totals.before, { params: before.totals.params, macs: before.totals.macs });
  assert.deepEqual(report.totals.after, { params: after.totals.params, macs: after.totals.macs });
  assert.ok(report.totals.after.params < report.totals.before.params);
  assert.ok(report.totals.after.macs < report.totals.before.macs);
  assert.equal(model.numParameters(), after.totals.params);

  // Per layer: K*K*Cin*Cout before; K*K*Cin + Cin*Cout after (no bias: batch norm follows), over H*W outputs.
  assert.deepEqual(report.layers.map((l) => l.path), ['features.0', 'features.4', 'features.8']);
  const sizes: [number, number, number][] = [[1, 8, 28], [8, 16, 14], [16, 32, 7]];
  report.layers.forEach((l, i) => {
    const [cin, cout, hw] = sizes[i];
    assert.deepEqual([l.inChannels, l.outChannels, l.kernelSize, l.stride], [cin, cout, [3, 3], [1, 1]]);
    assert.deepEqual(l.before, { params: 9 * cin * cout, macs: 9 * cin * cout * hw * hw });
    assert.deepEqual(l.after, { params: 9 * cin + cin * cout, macs: (9 * cin + cin * cout) * hw * hw });
    assert.equal(l.before.params, before.layers.find((x) => x.name === l.path)?.params);
  });

  const layer = model.namedModules().find(([k]) => k === 'features.4')?.[1];
  assert.ok(layer instanceof SeparableConv2d);
  assert.equal(layer.pointwise.bias, null);
  assert.equal(layer.bn, null);
  assert.equal(layer.act, null);
  const state = model.stateDict();
  for (const [k, [tensor, values]] of kept) {
    assert.equal(state.get(k), tensor, `${k} is the same tensor`);
    assert.deepEqual(tensor.toArray(), values, `${k} keeps its values`);
  }
  assert.deepEqual(state.get('features.4.depthwise.weight')?.shape, [3, 3, 8]);
  assert.deepEqual(state.get('features.4.pointwise.weight')?.shape, [8, 16]);

  const y = model.call(randomImages([2, 28, 28, 1]));
  assert.deepEqual(y.shape, [2, 10]);
  crossEntropy(y, [3, 7]).backward();
  assert.ok(model.parameters().every((p) => p.grad !== null && allFinite(p.grad)));
});

test('separabilize options: BN + activation between the convs, bias kept, training mode kept', () => {
  const model = new Chain([
    ['conv', new Conv2d({ inChannels: 3, outChannels: 6, kernelSize: 5, stride: 2, padding: 'same', dilation: 1, bias: true })],
    ['head', new Conv2d({ inChannels: 6, outChannels: 2, kernelSize: 1 })],
  ]).eval();
  const x = randomImages([1, 9, 9, 3]);
  const shape = model.call(x).shape;
  const { report } = separabilize(model, { batchNorm: true, activation: 'relu6', inputShape: [9, 9, 3] });
  assert.deepEqual(report.layers.map((l) => l.path), ['conv']); // 1x1 convs stay
  assert.deepEqual(model.call(x).shape, shape);
  const sep = model.namedModules().find(([k]) => k === 'conv')?.[1];
  assert.ok(sep instanceof SeparableConv2d);
  assert.equal(sep.training, false);
  assert.deepEqual([...model.stateDict().keys()].filter((k) => k.startsWith('conv.')), [
    'conv.depthwise.weight', 'conv.bn.weight', 'conv.bn.bias', 'conv.bn.running_mean', 'conv.bn.running_var',
    'conv.bn.num_batches_tracked', 'conv.pointwise.weight', 'conv.pointwise.bias',
  ]);
  assert.deepEqual(report.layers[0].after, { params: 25 * 3 + 2 * 3 + 3 * 6 + 6, macs: (25 * 3 + 3 * 6) * 5 * 5 });
});

test('separabilize reaches convs inside residual blocks and the stems of the builders', () => {
  const resnet = resnetStyle({ width: 4, blocks: [1, 1], numClasses: 2, rng: new Random(0) });
  const { report } = separabilize(resnet, { inputShape: [32, 32, 3] });
  assert.deepEqual(report.layers.map((l) => l.path), ['conv1', 'layer1.0.conv1', 'layer1.0.conv2', 'layer2.0.conv1', 'layer2.0.conv2']);
  assert.deepEqual(report.layers[3].stride, [2, 2]);
  assert.deepEqual(resnet.call(randomImages([2, 32, 32, 3])).shape, [2, 2]);

  const v3 = mobilenetV3Small();
  const before = v3.numParameters();
  const result = separabilize(v3).report; // the default input is the builder's resolution
  assert.deepEqual(result.layers.map((l) => l.path), ['features.0.0']);
  assert.deepEqual(result.input, [1, 224, 224, 3]);
  assert.equal(v3.numParameters(), before - 3 * 3 * 3 * 16 + 3 * 3 * 3 + 3 * 16);
});

test('separabilize keepStem leaves the first convolution standard and replaces the rest', () => {
  const model = smallCnn({ width: 8, rng: new Random(0) });
  const stem = model.namedModules().find(([k]) => k === 'features.0')?.[1];
  const { report } = separabilize(model, { keepStem: true, inputShape: [28, 28, 1] });
  assert.deepEqual(report.layers.map((l) => l.path), ['features.4', 'features.8']);
  assert.equal(model.namedModules().find(([k]) => k === 'features.0')?.[1], stem);
  assert.ok(stem instanceof Conv2d);
  assert.deepEqual(model.call(randomImages([1, 28, 28, 1])).shape, [1, 10]);
});

test('separabilize depthwiseKernelSize widens the depthwise kernel and its padding, keeping every output shape', () => {
  const paddings = ['same', 'valid', 1, [1, 0], [0, 1, 1, 0]] as const;
  for (const padding of paddings) {
    const seq = new Sequential(new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, dilation: 2, padding }));
    const x = randomImages([1, 11, 11, 2]);
    const shape = seq.call(x).shape;
    const { report } = separabilize(seq, { depthwiseKernelSize: 5, inputShape: [11, 11, 2] });
    const sep = seq.at(0) as SeparableConv2d;
    assert.deepEqual(sep.depthwise.kernelSize, [5, 5]);
    assert.deepEqual(seq.call(x).shape, shape, `padding ${JSON.stringify(padding)}`);
    assert.equal(report.layers[0].after.macs, shape[1] * shape[2] * (25 * 2 + 2 * 3));
  }
  for (const size of [4, 1, 2.5])
    assert.throws(() => separabilize(new Sequential(new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 })), { depthwiseKernelSize: size, inputShape: [8, 8, 2] }),
      (e) => e instanceof ArgumentError && new RegExp(`depthwiseKernelSize ${size} .*'0'`).test(e.message));
});

test('separabilize depthwiseKernelSize as a function picks the kernel per layer, and its sizes are checked per layer', () => {
  const convs = () => new Sequential(
    new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 'same' }),
    new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: 'same' }));
  const seq = convs();
  const x = randomImages([1, 9, 9, 2]);
  const shape = seq.call(x).shape;
  const seen: string[] = [];
  separabilize(seq, { depthwiseKernelSize: (conv, path) => { seen.push(path); return conv.outChannels >= 8 ? 7 : 5; }, inputShape: [9, 9, 2] });
  assert.deepEqual(seen, ['0', '1']);
  assert.deepEqual([0, 1].map((i) => (seq.at(i) as SeparableConv2d).depthwise.kernelSize), [[5, 5], [7, 7]]);
  assert.deepEqual(seq.call(x).shape, shape);
  assert.throws(() => separabilize(convs(), { depthwiseKernelSize: (conv) => (conv.inChannels === 4 ? 6 : 3), inputShape: [9, 9, 2] }),
    /depthwiseKernelSize 6 cannot replace the 3x3 kernel of '1'/);
});

test('separabilize depthMultiplier gives chosen layers more depthwise filters, keeping every output shape', () => {
  const seq = new Sequential(
    new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 'same' }),
    new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, padding: 'same' }));
  const x = randomImages([1, 6, 6, 2]);
  const shape = seq.call(x).shape;
  const { report } = separabilize(seq, { depthMultiplier: (conv) => (conv.inChannels === 4 ? 2 : 1), inputShape: [6, 6, 2] });
  assert.deepEqual([0, 1].map((i) => (seq.at(i) as SeparableConv2d).depthwise.outChannels), [2, 8]);
  assert.deepEqual(seq.call(x).shape, shape);
  // 6x6 pixels: depthwise 9 * 8 filters, pointwise 8 -> 8.
  assert.equal(report.layers[1].after.macs, 36 * (9 * 8 + 8 * 8));
  assert.throws(() => separabilize(new Sequential(new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 })), { depthMultiplier: 1.5, inputShape: [8, 8, 2] }),
    /depthMultiplier/);
});

test("separabilize order 'pointwise-first' gives BlueprintSeparableConv2d layers (BSConv-U) with the same output shapes", () => {
  const seq = new Sequential(
    new Conv2d({ inChannels: 2, outChannels: 4, kernelSize: 3, padding: 'same', bias: false }),
    new Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }));
  const x = randomImages([1, 9, 9, 2]);
  const shape = seq.call(x).shape;
  const { report } = separabilize(seq, { order: 'pointwise-first', depthwiseKernelSize: 5, batchNorm: true, inputShape: [9, 9, 2] });
  const [first, second] = [0, 1].map((i) => seq.at(i) as BlueprintSeparableConv2d);
  assert.ok(first instanceof BlueprintSeparableConv2d && second instanceof BlueprintSeparableConv2d);
  assert.deepEqual([first.pointwise.inChannels, first.pointwise.outChannels, first.depthwise.channels], [2, 4, 4]);
  assert.deepEqual(second.depthwise.kernelSize, [5, 5]);
  assert.deepEqual(second.depthwise.stride, [2, 2]);
  assert.equal(first.depthwise.bias, null, 'the replaced conv had no bias');
  assert.notEqual(second.depthwise.bias, null, 'the replaced conv had a bias: the last conv (depthwise) keeps it');
  assert.ok(first.bn !== null);
  assert.deepEqual(seq.call(x).shape, shape);
  assert.equal(modelInputChannels(seq), 2, 'found from the first pointwise conv');
  // The pointwise conv runs at the input's 9x9, the strided depthwise conv over the output channels at 5x5.
  assert.equal(report.layers[1].after.macs, 81 * 4 * 8 + 25 * 25 * 8);
  assert.throws(() => separabilize(new Sequential(new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 })), { order: 'pointwise-first', depthMultiplier: 2, inputShape: [8, 8, 2] }),
    /depthMultiplier applies to the depthwise-first order only/);
  assert.throws(() => separabilize(new Sequential(new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3 })), { order: 'sideways' as 'pointwise-first', inputShape: [8, 8, 2] }),
    /order must be 'depthwise-first' or 'pointwise-first', got "sideways"/);
});

test('separabilize works inside nn containers (Sequential, Residual), and needs an input shape it can find', () => {
  const seq = new Sequential(
    new Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 'same' }),
    new Residual(new Conv2d({ inChannels: 2, outChannels: 2, kernelSize: 3, padding: 'same' })),
  );
  const x = new Tensor(new Float32Array(64).fill(1), [1, 8, 8, 1]);
  const { report } = separabilize(seq, { inputShape: [8, 8, 1] });
  assert.deepEqual(report.layers.map((l) => l.path), ['0', '1.body']);
  assert.ok(seq.at(0) instanceof SeparableConv2d);
  assert.ok((seq.at(1) as Residual).body instanceof SeparableConv2d);
  assert.deepEqual(seq.call(x).shape, [1, 8, 8, 2]);
  assert.deepEqual([...seq.stateDict().keys()].filter((k) => k.startsWith('1.body.')).slice(0, 1), ['1.body.depthwise.weight']);
  const chain = new Chain([['c', new Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3 })]]);
  assert.throws(() => separabilize(chain), (e) => e instanceof ArgumentError && /inputShape/.test(e.message));
  assert.throws(() => separabilize(new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3 }), { inputShape: [4, 4, 1] }), ArgumentError);
});
