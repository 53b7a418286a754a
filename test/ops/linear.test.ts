/** linear and matmul: values, gradients, trace attrs and bad inputs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShapeError, Tensor, ops, traceOps, type OpEvent } from '../../src/index.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

test('linear: x [N, in] · w [in, out] + bias (hand-computed)', () => {
  const x = new Tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const w = new Tensor([1, 0, 0, 1, 1, 1], [3, 2]);
  assert.deepEqual(ops.linear(x, w, new Tensor([10, 20], [2])).toArray(), [14, 25, 20, 31]);
  assert.deepEqual(ops.linear(x, w).toArray(), [4, 5, 10, 11]);
});

test('matmul: [2, 3] · [3, 2] (hand-computed)', () => {
  const c = ops.matmul(new Tensor([1, 2, 3, 4, 5, 6], [2, 3]), new Tensor([7, 8, 9, 10, 11, 12], [3, 2]));
  assert.deepEqual(c.shape, [2, 2]);
  assert.deepEqual(c.toArray(), [58, 64, 139, 154]);
});

test('linear with bias: gradients match finite differences', () => {
  checkGradients((x, w, b) => ops.linear(x, w, b), [randomTensor([4, 5], 1), randomTensor([5, 3], 2), randomTensor([3], 3)]);
});

test('linear without bias: gradients match finite differences', () => {
  checkGradients((x, w) => ops.linear(x, w, null), [randomTensor([3, 7], 4), randomTensor([7, 5], 5)]);
});

test('matmul: gradients match finite differences', () => {
  checkGradients((a, b) => ops.matmul(a, b), [randomTensor([3, 4], 6), randomTensor([4, 2], 7)]);
  checkGradients((a, b) => ops.matmul(a, b), [randomTensor([1, 5], 8), randomTensor([5, 1], 9)]);
});

test('matmul of a matrix with itself accumulates both gradient paths', () => {
  checkGradients((a) => ops.matmul(a, a), [randomTensor([3, 3], 10)]);
});

test('linear and matmul record {m, k, n} as trace attrs', () => {
  const events: OpEvent[] = [];
  const x = randomTensor([4, 5], 11);
  const w = randomTensor([5, 3], 12);
  const b = randomTensor([3], 13);
  traceOps((e) => events.push(e), () => {
    ops.linear(x, w, b);
    ops.matmul(x, w);
  });
  assert.deepEqual(events.map((e) => [e.op, e.inputs.length, e.attrs]), [
    ['linear', 3, { m: 4, k: 5, n: 3 }],
    ['matmul', 2, { m: 4, k: 5, n: 3 }],
  ]);
});

test('linear rejects bad inputs with the shapes and the fix', () => {
  const w = randomTensor([5, 3], 14);
  assert.throws(() => ops.linear(randomTensor([2, 1, 1, 5], 15), w),
    (e) => e instanceof ShapeError && /linear: input must be 2-D \[N, in_features\], got shape \[2, 1, 1, 5\]; flatten/.test(e.message));
  assert.throws(() => ops.linear(randomTensor([2, 5], 16), randomTensor([5], 17)), /linear: weight must be 2-D \[in_features, out_features\]/);
  assert.throws(() => ops.linear(randomTensor([2, 3], 18), w),
    (e) => e instanceof ShapeError && /input \[2, 3\] has 3 features but the weight \[5, 3\] expects 5/.test(e.message));
  assert.throws(() => ops.linear(randomTensor([2, 5], 19), w, randomTensor([5], 20)),
    (e) => e instanceof ShapeError && /linear: bias has shape \[5\] but the weight has 3 output features/.test(e.message));
});

test('matmul rejects bad inputs', () => {
  assert.throws(() => ops.matmul(randomTensor([2, 3, 1], 21), randomTensor([3, 2], 22)), /matmul: both operands must be 2-D/);
  assert.throws(() => ops.matmul(randomTensor([2, 3], 23), randomTensor([2, 3], 24)),
    (e) => e instanceof ShapeError && /inner dimensions differ: \[2, 3\] · \[2, 3\]/.test(e.message));
});
