import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Tensor } from '../../src/index.js';
import { Adam, AdamW, RMSprop, SGD, clipGradNorm, type Optimizer } from '../../src/train/optimizer.js';
import { cosineWithWarmup, oneCycle, stepDecay } from '../../src/train/schedule.js';
import { makeOptimizer, type RunConfig } from '../../src/train/run_config.js';
import { smallCnn } from '../../src/models/baselines.js';
import { separabilize } from '../../src/models/separabilize.js';
import { DepthwiseConv2d } from '../../src/nn/conv.js';
import { Random } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/close.js';

function param(values: number[]): Tensor {
  return new Tensor(values, [values.length], true);
}

function setGrad(p: Tensor, g: number[]): void {
  p.grad = new Tensor(g, p.shape);
}

test('SGD: plain, weight decay, momentum and Nesterov follow PyTorch update rules', () => {
  const p = param([1, -2]);
  const sgd = new SGD([p], { lr: 0.1, weightDecay: 0.5 });
  setGrad(p, [1, 1]);
  sgd.step();
  // w -= lr * (g + wd * w)
  assertClose(p.data, [1 - 0.1 * (1 + 0.5), -2 - 0.1 * (1 - 1)]);

  const q = param([1]);
  const mom = new SGD([q], { lr: 0.1, momentum: 0.9 });
  setGrad(q, [1]);
  mom.step(); // v = 1, w = 0.9
  setGrad(q, [1]);
  mom.step(); // v = 1.9, w = 0.71
  assertClose(q.data, [0.71]);

  const r = param([1]);
  const nes = new SGD([r], { lr: 0.1, momentum: 0.9, nesterov: true });
  setGrad(r, [1]);
  nes.step(); // v = 1, step = g + mu v = 1.9 -> 0.81
  setGrad(r, [1]);
  nes.step(); // v = 1.9, step = 1 + 1.71 = 2.71 -> 0.539
  assertClose(r.data, [0.539]);
});

test('Adam: the first step moves each weight by lr against the sign of its gradient', () => {
  const p = param([1, 1, 1]);
  const adam = new Adam([p], { lr: 0.01 });
  setGrad(p, [3, -0.5, 1e-3]);
  adam.step();
  assertClose(p.data, [0.99, 1.01, 0.99], { rtol: 1e-4 });
});

test('AdamW decays weights independently of the gradient', () => {
  const p = param([2]);
  const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.1 });
  setGrad(p, [0]);
  opt.step();
  assertClose(p.data, [2 - 0.1 * 0.1 * 2]);
});

test('noDecay exempts those parameters from weight decay in every optimizer; makeOptimizer exempts depthwise filters on request', () => {
  const make: ((ps: Tensor[], noDecay: Tensor[]) => Optimizer)[] = [
    (ps, noDecay) => new SGD(ps, { lr: 0.1, weightDecay: 0.5, noDecay }),
    (ps, noDecay) => new Adam(ps, { lr: 0.1, weightDecay: 0.5, noDecay }),
    (ps, noDecay) => new AdamW(ps, { lr: 0.1, weightDecay: 0.5, noDecay }),
    (ps, noDecay) => new RMSprop(ps, { lr: 0.1, weightDecay: 0.5, noDecay }),
  ];
  for (const f of make) {
    const decayed = param([2, -1]);
    const exempt = param([2, -1]);
    const opt = f([decayed, exempt], [exempt]);
    setGrad(decayed, [0, 0]);
    setGrad(exempt, [0, 0]);
    opt.step();
    assert.deepEqual([...exempt.data], [2, -1], `${opt.constructor.name}: a zero gradient and no decay leave the weights`);
    assert.ok(Math.abs(decayed.data[0]) < 2 && Math.abs(decayed.data[1]) < 1, `${opt.constructor.name} decays the others`);
  }

  const model = smallCnn({ width: 4, rng: new Random(0) });
  separabilize(model, { inputShape: [28, 28, 1], keepStem: true });
  const config = { optimizer: 'adamw', lr: 0.1, weightDecay: 0.5, momentum: 0, noDepthwiseDecay: true } as RunConfig;
  const opt = makeOptimizer(config, model);
  for (const p of model.parameters()) {
    p.grad = new Tensor(new Float32Array(p.size), p.shape);
    p.data.fill(1);
  }
  opt.step();
  const depthwise = new Set(model.modules().flatMap((m) => (m instanceof DepthwiseConv2d ? [m.weight] : [])));
  assert.equal(depthwise.size, 2);
  for (const [name, p] of model.namedParameters())
    assert.equal(p.data[0] === 1, depthwise.has(p), `${name}: ${depthwise.has(p) ? 'exempt' : 'decayed'}`);
});

test('every optimizer minimises a quadratic', () => {
  const make: [string, (p: Tensor) => Optimizer][] = [
    ['sgd', (p) => new SGD([p], { lr: 0.1, momentum: 0.9 })],
    ['adam', (p) => new Adam([p], { lr: 0.05 })],
    ['adamw', (p) => new AdamW([p], { lr: 0.05, weightDecay: 0 })],
    ['rmsprop', (p) => new RMSprop([p], { lr: 0.01, momentum: 0.5 })],
  ];
  for (const [name, f] of make) {
    const p = param([3, -4]);
    const opt = f(p);
    for (let i = 0; i < 500; i++) {
      setGrad(p, [2 * p.data[0], 2 * p.data[1]]);
      opt.step();
    }
    assert.ok(Math.hypot(p.data[0], p.data[1]) < 0.05, `${name} ended at ${p.toArray()}`);
  }
});

test('optimizer state round-trips: a restored optimizer continues identically', () => {
  const run = (restoreAt: number | null): number[] => {
    let p = param([1, 2, 3]);
    let opt = new Adam([p], { lr: 0.1 });
    for (let i = 0; i < 10; i++) {
      if (i === restoreAt) {
        const saved = opt.state();
        const weights = p.data.slice();
        p = new Tensor(weights, p.shape, true);
        opt = new Adam([p], { lr: 0.1 });
        opt.loadState(saved);
      }
      setGrad(p, p.toArray().map((v) => Math.sin(v * (i + 1))));
      opt.step();
    }
    return p.toArray();
  };
  assert.deepEqual(run(5), run(null));
});

test('bad hyper-parameters and mismatched state are rejected with clear errors', () => {
  assert.throws(() => new SGD([param([1])], { lr: 0 }), ArgumentError);
  assert.throws(() => new SGD([param([1])], { lr: 0.1, nesterov: true }), /nesterov needs momentum/);
  assert.throws(() => new Adam([param([1])], { beta1: 1 }), /beta1 must be in \[0, 1\)/);
  const p = param([1, 2]);
  const a = new Adam([p]);
  const b = new Adam([param([1])]);
  setGrad(p, [1, 1]);
  a.step();
  assert.throws(() => b.loadState(a.state()), /another model/);
});

test('clipGradNorm scales gradients to the maximum norm', () => {
  const p = param([0, 0]);
  setGrad(p, [3, 4]);
  assert.equal(clipGradNorm([p], 1), 5);
  assertClose(p.grad!.data, [0.6, 0.8], { rtol: 1e-5 });
});

test('schedules: warm-up then cosine, step decay, one-cycle end points', () => {
  const cos = cosineWithWarmup({ baseLr: 1, warmupSteps: 10, totalSteps: 110 });
  assertClose([cos(0), cos(9), cos(10), cos(60), cos(110)], [0.1, 1, 1, 0.5, 0], { atol: 1e-9 });
  const st = stepDecay({ baseLr: 1, stepSize: 10, gamma: 0.5 });
  assert.deepEqual([st(0), st(9), st(10), st(25)], [1, 1, 0.5, 0.25]);
  const oc = oneCycle({ maxLr: 1, totalSteps: 100 });
  assertClose([oc(0), oc(29), oc(99)], [0.04, 1, 0.04 / 1e4], { rtol: 1e-6 });
  assert.throws(() => cosineWithWarmup({ baseLr: 1, warmupSteps: 10, totalSteps: 5 }), ArgumentError);
});
