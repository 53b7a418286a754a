import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Random, ops } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { randomTensor } from '../helpers/gradcheck.js';

const shapes = (m: nn.Module) => Object.fromEntries(m.namedParameters().map(([k, t]) => [k, t.shape]));

test('Conv2d: weight layout, parameter count, output shape and the op it runs', () => {
  const rng = new Random(1);
  const c = new nn.Conv2d({ inChannels: 4, outChannels: 6, kernelSize: [3, 5], stride: 2, padding: 'same', rng });
  assert.deepEqual(shapes(c), { weight: [3, 5, 4, 6], bias: [6] });
  assert.equal(c.numParameters(), 3 * 5 * 4 * 6 + 6);
  const x = randomTensor([2, 7, 9, 4], 2);
  const y = c.call(x);
  assert.deepEqual(y.shape, [2, 4, 5, 6]);
  assert.deepEqual(y.toArray(), ops.conv2d(x, c.weight, c.bias, { stride: 2, padding: 'same' }).toArray());

  const g = new nn.Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, groups: 2, bias: false, dilation: 2, rng });
  assert.deepEqual(shapes(g), { weight: [3, 3, 2, 8] });
  assert.equal(g.bias, null);
  assert.deepEqual(g.call(x).toArray(), ops.conv2d(x, g.weight, null, { groups: 2, dilation: 2 }).toArray());
});

test('DepthwiseConv2d and PointwiseConv2d: shapes, counts and outputs', () => {
  const rng = new Random(2);
  const dw = new nn.DepthwiseConv2d({ channels: 5, kernelSize: 3, depthMultiplier: 2, stride: 2, padding: 1, rng });
  assert.deepEqual(shapes(dw), { weight: [3, 3, 10], bias: [10] });
  assert.equal(dw.outChannels, 10);
  const x = randomTensor([1, 6, 6, 5], 3);
  const y = dw.call(x);
  assert.deepEqual(y.shape, [1, 3, 3, 10]);
  assert.deepEqual(y.toArray(), ops.depthwiseConv2d(x, dw.weight, dw.bias, { stride: 2, padding: 1 }).toArray());

  const pw = new nn.PointwiseConv2d({ inChannels: 5, outChannels: 7, rng });
  assert.deepEqual(shapes(pw), { weight: [5, 7], bias: [7] });
  assert.deepEqual(pw.call(x).toArray(), ops.pointwiseConv2d(x, pw.weight, pw.bias).toArray());
});

test('SeparableConv2d equals depthwise -> batch norm -> activation -> pointwise done by hand', () => {
  const sep = new nn.SeparableConv2d({
    inChannels: 4, outChannels: 6, kernelSize: 3, stride: 2, padding: 'same', depthMultiplier: 2, batchNorm: true,
    activation: 'relu6', rng: new Random(4),
  });
  assert.deepEqual(shapes(sep), {
    'depthwise.weight': [3, 3, 8], 'bn.weight': [8], 'bn.bias': [8], 'pointwise.weight': [8, 6], 'pointwise.bias': [6],
  });
  assert.equal(sep.numParameters(), 72 + 16 + 48 + 6);
  assert.equal(sep.depthwise.bias, null, 'no depthwise bias (Keras): it would fold into the pointwise one');
  assert.ok(sep.bn instanceof nn.BatchNorm2d);
  assert.ok(sep.act instanceof nn.ReLU6);

  const x = randomTensor([2, 5, 5, 4], 5);
  const runningMean = sep.bn.runningMean.clone();
  const runningVar = sep.bn.runningVar.clone();
  const manual = ops.pointwiseConv2d(
    ops.relu6(ops.batchNorm2d(ops.depthwiseConv2d(x, sep.depthwise.weight, null, { stride: 2, padding: 'same' }), {
      gamma: sep.bn.weight, beta: sep.bn.bias, runningMean, runningVar, training: true,
    })),
    sep.pointwise.weight, sep.pointwise.bias);
  const y = sep.call(x);
  assert.deepEqual(y.shape, [2, 3, 3, 6]);
  assert.deepEqual(y.toArray(), manual.toArray());
  assert.deepEqual(sep.bn.runningMean.toArray(), runningMean.toArray(), 'running statistics updated as by the op');

  // Keras SeparableConv2D: no batch norm and no activation in between.
  const plain = new nn.SeparableConv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, rng: new Random(6) });
  assert.equal(plain.bn, null);
  assert.equal(plain.act, null);
  assert.deepEqual(plain.namedChildren().map(([k]) => k), ['depthwise', 'pointwise']);
  assert.deepEqual(plain.call(x).toArray(),
    ops.pointwiseConv2d(ops.depthwiseConv2d(x, plain.depthwise.weight, null), plain.pointwise.weight, plain.pointwise.bias).toArray());
  // An activation module instance is accepted as is.
  const prelu = new nn.PReLU({ numParameters: 4 });
  const withModule = new nn.SeparableConv2d({ inChannels: 4, outChannels: 2, kernelSize: 1, activation: prelu });
  assert.equal(withModule.act, prelu);
  assert.deepEqual(Object.keys(shapes(withModule)), ['depthwise.weight', 'act.weight', 'pointwise.weight', 'pointwise.bias']);
});

test('BlueprintSeparableConv2d equals pointwise -> batch norm -> activation -> depthwise done by hand', () => {
  const bs = new nn.BlueprintSeparableConv2d({
    inChannels: 4, outChannels: 6, kernelSize: 3, stride: 2, padding: 'same', batchNorm: true, activation: 'relu', rng: new Random(7),
  });
  assert.deepEqual(shapes(bs), {
    'pointwise.weight': [4, 6], 'bn.weight': [6], 'bn.bias': [6], 'depthwise.weight': [3, 3, 6], 'depthwise.bias': [6],
  });
  assert.equal(bs.pointwise.bias, null, 'no pointwise bias: the batch norm or the depthwise bias absorbs it');
  const x = randomTensor([2, 5, 5, 4], 8);
  const runningMean = bs.bn!.runningMean.clone();
  const runningVar = bs.bn!.runningVar.clone();
  const manual = ops.depthwiseConv2d(
    ops.relu(ops.batchNorm2d(ops.pointwiseConv2d(x, bs.pointwise.weight, null), {
      gamma: bs.bn!.weight, beta: bs.bn!.bias, runningMean, runningVar, training: true,
    })),
    bs.depthwise.weight, bs.depthwise.bias, { stride: 2, padding: 'same' });
  const y = bs.call(x);
  assert.deepEqual(y.shape, [2, 3, 3, 6]);
  assert.deepEqual(y.toArray(), manual.toArray());
  assert.deepEqual(bs.bn!.runningMean.toArray(), runningMean.toArray(), 'running statistics updated as by the op');
});

test('BlueprintSeparableConv2d without batch norm is the standard conv whose filters are depthwise blueprints scaled by pointwise weights', () => {
  const bs = new nn.BlueprintSeparableConv2d({ inChannels: 3, outChannels: 5, kernelSize: [3, 5], padding: [1, 2], dilation: [2, 1], rng: new Random(9) });
  assert.equal(bs.bn, null);
  assert.deepEqual(bs.namedChildren().map(([k]) => k), ['pointwise', 'depthwise']);
  // W[kh, kw, ci, co] = pw[ci, co] * dw[kh, kw, co]: one KxK blueprint per output channel, weighted along the depth.
  const [kh, kw, cin, cout] = [3, 5, 3, 5];
  const [pw, dw] = [bs.pointwise.weight.data, bs.depthwise.weight.data];
  const full = new Float32Array(kh * kw * cin * cout);
  for (let k = 0; k < kh * kw; k++)
    for (let c = 0; c < cin; c++)
      for (let o = 0; o < cout; o++) full[(k * cin + c) * cout + o] = pw[c * cout + o] * dw[k * cout + o];
  const conv = new nn.Conv2d({ inChannels: cin, outChannels: cout, kernelSize: [kh, kw], padding: [1, 2], dilation: [2, 1], rng: new Random(10) });
  conv.weight.data.set(full);
  conv.bias!.data.set(bs.depthwise.bias!.data);
  const x = randomTensor([2, 8, 7, 3], 11);
  const [y, want] = [bs.call(x), conv.call(x)];
  assert.deepEqual(y.shape, [2, 6, 7, 5]);
  assert.deepEqual(y.shape, want.shape);
  y.data.forEach((v, i) => assert.ok(Math.abs(v - want.data[i]) < 1e-5, `element ${i}: ${v} vs ${want.data[i]}`));
});

test('conv layers reject bad configurations at construction with the layer and argument named', () => {
  assert.throws(() => new nn.Conv2d({ inChannels: 0, outChannels: 4, kernelSize: 3 }), /Conv2d: inChannels must be an integer >= 1, got 0/);
  assert.throws(() => new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 0 }), /Conv2d: kernelSize/);
  assert.throws(() => new nn.Conv2d({ inChannels: 6, outChannels: 4, kernelSize: 3, groups: 4 }),
    /groups=4 must divide inChannels=6 and outChannels=4/);
  assert.throws(() => new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, stride: 0 }), ArgumentError);
  assert.throws(() => new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: -1 }), /Conv2d: padding/);
  assert.throws(() => new nn.DepthwiseConv2d({ channels: 2.5, kernelSize: 3 }), /DepthwiseConv2d: channels/);
  assert.throws(() => new nn.DepthwiseConv2d({ channels: 4, kernelSize: 3, depthMultiplier: 0 }), /depthMultiplier/);
  assert.throws(() => new nn.PointwiseConv2d({ inChannels: 4, outChannels: -1 }), /PointwiseConv2d: outChannels/);
  assert.throws(() => new nn.SeparableConv2d({ inChannels: 4, outChannels: 0, kernelSize: 3 }), /SeparableConv2d: outChannels/);
  assert.throws(() => new nn.SeparableConv2d({ inChannels: 4, outChannels: 4, kernelSize: [3, 0] }), /SeparableConv2d: kernelSize/);
  assert.throws(() => new nn.BlueprintSeparableConv2d({ inChannels: 0, outChannels: 4, kernelSize: 3 }), /BlueprintSeparableConv2d: inChannels/);
  assert.throws(() => new nn.BlueprintSeparableConv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, stride: 0 }), /BlueprintSeparableConv2d: stride/);
});
