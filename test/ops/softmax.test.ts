import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError, Tensor, ops } from '../../src/index.js';
import { assertClose } from '../helpers/close.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

/** Softmax of a [A, B, C] tensor along `axis` in float64 from the definition. */
function referenceSoftmax(x: Tensor, axis: number): number[] {
  const [a, b, c] = x.shape;
  const at = (i: number, j: number, k: number) => x.data[(i * b + j) * c + k];
  const out: number[] = [];
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++)
      for (let k = 0; k < c; k++) {
        const line = axis === 1 ? Array.from({ length: b }, (_, t) => at(i, t, k)) : Array.from({ length: c }, (_, t) => at(i, j, t));
        const total = line.reduce((s, v) => s + Math.exp(v), 0);
        out.push(Math.exp(at(i, j, k)) / total);
      }
  return out;
}

for (const axis of [1, -1]) {
  test(`softmax and logSoftmax along axis ${axis}: values and gradients`, () => {
    const x = randomTensor([2, 3, 4], 61, -3, 3);
    const expected = referenceSoftmax(x, axis === 1 ? 1 : 2);
    assertClose(ops.softmax(x, axis).data, expected, {}, 'softmax');
    assertClose(ops.logSoftmax(x, axis).data, expected.map(Math.log), {}, 'logSoftmax');
    checkGradients((t) => ops.softmax(t, axis), [x]);
    checkGradients((t) => ops.logSoftmax(t, axis), [x]);
  });
}

test('softmax defaults to the last axis and sums to one along it', () => {
  const x = randomTensor([3, 5], 62);
  assert.deepEqual(ops.softmax(x).toArray(), ops.softmax(x, 1).toArray());
  assertClose(ops.sum(ops.softmax(x), [1]).data, [1, 1, 1], {}, 'row sums');
  assertClose(ops.sum(ops.softmax(x, 0), [0]).data, [1, 1, 1, 1, 1], {}, 'column sums');
});

test('softmax and logSoftmax are stable for huge logits', () => {
  const x = new Tensor([1000, 1001, 1002, -1000, -1001, -1002], [2, 3]);
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const z = e[0] + e[1] + e[2];
  assertClose(ops.softmax(x).data, [e[0] / z, e[1] / z, e[2] / z, e[2] / z, e[1] / z, e[0] / z], {}, 'softmax');
  assertClose(ops.logSoftmax(x).data, [-2 - Math.log(z), -1 - Math.log(z), -Math.log(z), -Math.log(z), -1 - Math.log(z), -2 - Math.log(z)], {}, 'logSoftmax');
});

/** Cross-entropy in float64 from the definition, with PyTorch's label smoothing. */
function referenceCrossEntropy(logits: number[][], labels: number[], eps: number, reduction: 'mean' | 'sum'): number {
  let total = 0;
  logits.forEach((row, i) => {
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    row.forEach((v, k) => {
      const target = (k === labels[i] ? 1 - eps : 0) + eps / row.length;
      total -= target * (v - lse);
    });
  });
  return reduction === 'mean' ? total / logits.length : total;
}

test('crossEntropy by hand, with and without label smoothing', () => {
  const rows = [[1, 2, 3], [1, 0, -1]];
  const logits = new Tensor(rows.flat(), [2, 3]);
  // Without smoothing: mean of -log softmax at the labels.
  const lse0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  const lse1 = Math.log(Math.exp(1) + 1 + Math.exp(-1));
  const plain = ((lse0 - 3) + (lse1 - 1)) / 2;
  assertClose([ops.crossEntropy(logits, [2, 0]).item()], [plain], {}, 'plain mean');
  assertClose([ops.crossEntropy(logits, [2, 0], { reduction: 'sum' }).item()], [2 * plain], {}, 'plain sum');
  // With ε = 0.1 and C = 3: the true class gets 0.9 + 0.1/3, the others 0.1/3.
  const smoothRow0 = -((0.1 / 3) * (1 - lse0) + (0.1 / 3) * (2 - lse0) + (0.9 + 0.1 / 3) * (3 - lse0));
  const smoothRow1 = -((0.9 + 0.1 / 3) * (1 - lse1) + (0.1 / 3) * (0 - lse1) + (0.1 / 3) * (-1 - lse1));
  assertClose([ops.crossEntropy(logits, [2, 0], { labelSmoothing: 0.1 }).item()], [(smoothRow0 + smoothRow1) / 2], {}, 'smoothed');
  assertClose([ops.crossEntropy(logits, [2, 0], { labelSmoothing: 0.1 }).item()], [referenceCrossEntropy(rows, [2, 0], 0.1, 'mean')], {}, 'smoothed vs reference');
  assertClose([ops.crossEntropy(logits, new Int32Array([1, 2]), { labelSmoothing: 0.25, reduction: 'sum' }).item()],
    [referenceCrossEntropy(rows, [1, 2], 0.25, 'sum')], {}, 'smoothed sum');
});

test('crossEntropy gradients and the softmax - target identity', () => {
  const x = randomTensor([4, 5], 63, -2, 2);
  const labels = [0, 4, 2, 2];
  checkGradients((t) => ops.crossEntropy(t, labels), [x]);
  checkGradients((t) => ops.crossEntropy(t, labels, { labelSmoothing: 0.2, reduction: 'sum' }), [x]);
  const l = new Tensor(x.data.slice(), x.shape, true);
  ops.crossEntropy(l, labels, { labelSmoothing: 0.1 }).backward();
  const p = ops.softmax(x).data;
  const expected = Array.from(p, (v, i) => (v - ((i % 5) === labels[Math.floor(i / 5)] ? 0.9 + 0.02 : 0.02)) / 4);
  assertClose(l.grad!.data, expected, {}, 'gradient');
});

test('crossEntropy validates labels, naming the bad index', () => {
  const logits = Tensor.zeros([3, 4]);
  assert.throws(() => ops.crossEntropy(logits, [0, 4, 1]), /labels\[1\] = 4 is not a class index: labels must be integers in 0\.\.3/);
  assert.throws(() => ops.crossEntropy(logits, [0, 1, -1]), /labels\[2\] = -1/);
  assert.throws(() => ops.crossEntropy(logits, [0.5, 1, 2]), /labels\[0\] = 0.5/);
  assert.throws(() => ops.crossEntropy(logits, [0, 1, NaN]), ArgumentError);
  assert.throws(() => ops.crossEntropy(logits, [0, 1]), /got 2 labels for a batch of 3 rows/);
  assert.throws(() => ops.crossEntropy(logits, [0, 1]), ShapeError);
});

test('crossEntropy and softmax reject bad shapes and options', () => {
  assert.throws(() => ops.crossEntropy(Tensor.zeros([2, 3, 4]), [0, 1]), /logits must be \[batch, classes\], got \[2, 3, 4\]/);
  assert.throws(() => ops.crossEntropy(Tensor.zeros([2, 3]), [0, 1], { labelSmoothing: 1.5 }), /labelSmoothing must be a number in \[0, 1\]/);
  assert.throws(() => ops.crossEntropy(Tensor.zeros([2, 3]), [0, 1], { reduction: 'none' as never }), /reduction must be 'mean' or 'sum'/);
  assert.throws(() => ops.crossEntropy(Tensor.zeros([0, 3]), []), /empty batch/);
  assert.throws(() => ops.softmax(Tensor.zeros([2, 3]), 2), /axis 2 is out of range for a tensor of rank 2/);
  assert.throws(() => ops.logSoftmax(Tensor.scalar(1)), ShapeError);
});

/** T² · KL(softmax(t/T) ‖ softmax(s/T)) per row in float64 from the definition, reduced. */
function referenceDistillation(s: Tensor, t: Tensor, temperature: number, reduction: 'mean' | 'sum'): number {
  const [n, c] = s.shape;
  const soft = (x: Tensor, i: number): number[] => {
    const row = Array.from({ length: c }, (_, k) => x.data[i * c + k] / temperature);
    const total = row.reduce((sum, v) => sum + Math.exp(v), 0);
    return row.map((v) => Math.exp(v) / total);
  };
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = soft(t, i);
    const q = soft(s, i);
    p.forEach((pk, k) => { total += pk * Math.log(pk / q[k]); });
  }
  return temperature ** 2 * (reduction === 'mean' ? total / n : total);
}

for (const temperature of [1, 2, 4]) {
  test(`distillationLoss at T = ${temperature}: value and gradient against the definition`, () => {
    const s = randomTensor([4, 6], 64, -3, 3);
    const t = randomTensor([4, 6], 65, -3, 3);
    assertClose([ops.distillationLoss(s, t, { temperature }).item()], [referenceDistillation(s, t, temperature, 'mean')], {}, 'mean');
    assertClose([ops.distillationLoss(s, t, { temperature, reduction: 'sum' }).item()], [referenceDistillation(s, t, temperature, 'sum')], {}, 'sum');
    checkGradients((x) => ops.distillationLoss(x, t, { temperature }), [s]);
  });
}

test('distillationLoss is zero when the student matches the teacher, and no gradient reaches the teacher', () => {
  const t = randomTensor([3, 5], 66, -2, 2);
  assertClose([ops.distillationLoss(t, t, { temperature: 3 }).item()], [0], { atol: 1e-6 }, 'loss of a perfect student');
  const s = new Tensor(randomTensor([3, 5], 67).data, [3, 5], true);
  const teacher = new Tensor(t.data.slice(), t.shape, true);
  ops.distillationLoss(s, teacher, { temperature: 2 }).backward();
  assert.ok(s.grad !== null && s.grad.data.some((v) => v !== 0), 'the student gets a gradient');
  assert.equal(teacher.grad, null);
  // Against a teacher sure of one class, KL is the plain cross-entropy minus the teacher's (zero) entropy.
  const sure = new Tensor([40, 0, 0, 0, 0, 40], [2, 3]);
  assertClose([ops.distillationLoss(s, t).item()], [referenceDistillation(s, t, 1, 'mean')], {}, 'T = 1 by default');
  const logits = randomTensor([2, 3], 68);
  assertClose([ops.distillationLoss(logits, sure).item()], [ops.crossEntropy(logits, [0, 2]).item()], { atol: 1e-6 }, 'one-hot teacher');
});

test('distillationLoss rejects mismatched logits, bad temperatures and non-finite teachers', () => {
  const s = Tensor.zeros([2, 3]);
  assert.throws(() => ops.distillationLoss(s, Tensor.zeros([2, 4])), /teacher logits \[2, 4\] do not match student logits \[2, 3\]/);
  assert.throws(() => ops.distillationLoss(Tensor.zeros([2, 3, 1]), s), /student logits must be \[batch, classes\]/);
  assert.throws(() => ops.distillationLoss(s, s, { temperature: 0 }), /temperature must be a finite number > 0, got 0/);
  assert.throws(() => ops.distillationLoss(s, s, { temperature: Infinity }), ArgumentError);
  assert.throws(() => ops.distillationLoss(s, new Tensor([0, 0, 0, 0, NaN, 0], [2, 3])), /teacher logit \[1, 1\] is NaN/);
  assert.throws(() => ops.distillationLoss(Tensor.zeros([0, 3]), Tensor.zeros([0, 3])), /empty batch/);
});
