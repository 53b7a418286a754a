import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError, Tensor, noGrad, ops, traceOps, type OpEvent } from '../../src/index.js';
import { assertClose } from '../helpers/close.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

function stats(c: number, mean = 0, variance = 1) {
  return { runningMean: Tensor.full([c], mean), runningVar: Tensor.full([c], variance) };
}

test('training mode: batch statistics by hand and the running-stat update rule', () => {
  // Two channels over N=2, H=1, W=2 (4 values each): channel 0 = 1, 2, 3, 4; channel 1 = 10, 10, 20, 20.
  const x = new Tensor([1, 10, 2, 10, 3, 20, 4, 20], [2, 1, 2, 2]);
  const gamma = new Tensor([2, 1], [2]);
  const beta = new Tensor([0.5, -1], [2]);
  const { runningMean, runningVar } = stats(2, 1, 2);
  const y = ops.batchNorm2d(x, { gamma, beta, runningMean, runningVar, training: true, momentum: 0.1, eps: 1e-5 });
  // Channel 0: mean 2.5, biased var 1.25, unbiased 5/3. Channel 1: mean 15, biased var 25, unbiased 100/3.
  const s0 = Math.sqrt(1.25 + 1e-5);
  const s1 = Math.sqrt(25 + 1e-5);
  const expected = [1, 2, 3, 4].flatMap((v, i) => [2 * (v - 2.5) / s0 + 0.5, ((i < 2 ? 10 : 20) - 15) / s1 - 1]);
  assertClose(y.data, expected, { rtol: 1e-5, atol: 1e-6 }, 'normalised output');
  assertClose(runningMean.data, [0.9 * 1 + 0.1 * 2.5, 0.9 * 1 + 0.1 * 15], {}, 'running mean');
  assertClose(runningVar.data, [0.9 * 2 + 0.1 * (5 / 3), 0.9 * 2 + 0.1 * (100 / 3)], {}, 'running var (unbiased)');

  // A second step keeps blending: momentum 0.3 this time.
  ops.batchNorm2d(x, { gamma, beta, runningMean, runningVar, training: true, momentum: 0.3 });
  assertClose(runningMean.data, [0.7 * 1.15 + 0.3 * 2.5, 0.7 * 2.4 + 0.3 * 15], {}, 'running mean, step 2');
  assertClose(runningVar.data, [0.7 * (1.8 + 1 / 6) + 0.3 * (5 / 3), 0.7 * (1.8 + 10 / 3) + 0.3 * (100 / 3)], {}, 'running var, step 2');
});

test('training mode normalises each channel to mean 0 and variance 1 (gamma 1, beta 0)', () => {
  const x = randomTensor([3, 4, 5, 6], 41, -3, 7);
  const y = ops.batchNorm2d(x, { gamma: Tensor.full([6], 1), beta: Tensor.zeros([6]), ...stats(6), training: true });
  assertClose(ops.mean(y, [0, 1, 2]).data, new Array(6).fill(0), { atol: 1e-5 }, 'channel means');
  assertClose(ops.mean(ops.square(y), [0, 1, 2]).data, new Array(6).fill(1), { rtol: 1e-4 }, 'channel variances');
});

test('eval mode uses the running statistics and leaves them unchanged', () => {
  const x = new Tensor([1, 2, 3, 4], [1, 2, 1, 2]);
  const runningMean = new Tensor([1, -1], [2]);
  const runningVar = new Tensor([4, 0.25], [2]);
  const y = ops.batchNorm2d(x, { gamma: new Tensor([3, 1], [2]), beta: new Tensor([1, 0], [2]), runningMean, runningVar, training: false, eps: 1e-3 });
  const expected = [3 * (1 - 1) / Math.sqrt(4.001) + 1, (2 + 1) / Math.sqrt(0.251), 3 * (3 - 1) / Math.sqrt(4.001) + 1, (4 + 1) / Math.sqrt(0.251)];
  assertClose(y.data, expected, {}, 'eval output');
  assert.deepEqual(runningMean.toArray(), [1, -1]);
  assert.deepEqual(runningVar.toArray(), [4, 0.25]);
});

test('training mode updates running stats even without gradient recording', () => {
  const s = stats(1);
  noGrad(() => ops.batchNorm2d(new Tensor([0, 2], [1, 1, 2, 1]), { gamma: Tensor.full([1], 1), beta: Tensor.zeros([1]), ...s, training: true }));
  assertClose(s.runningMean.data, [0.1], {}, 'mean');
  assertClose(s.runningVar.data, [0.9 + 0.1 * 2], {}, 'var');
});

for (const training of [true, false]) {
  test(`gradients for x, gamma and beta in ${training ? 'training' : 'eval'} mode`, () => {
    const x = randomTensor([2, 3, 3, 4], 51, -2, 2);
    const gamma = randomTensor([4], 52, 0.5, 1.5);
    const beta = randomTensor([4], 53);
    const running = { runningMean: randomTensor([4], 54), runningVar: randomTensor([4], 55, 0.5, 2) };
    checkGradients((a, g, b) => ops.batchNorm2d(a, { gamma: g, beta: b, ...running, training }), [x, gamma, beta], { eps: 1e-3 });
  });
}

test('batchNorm2d reports eps and mode to tracers', () => {
  const events: OpEvent[] = [];
  traceOps((e) => events.push(e), () =>
    ops.batchNorm2d(Tensor.zeros([1, 2, 2, 3]), { gamma: Tensor.full([3], 1), beta: Tensor.zeros([3]), ...stats(3), training: false, eps: 1e-3 }));
  assert.equal(events[0].op, 'batchNorm2d');
  assert.equal(events[0].attrs?.eps, 1e-3);
  assert.equal(events[0].attrs?.training, false);
});

test('batchNorm2d rejects bad shapes and arguments', () => {
  const params = { gamma: Tensor.full([3], 1), beta: Tensor.zeros([3]), ...stats(3) };
  const x = Tensor.zeros([2, 2, 2, 3]);
  assert.throws(() => ops.batchNorm2d(Tensor.zeros([2, 3]), { ...params, training: true }), ShapeError);
  assert.throws(() => ops.batchNorm2d(x, { ...params, gamma: Tensor.zeros([4]), training: true }), /gamma has shape \[4\], expected \[3\]/);
  assert.throws(() => ops.batchNorm2d(x, { ...params, runningVar: Tensor.zeros([3, 1]), training: false }), /runningVar has shape/);
  assert.throws(() => ops.batchNorm2d(x, { ...params, beta: undefined as never, training: false }), /beta must be a Tensor/);
  assert.throws(() => ops.batchNorm2d(Tensor.zeros([1, 1, 1, 3]), { ...params, training: true }), /more than one value per channel/);
  assert.throws(() => ops.batchNorm2d(x, { ...params, training: true, momentum: 1.5 }), ArgumentError);
  assert.throws(() => ops.batchNorm2d(x, { ...params, training: true, eps: 0 }), /eps must be a positive number/);
  assert.throws(() => ops.batchNorm2d(x, { ...params } as never), /training must be a boolean/);
});
