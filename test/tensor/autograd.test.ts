import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DisposedError, ShapeError, Tensor, memory, noGrad, ops, tidy } from '../../src/index.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

test('gradients accumulate across backward calls and reach every use of a tensor', () => {
  const x = new Tensor([1, 2, 3], [3], true);
  ops.sum(ops.mul(x, x)).backward();
  assert.deepEqual(x.grad?.toArray(), [2, 4, 6]);
  ops.sum(x).backward();
  assert.deepEqual(x.grad?.toArray(), [3, 5, 7]);
});

test('noGrad records nothing', () => {
  const x = new Tensor([1, 2], [2], true);
  const y = noGrad(() => ops.mulScalar(x, 3));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  assert.throws(() => y.backward(), ShapeError);
});

test('backward without a seed needs a scalar', () => {
  const x = new Tensor([1, 2], [2], true);
  assert.throws(() => ops.mulScalar(x, 2).backward(), /shape \[2\]/);
});

test('tidy disposes intermediates, keeps results, and dispose is detected on use', () => {
  const before = memory().numTensors;
  const a = new Tensor([1, 2, 3, 4], [2, 2]);
  let inner: Tensor | undefined;
  const kept = tidy(() => {
    inner = ops.mulScalar(a, 2);
    return ops.add(inner, a);
  });
  assert.equal(memory().numTensors, before + 2);
  assert.deepEqual(kept.toArray(), [3, 6, 9, 12]);
  assert.throws(() => inner!.data, DisposedError);
  kept.dispose();
  a.dispose();
  assert.equal(memory().numTensors, before);
});

test('tidy disposes its tensors when the function throws', () => {
  const before = memory().numTensors;
  assert.throws(() => tidy(() => {
    ops.add(Tensor.zeros([2]), Tensor.zeros([2]));
    throw new Error('boom');
  }), /boom/);
  assert.equal(memory().numTensors, before);
});

test('broadcasting arithmetic: forward values and finite-difference gradients', () => {
  const a = new Tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = new Tensor([10, 20, 30], [3]);
  assert.deepEqual(ops.add(a, b).toArray(), [11, 22, 33, 14, 25, 36]);
  assert.deepEqual(ops.sub(a, b).shape, [2, 3]);
  assert.throws(() => ops.add(a, new Tensor([1, 2], [2])), /cannot be broadcast/);
  const x = randomTensor([2, 3, 3, 4], 1);
  const s = randomTensor([2, 1, 1, 4], 2, 0.5, 1.5);
  checkGradients(ops.add, [x, s]);
  checkGradients(ops.sub, [x, s]);
  checkGradients(ops.mul, [x, s]);
  checkGradients(ops.div, [x, s], { eps: 1e-3 });
  // mul's squeeze-and-excitation path (x [N,H,W,C] * gate [N,1,1,C], either order) against a plain loop, and the
  // general broadcast path (a [1,1,1,C] scale) against the same loop.
  const expected = (gate: Tensor) => x.toArray().map((v, i) => Math.fround(v * gate.data[gate.shape[0] === 1 ? i % 4 : Math.floor(i / 36) * 4 + (i % 4)]));
  assert.deepEqual(ops.mul(x, s).toArray(), expected(s));
  assert.deepEqual(ops.mul(s, x).toArray(), expected(s));
  const row = randomTensor([1, 1, 1, 4], 4);
  assert.deepEqual(ops.mul(x, row).toArray(), expected(row));
  checkGradients((g, t) => ops.mul(g, t), [s, x]);
  checkGradients((g, t) => ops.square(ops.mul(g, t)), [s, x], { eps: 1e-3 });
  checkGradients((t) => ops.square(ops.affineScalar(t, 2, 1)), [x], { eps: 1e-3 });
});

test('reductions and layout ops: values and gradients', () => {
  const x = randomTensor([2, 3, 4], 3);
  assert.deepEqual(ops.sum(x, [1, 2]).shape, [2]);
  assert.deepEqual(ops.mean(x, [-1], true).shape, [2, 3, 1]);
  const t = new Tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  assert.deepEqual(ops.sum(t, [0]).toArray(), [5, 7, 9]);
  assert.deepEqual(ops.mean(t, [1]).toArray(), [2, 5]);
  assert.deepEqual(ops.transpose(t, [1, 0]).toArray(), [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(ops.concat([t, t], 1).toArray(), [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
  assert.deepEqual(ops.reshape(t, [3, -1]).shape, [3, 2]);
  assert.throws(() => ops.reshape(t, [4, -1]), /cannot reshape \[2, 3\]/);
  checkGradients((a) => ops.sum(a, [0, 2]), [x]);
  checkGradients((a) => ops.mean(a, [1], true), [x]);
  checkGradients((a) => ops.transpose(a, [2, 0, 1]), [x]);
  checkGradients((a, b) => ops.concat([a, b], 1), [x, randomTensor([2, 5, 4], 4)]);
  checkGradients((a) => ops.pad2d(a, { top: 1, bottom: 0, left: 2, right: 1 }), [randomTensor([1, 3, 2, 2], 5)]);
  checkGradients(ops.flatten, [x]);
});
