import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Random, Tensor, ops } from '../../src/index.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

test('dropout is the identity in eval mode and with p = 0', () => {
  const x = randomTensor([2, 3], 71);
  assert.equal(ops.dropout(x, 0.5, false), x);
  assert.equal(ops.dropout(x, 0, true), x);
});

test('dropout statistics: drop rate p, survivors scaled by 1 / (1 - p), mean preserved', () => {
  const n = 100_000;
  for (const p of [0.1, 0.5, 0.8]) {
    const y = ops.dropout(Tensor.full([n], 1), p, true, new Random(3));
    const values = y.toArray();
    const dropped = values.filter((v) => v === 0).length;
    assert.ok(values.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6), 'survivors are scaled by 1/(1-p)');
    // Binomial standard deviation of the drop rate is sqrt(p(1-p)/n) <= 0.0016; allow 5 of them.
    assert.ok(Math.abs(dropped / n - p) < 0.008, `drop rate ${dropped / n} for p = ${p}`);
    const mean = values.reduce((a, b) => a + b, 0) / n;
    assert.ok(Math.abs(mean - 1) < 0.04, `mean ${mean} for p = ${p}`);
  }
});

test('dropout is deterministic for a seeded Random and differs across seeds', () => {
  const x = randomTensor([1000], 72);
  const a = ops.dropout(x, 0.3, true, new Random(9)).toArray();
  const b = ops.dropout(x, 0.3, true, new Random(9)).toArray();
  const c = ops.dropout(x, 0.3, true, new Random(10)).toArray();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // Consecutive calls on one generator draw fresh masks.
  const rng = new Random(9);
  assert.notDeepEqual(ops.dropout(x, 0.3, true, rng).toArray(), ops.dropout(x, 0.3, true, rng).toArray());
});

test('dropout gradient is the mask', () => {
  const x = new Tensor(new Float32Array(200).fill(2), [200], true);
  const y = ops.dropout(x, 0.4, true, new Random(5));
  ops.sum(y).backward();
  assert.deepEqual(x.grad!.toArray(), y.toArray().map((v) => v / 2));
  checkGradients((t) => ops.dropout(t, 0.4, true, new Random(6)), [randomTensor([3, 4, 5], 73)]);
});

test('dropout rejects p outside [0, 1)', () => {
  const x = Tensor.zeros([3]);
  assert.throws(() => ops.dropout(x, 1, true), /p must be a probability in \[0, 1\), got 1/);
  assert.throws(() => ops.dropout(x, -0.1, true), ArgumentError);
  assert.throws(() => ops.dropout(x, NaN, false), ArgumentError);
  assert.throws(() => ops.dropout(x, 0.5, 'yes' as never), /training must be a boolean/);
});
