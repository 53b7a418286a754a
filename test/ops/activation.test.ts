import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError, Tensor, ops } from '../../src/index.js';
import { assertClose } from '../helpers/close.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

/** Moves values within `margin` of a kink to the nearest side at distance `margin`, so finite differences are valid. */
function awayFromKinks(t: Tensor, kinks: number[], margin = 0.05): Tensor {
  const d = t.data.slice();
  for (let i = 0; i < d.length; i++)
    for (const k of kinks) if (Math.abs(d[i] - k) < margin) d[i] = d[i] >= k ? k + margin : k - margin;
  return new Tensor(d, t.shape);
}

/** d(sum(f(x) * 1))/dx at the given points. */
function gradAt(f: (x: Tensor) => Tensor, points: number[]): number[] {
  const x = new Tensor(points, [points.length], true);
  f(x).backward(Tensor.full([points.length], 1));
  return x.grad!.toArray();
}

const sigmoidRef = (v: number) => 1 / (1 + Math.exp(-v));
const relu6Ref = (v: number) => Math.min(Math.max(v, 0), 6);

const cases: { name: string; f: (x: Tensor) => Tensor; ref: (v: number) => number; kinks: number[] }[] = [
  { name: 'relu', f: ops.relu, ref: (v) => Math.max(v, 0), kinks: [0] },
  { name: 'relu6', f: ops.relu6, ref: relu6Ref, kinks: [0, 6] },
  { name: 'hardSigmoid', f: ops.hardSigmoid, ref: (v) => relu6Ref(v + 3) / 6, kinks: [-3, 3] },
  { name: 'hardSwish', f: ops.hardSwish, ref: (v) => (v * relu6Ref(v + 3)) / 6, kinks: [-3, 3] },
  { name: 'sigmoid', f: ops.sigmoid, ref: sigmoidRef, kinks: [] },
  { name: 'swish', f: ops.swish, ref: (v) => v * sigmoidRef(v), kinks: [] },
  { name: 'silu', f: ops.silu, ref: (v) => v * sigmoidRef(v), kinks: [] },
  { name: 'tanh', f: ops.tanh, ref: Math.tanh, kinks: [] },
  { name: 'leakyRelu', f: (x) => ops.leakyRelu(x), ref: (v) => (v > 0 ? v : 0.01 * v), kinks: [0] },
  { name: 'leakyRelu(0.2)', f: (x) => ops.leakyRelu(x, 0.2), ref: (v) => (v > 0 ? v : 0.2 * v), kinks: [0] },
];

for (const c of cases) {
  test(`${c.name}: values and finite-difference gradients away from kinks`, () => {
    // Range [-8, 8) covers every linear piece of relu6, hardSigmoid and hardSwish.
    const x = awayFromKinks(randomTensor([2, 3, 4, 5], 11, -8, 8), c.kinks);
    const y = c.f(x);
    assert.deepEqual(y.shape, x.shape);
    assertClose(y.data, Array.from(x.data, c.ref), { rtol: 1e-6, atol: 1e-7 }, c.name);
    checkGradients(c.f, [x]);
  });
}

test('sigmoid, swish and tanh stay finite and saturate for large |x|', () => {
  const x = new Tensor([-1000, -100, -30, 30, 100, 1000], [6]);
  assert.deepEqual(ops.sigmoid(x).toArray().map((v) => Math.round(v)), [0, 0, 0, 1, 1, 1]);
  assert.ok(ops.sigmoid(x).toArray().every(Number.isFinite));
  assertClose(ops.swish(x).data, [-0, -0, -30 * sigmoidRef(-30), 30, 100, 1000], { rtol: 1e-6, atol: 1e-12 }, 'swish');
  assertClose(ops.tanh(x).data, [-1, -1, -1, 1, 1, 1], {}, 'tanh');
  for (const f of [ops.sigmoid, ops.swish, ops.tanh])
    assert.ok(gradAt(f, [-1000, -100, 100, 1000]).every(Number.isFinite));
  assertClose(gradAt(ops.sigmoid, [-1000, 1000]), [0, 0], {}, 'sigmoid saturated gradient');
  assertClose(gradAt(ops.swish, [-1000, 1000]), [0, 1], {}, 'swish saturated gradient');
});

test('derivatives at kinks follow PyTorch', () => {
  assert.deepEqual(gradAt(ops.relu, [0]), [0]);
  assert.deepEqual(gradAt(ops.relu6, [0, 6, 3]), [0, 0, 1]);
  assertClose(gradAt(ops.hardSigmoid, [-3, 3, 0]), [0, 0, 1 / 6], {}, 'hardSigmoid');
  assertClose(gradAt(ops.hardSwish, [-3, 3, -4, 4, 0]), [-0.5, 1.5, 0, 1, 0.5], {}, 'hardSwish');
  assertClose(gradAt((x) => ops.leakyRelu(x, 0.2), [0, 1, -1]), [0.2, 1, 0.2], {}, 'leakyRelu');
  assertClose(gradAt((x) => ops.prelu(x, new Tensor([0.3], [1])), [0, 1, -1]), [0.3, 1, 0.3], {}, 'prelu');
});

test('hardSwish is x * hardSigmoid(x), and hardSigmoid is relu6(x + 3) / 6', () => {
  const x = randomTensor([50], 3, -6, 6);
  assertClose(ops.hardSwish(x).data, ops.mul(x, ops.hardSigmoid(x)).data, {}, 'hardSwish');
  assertClose(ops.hardSigmoid(x).data, ops.mulScalar(ops.relu6(ops.addScalar(x, 3)), 1 / 6).data, {}, 'hardSigmoid');
});

test('leakyRelu rejects a non-finite alpha', () => {
  assert.throws(() => ops.leakyRelu(Tensor.zeros([2]), NaN), ArgumentError);
  assert.throws(() => ops.leakyRelu(Tensor.zeros([2]), Infinity), /alpha must be a finite number/);
});

test('prelu: per-channel and shared slopes, values and gradients for x and slope', () => {
  const x = new Tensor([-1, 2, -3, 4, 5, -6], [1, 2, 3]);
  const slope = new Tensor([0.1, 0.2, 0.3], [3]);
  assertClose(ops.prelu(x, slope).data, [-0.1, 2, -0.9, 4, 5, -1.8], {}, 'per-channel');
  assertClose(ops.prelu(x, new Tensor([0.5], [1])).data, [-0.5, 2, -1.5, 4, 5, -3], {}, 'shared');

  const xs = awayFromKinks(randomTensor([2, 3, 3, 4], 5), [0]);
  checkGradients(ops.prelu, [xs, randomTensor([4], 6, 0, 0.5)]);
  checkGradients(ops.prelu, [xs, new Tensor([0.25], [1])]);
  checkGradients(ops.prelu, [awayFromKinks(randomTensor([5, 7], 7), [0]), randomTensor([7], 8)]);

  // Hand check of the slope gradient: sum over x <= 0 of dy * x, per channel.
  const xg = new Tensor([-1, 2, -3, 4, 5, -6], [2, 3]);
  const sg = new Tensor([0.1, 0.2, 0.3], [3], true);
  ops.sum(ops.prelu(xg, sg)).backward();
  assertClose(sg.grad!.data, [-1, 0, -9], {}, 'slope gradient');
});

test('prelu rejects slopes that match neither the channel count nor [1]', () => {
  assert.throws(() => ops.prelu(Tensor.zeros([1, 2, 2, 3]), Tensor.zeros([2])), ShapeError);
  assert.throws(() => ops.prelu(Tensor.zeros([1, 2, 2, 3]), Tensor.zeros([3, 1])), /slope has shape \[3, 1\], expected \[3\]/);
  assert.throws(() => ops.prelu(Tensor.scalar(1), Tensor.zeros([1])), /scalar/);
});
