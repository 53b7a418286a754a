/**
 * Each fusion on its own: a graph with exactly one opportunity, compiled with only that fusion on, must apply it
 * once, list it in the report, and give the eager result; with the fusion off it must not apply and give the
 * same result.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchNorm2d } from '../../src/nn/batchnorm.js';
import { Residual, Sequential } from '../../src/nn/containers.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../../src/nn/conv.js';
import { activation } from '../../src/nn/activation.js';
import { SqueezeExcite } from '../../src/nn/squeeze_excite.js';
import type { Module } from '../../src/nn/module.js';
import { compile } from '../../src/plan/compile.js';
import type { FusionKind } from '../../src/plan/ir.js';
import { Random } from '../../src/tensor/random.js';
import { add } from '../../src/ops/elementwise.js';
import { Fn, checkPlan, only, randomInput, randomizeBatchNorms } from './helpers.js';

const rng = (seed: number): Random => new Random(seed);

/** Compiles `model` with only `kind` on and with nothing on; checks counts, steps and outputs of both. */
async function isolate(model: Module, shape: number[], kind: FusionKind, steps: { fused: string[]; unfused: string[] }): Promise<void> {
  randomizeBatchNorms(model, 11);
  const x = randomInput(shape, 12);
  const on = await compile(model, shape, { backend: 'wasm', fusions: only(kind) });
  assert.equal(on.report.counts[kind], 1, `${kind}: ${JSON.stringify(on.report.fusions)}`);
  assert.equal(on.report.fusions.length, 1, JSON.stringify(on.report.fusions));
  assert.equal(on.report.fusions[0].kind, kind);
  assert.deepEqual(on.report.steps.map((s) => s.kind), steps.fused);
  assert.match(on.summary(), new RegExp(`${kind} 1`));
  checkPlan(on, model, x, `${kind} on`);
  const off = await compile(model, shape, { backend: 'wasm', fusions: only() });
  assert.equal(off.report.fusions.length, 0);
  assert.deepEqual(off.report.steps.map((s) => s.kind), steps.unfused);
  checkPlan(off, model, x, `${kind} off`);
}

test('batchNorm: a batch norm after a standard, depthwise or pointwise conv folds into its weights and bias', async () => {
  const convs: [string, Module, number][] = [
    ['conv', new Conv2d({ inChannels: 3, outChannels: 6, kernelSize: 3, padding: 'same', rng: rng(1) }), 6],
    ['depthwise', new DepthwiseConv2d({ channels: 3, kernelSize: 3, stride: 2, padding: 'same', depthMultiplier: 2, rng: rng(2) }), 6],
    ['gemm', new PointwiseConv2d({ inChannels: 3, outChannels: 5, bias: false, rng: rng(3) }), 5],
  ];
  for (const [kind, conv, c] of convs) {
    const model = new Sequential(conv, new BatchNorm2d({ numFeatures: c, eps: 1e-3 }));
    await isolate(model, [2, 9, 9, 3], 'batchNorm', { fused: [kind], unfused: [kind, 'affine'] });
  }
});

test('activation: every activation kind becomes the epilogue of the conv before it', async () => {
  for (const name of ['relu', 'relu6', 'hardSwish', 'swish', 'sigmoid', 'hardSigmoid', 'tanh', 'leakyRelu'] as const) {
    const model = new Sequential(new Conv2d({ inChannels: 3, outChannels: 5, kernelSize: 3, rng: rng(4) }), activation(name));
    await isolate(model, [1, 7, 7, 3], 'activation', { fused: ['conv'], unfused: ['conv', 'unary'] });
  }
});

test('depthwisePointwise: a depthwise conv feeding only a pointwise conv becomes one banded step', async () => {
  const model = new Sequential(
    new DepthwiseConv2d({ channels: 6, kernelSize: 3, padding: 'same', rng: rng(5) }),
    new PointwiseConv2d({ inChannels: 6, outChannels: 7, rng: rng(6) }),
  );
  await isolate(model, [2, 11, 11, 6], 'depthwisePointwise', { fused: ['dwpw'], unfused: ['depthwise', 'gemm'] });
});

test('squeezeExcite: the SE gate multiply becomes a per-image scale of the next pointwise conv input', async () => {
  const se = new SqueezeExcite({ channels: 6, squeezeChannels: 3, gate: 'hardSigmoid', rng: rng(7) });
  const model = new Sequential(se, new PointwiseConv2d({ inChannels: 6, outChannels: 5, rng: rng(8) }));
  const seSteps = ['avgPool', 'gemm', 'unary', 'gemm', 'unary'];
  await isolate(model, [3, 5, 5, 6], 'squeezeExcite', { fused: [...seSteps, 'gemm'], unfused: [...seSteps, 'channelScale', 'gemm'] });
});

test('residual: the add of a residual block becomes the epilogue of the conv that ends the block', async () => {
  const body = new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 'same', rng: rng(9) });
  await isolate(new Residual(body), [2, 6, 6, 4], 'residual', { fused: ['conv'], unfused: ['conv', 'add'] });
});

test('residual + activation: relu(conv(x) + x) fuses with the activation applied after the add', async () => {
  const body = new Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 'same', rng: rng(10) });
  const model = new Sequential(new Residual(body), activation('relu'));
  randomizeBatchNorms(model, 1);
  const plan = await compile(model, [2, 6, 6, 4], { backend: 'wasm' });
  assert.deepEqual(plan.report.steps.map((s) => s.kind), ['conv']);
  assert.deepEqual(plan.report.counts, { batchNorm: 0, activation: 1, depthwisePointwise: 0, squeezeExcite: 0, residual: 1 });
  assert.match(plan.report.fusions.find((f) => f.kind === 'residual')!.detail, /with relu/);
  checkPlan(plan, model, randomInput([2, 6, 6, 4], 2), 'relu after residual');
});

test('a batch norm that follows no conv, or a conv whose output is read twice, stays a channel affine step', async () => {
  const first = new BatchNorm2d({ numFeatures: 3 });
  const conv = new Conv2d({ inChannels: 3, outChannels: 3, kernelSize: 3, padding: 'same', rng: rng(11) });
  const bn = new BatchNorm2d({ numFeatures: 3 });
  const model = new Fn((x) => {
    const y = conv.call(first.call(x));
    return add(bn.call(y), y);
  }, { first, conv, bn });
  randomizeBatchNorms(model, 13);
  const plan = await compile(model, [2, 8, 8, 3], { backend: 'wasm' });
  assert.deepEqual(plan.report.steps.map((s) => s.kind), ['affine', 'conv', 'affine', 'add']);
  assert.equal(plan.report.counts.batchNorm, 0);
  checkPlan(plan, model, randomInput([2, 8, 8, 3], 14), 'affine');
});
