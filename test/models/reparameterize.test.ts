import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from '../../src/cost/analyse.js';
import { ArgumentError } from '../../src/errors.js';
import { vggStyle } from '../../src/models/baselines.js';
import { overparameterize, reparameterize } from '../../src/models/reparameterize.js';
import { separabilize } from '../../src/models/separabilize.js';
import { Sequential } from '../../src/nn/containers.js';
import { BlueprintSeparableConv2d, Conv2d, PointwiseConv2d, SeparableConv2d } from '../../src/nn/conv.js';
import { Linear } from '../../src/nn/linear.js';
import type { Module } from '../../src/nn/module.js';
import { RepConv2d, RepSeparableConv2d } from '../../src/nn/reparam.js';
import { SqueezeExcite } from '../../src/nn/squeeze_excite.js';
import { compile } from '../../src/plan/index.js';
import { crossEntropy } from '../../src/ops/softmax.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Random } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { SGD } from '../../src/train/optimizer.js';
import { assertClose } from '../helpers/close.js';
import { randomImages } from './helpers.js';

const options = { stages: 2, convsPerStage: 2, width: 4, inChannels: 1, numClasses: 3, resolution: 8 } as const;
const typesOf = (m: Module, type: abstract new (...args: never[]) => Module): string[] =>
  m.namedModules().filter(([, x]) => x instanceof type).map(([path]) => path);

/**
 * A few SGD steps in training mode (they move the filters and every branch's batch statistics), then the model's
 * eval-mode output for `x`.
 */
function trainThenEval(model: Module, x: Tensor): Float32Array {
  const labels = Int32Array.from({ length: x.shape[0] }, (_, i) => i % 3);
  const sgd = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  for (let step = 0; step < 4; step++) {
    crossEntropy(model.call(x), labels).backward();
    sgd.step();
    model.zeroGrad();
  }
  model.eval();
  return noGrad(() => model.call(x).data.slice());
}

test('overparameterize, train, reparameterize: the folded separable twin computes what the trained one does, at its costs', async () => {
  const model = separabilize(vggStyle({ ...options, residual: true, squeezeExcite: true, rng: new Random(1) }), { batchNorm: true, keepStem: true, rng: new Random(2) }).model;
  const plain = analyse(model, [8, 8, 1]).totals;
  const separablePaths = typesOf(model, SeparableConv2d);
  const sePaths = typesOf(model, SqueezeExcite);
  assert.ok(sePaths.length > 0);

  overparameterize(model, { branches: 2, rng: new Random(3) });
  assert.deepEqual(typesOf(model, RepSeparableConv2d), separablePaths);
  assert.deepEqual(typesOf(model, SeparableConv2d), []);
  // The stem stays a standard conv, so it gets the standard conv's branches; the gates' 1x1 convs stay as they are.
  assert.deepEqual(typesOf(model, RepConv2d).filter((p) => !separablePaths.some((s) => p.startsWith(`${s}.`))), ['features.0']);
  for (const se of sePaths) assert.deepEqual(typesOf(model, PointwiseConv2d).filter((p) => p.startsWith(`${se}.`)), [`${se}.reduce`, `${se}.expand`]);
  assert.equal(typesOf(model, Linear).length, 1);

  const x = randomImages([6, 8, 8, 1], 4);
  const trained = trainThenEval(model, x);
  reparameterize(model);
  assert.deepEqual(typesOf(model, SeparableConv2d), separablePaths);
  assert.deepEqual([...typesOf(model, RepSeparableConv2d), ...typesOf(model, RepConv2d)], []);
  assertClose(noGrad(() => model.call(x).data), trained, { rtol: 1e-4, atol: 1e-5 });
  // The deployed model costs what the plain separable twin costs: the same MACs, a bias per fused conv in place of
  // the batch norm between depthwise and pointwise.
  const folded = analyse(model, [8, 8, 1]).totals;
  assert.equal(folded.macs, plain.macs);
  assert.equal(model.training, false);
  // The inference plan runs the folded layers (a depthwise conv with a bias, no batch norm after it) as eager does.
  const plan = await compile(model, [6, 8, 8, 1]);
  assertClose(plan.run(x).data, trained, { rtol: 1e-4, atol: 1e-5 }, 'compiled');
});

test('overparameterize gives the pointwise and depthwise convs of a BSConv-U twin their branches; reparameterize folds them back', () => {
  const model = separabilize(vggStyle({ ...options, rng: new Random(1) }), { order: 'pointwise-first', batchNorm: true, keepStem: true, depthwiseKernelSize: 5, rng: new Random(2) }).model;
  const plain = analyse(model, [8, 8, 1]).totals;
  const blueprints = typesOf(model, BlueprintSeparableConv2d);
  assert.ok(blueprints.length > 0);
  overparameterize(model, { rng: new Random(3) });
  assert.deepEqual(typesOf(model, RepConv2d).filter((p) => p !== 'features.0'), blueprints.flatMap((b) => [`${b}.pointwise`, `${b}.depthwise`]));
  const x = randomImages([6, 8, 8, 1], 4);
  const trained = trainThenEval(model, x);
  reparameterize(model);
  assert.deepEqual(typesOf(model, RepConv2d), []);
  assert.deepEqual(typesOf(model, BlueprintSeparableConv2d), blueprints);
  assertClose(noGrad(() => model.call(x).data), trained, { rtol: 1e-4, atol: 1e-5 });
  assert.equal(analyse(model, [8, 8, 1]).totals.macs, plain.macs);
});

test('reparameterize leaves a model without branches as it was; both transforms refuse a bare conv', () => {
  const model = vggStyle({ ...options, rng: new Random(5) });
  const keys = [...model.stateDict().keys()];
  assert.equal(reparameterize(model), model);
  assert.deepEqual([...model.stateDict().keys()], keys);
  const conv = new Conv2d({ inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1 });
  assert.throws(() => overparameterize(conv), (e: Error) => e instanceof ArgumentError && /overparameterize: the model itself is a Conv2d; wrap it/.test(e.message));
  const wrapped = overparameterize(new Sequential(conv));
  assert.ok(wrapped.children()[0] instanceof RepConv2d);
  assert.throws(() => reparameterize(wrapped.children()[0]), (e: Error) => e instanceof ArgumentError && /reparameterize: the model itself is a RepConv2d/.test(e.message));
});
