import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { BatchNorm2d } from '../../src/nn/batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d } from '../../src/nn/conv.js';
import type { Module } from '../../src/nn/module.js';
import { RepConv2d, RepSeparableConv2d, type RepConvTemplate } from '../../src/nn/reparam.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/close.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

/** Gives every batch norm under `m` random running statistics and affine parameters, as training would. */
function randomiseNorms(m: Module, seed: number): void {
  const rng = new Random(seed);
  for (const bn of m.modules())
    if (bn instanceof BatchNorm2d)
      for (let c = 0; c < bn.numFeatures; c++) {
        bn.weight.data[c] = 0.5 + rng.uniform();
        bn.bias.data[c] = rng.uniform() - 0.5;
        bn.runningMean.data[c] = rng.uniform() - 0.5;
        bn.runningVar.data[c] = 0.2 + rng.uniform();
      }
}

/** Eval-mode outputs of `rep` and of its fused layer on the same input. */
function evalBoth(rep: RepConv2d | RepSeparableConv2d, inShape: number[]): { multi: Float32Array; fused: Float32Array } {
  randomiseNorms(rep, 7);
  rep.eval();
  const x = randomTensor(inShape, 3);
  return noGrad(() => ({ multi: rep.call(x).data, fused: rep.fuse().call(x).data }));
}

const rng = () => new Random(1);
const cases: { name: string; conv: RepConvTemplate; input: number[]; branches: string[] }[] = [
  { name: 'standard 3x3, padding 1', conv: new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 1, bias: false, rng: rng() }), input: [2, 7, 6, 4], branches: ['conv0', 'conv1', 'scale', 'skip'] },
  { name: 'standard 3x3, stride 2, widening', conv: new Conv2d({ inChannels: 3, outChannels: 5, kernelSize: 3, stride: 2, padding: 1, rng: rng() }), input: [2, 9, 8, 3], branches: ['conv0', 'conv1', 'scale'] },
  { name: 'standard 3x3, valid (no centre tap on the output pixel)', conv: new Conv2d({ inChannels: 3, outChannels: 3, kernelSize: 3, rng: rng() }), input: [1, 6, 6, 3], branches: ['conv0', 'conv1'] },
  { name: 'depthwise 5x5, padding 2', conv: new DepthwiseConv2d({ channels: 6, kernelSize: 5, padding: 2, bias: false, rng: rng() }), input: [2, 8, 7, 6], branches: ['conv0', 'conv1', 'scale', 'skip'] },
  { name: 'depthwise 3x3 same, dilation 2', conv: new DepthwiseConv2d({ channels: 5, kernelSize: 3, padding: 'same', dilation: 2, rng: rng() }), input: [1, 9, 9, 5], branches: ['conv0', 'conv1', 'scale', 'skip'] },
  { name: 'depthwise 3x3, stride 2, multiplier 2', conv: new DepthwiseConv2d({ channels: 3, kernelSize: 3, stride: 2, padding: 1, depthMultiplier: 2, rng: rng() }), input: [2, 7, 7, 3], branches: ['conv0', 'conv1', 'scale'] },
  { name: 'pointwise, square', conv: new PointwiseConv2d({ inChannels: 6, outChannels: 6, rng: rng() }), input: [2, 3, 4, 6], branches: ['conv0', 'conv1', 'skip'] },
  { name: 'pointwise, widening', conv: new PointwiseConv2d({ inChannels: 4, outChannels: 7, rng: rng() }), input: [2, 3, 4, 4], branches: ['conv0', 'conv1'] },
];

for (const c of cases)
  test(`RepConv2d (${c.name}): its branches, and fuse() computes what it computes in eval mode`, () => {
    const rep = new RepConv2d(c.conv, { branches: 2, rng: new Random(2) });
    assert.deepEqual(rep.namedChildren().map(([n]) => n), c.branches);
    // The first branch starts from the template's filters.
    assert.deepEqual((rep.namedChildren()[0][1] as Module).stateDict().get('conv.weight')!.data, c.conv.weight.data);
    const { multi, fused } = evalBoth(rep, c.input);
    assertClose(fused, multi, { rtol: 1e-4, atol: 1e-5 }, c.name);
    const layer = rep.fuse();
    assert.equal(layer.constructor, c.conv.constructor);
    assert.notEqual(layer.bias, null);
    assert.equal(layer.training, false);
  });

test('RepConv2d trains: finite-difference gradients for the input and every branch parameter, in training mode', () => {
  const rep = new RepConv2d(new DepthwiseConv2d({ channels: 2, kernelSize: 3, padding: 1, rng: new Random(4) }), { branches: 2, rng: new Random(5) });
  randomiseNorms(rep, 6);
  // A batch-normalised 1x1 depthwise filter is scale-invariant except within the norm's eps of 0, where a finite
  // difference of step 1e-2 is no estimate at all: keep it away from there.
  rep.stateDict().get('scale.conv.weight')!.data.set([0.8, -1.1]);
  const x = randomTensor([2, 4, 3, 2], 6);
  checkGradients((input) => rep.call(input), [x], { rtol: 2e-2, atol: 2e-3 });

  const r = Float64Array.from(randomTensor([2, 4, 3, 2], 7).data);
  const objective = () => noGrad(() => rep.call(x).toArray().reduce((s, v, i) => s + v * r[i], 0));
  rep.zeroGrad();
  const y = rep.call(x);
  y.backward(new Tensor(Float32Array.from(r), y.shape));
  const eps = 1e-2;
  assert.equal(rep.namedParameters().length, 3 + 3 + 3 + 2); // conv0, conv1, scale: filter, gamma, beta; skip: gamma, beta
  for (const [name, p] of rep.namedParameters()) {
    const numeric = new Float64Array(p.size);
    for (let j = 0; j < p.size; j++) {
      const orig = p.data[j];
      p.data[j] = orig + eps;
      const plus = objective();
      p.data[j] = orig - eps;
      const minus = objective();
      p.data[j] = orig;
      numeric[j] = (plus - minus) / (2 * eps);
    }
    assertClose(p.grad!.data, numeric, { rtol: 2e-2, atol: 2e-3 }, `gradient of ${name}`);
  }
});

test('RepSeparableConv2d folds into a SeparableConv2d with biases and no batch norm, keeping the activation', () => {
  const template = new SeparableConv2d({ inChannels: 4, outChannels: 6, kernelSize: 5, padding: 2, batchNorm: true, activation: 'relu', bias: false, rng: new Random(8) });
  const rep = new RepSeparableConv2d(template, { branches: 3, rng: new Random(9) });
  assert.deepEqual(rep.depthwise.namedChildren().map(([n]) => n), ['conv0', 'conv1', 'conv2', 'scale', 'skip']);
  assert.deepEqual(rep.pointwise.namedChildren().map(([n]) => n), ['conv0', 'conv1', 'conv2']);
  const { multi, fused } = evalBoth(rep, [2, 6, 5, 4]);
  assertClose(fused, multi, { rtol: 1e-4, atol: 1e-5 });
  const layer = rep.fuse();
  assert.equal(layer.bn, null);
  assert.equal(layer.act, rep.act);
  assert.deepEqual([...layer.stateDict().keys()], ['depthwise.weight', 'depthwise.bias', 'pointwise.weight', 'pointwise.bias']);
});

test('RepConv2d rejects what it cannot re-parameterise, naming it', () => {
  const conv = new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, groups: 2 });
  assert.throws(() => new RepConv2d(conv), (e: Error) => e instanceof ArgumentError && /grouped Conv2d \(groups 2\)/.test(e.message));
  for (const branches of [0, 1.5])
    assert.throws(() => new RepConv2d(new PointwiseConv2d({ inChannels: 2, outChannels: 2 }), { branches }),
      (e: Error) => e instanceof ArgumentError && e.message.includes(`branches must be an integer >= 1, got ${branches}`));
});
