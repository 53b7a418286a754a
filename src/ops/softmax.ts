/** Softmax, log-softmax and the cross-entropy loss, all computed stably (the maximum is subtracted first). */
import { ArgumentError, ShapeError } from '../errors.js';
import { record } from '../tensor/autograd.js';
import { Tensor, shapeSize, shapeToString } from '../tensor/tensor.js';
import { normalizeAxis } from './axes.js';

/** The tensor seen as [outer, n, inner] around `axis`. */
interface AxisView {
  outer: number;
  n: number;
  inner: number;
}

function axisView(x: Tensor, axis: number, op: string): AxisView {
  if (x.rank === 0) throw new ShapeError(`${op}: needs a tensor with at least one axis, got a scalar`);
  const a = normalizeAxis(axis, x.rank, op);
  return { outer: shapeSize(x.shape.slice(0, a)), n: x.shape[a], inner: shapeSize(x.shape.slice(a + 1)) };
}

/**
 * Writes softmax (or, with `log`, log-softmax) of each line along the axis into `out`, from exp(x - max) with the
 * sum in float64. Lines are strided by `inner`.
 */
function softmaxInto(xd: Float32Array, out: Float32Array, v: AxisView, log: boolean): void {
  const { outer, n, inner } = v;
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      const base = o * n * inner + j;
      let max = -Infinity;
      for (let k = 0; k < n; k++) max = Math.max(max, xd[base + k * inner]);
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(xd[base + k * inner] - max);
      if (log) {
        const shift = max + Math.log(s);
        for (let k = 0; k < n; k++) out[base + k * inner] = xd[base + k * inner] - shift;
      } else for (let k = 0; k < n; k++) out[base + k * inner] = Math.exp(xd[base + k * inner] - max) / s;
    }
}

/** exp(x) / sum(exp(x)) along `axis` (default the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const v = axisView(x, axis, 'softmax');
  const y = new Float32Array(x.size);
  softmaxInto(x.data, y, v, false);
  return record(new Tensor(y, x.shape), 'softmax', [x], (g) => {
    // dx = y * (g - sum(g * y)) along the axis.
    const { outer, n, inner } = v;
    const gx = new Float32Array(g.length);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * n * inner + j;
        let dot = 0;
        for (let k = 0; k < n; k++) dot += g[base + k * inner] * y[base + k * inner];
        for (let k = 0; k < n; k++) {
          const i = base + k * inner;
          gx[i] = y[i] * (g[i] - dot);
        }
      }
    return [gx];
  }, { axis });
}

/** log(softmax(x)) along `axis` (default the last), without forming softmax first. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const v = axisView(x, axis, 'logSoftmax');
  const y = new Float32Array(x.size);
  softmaxInto(x.data, y, v, true);
  return record(new Tensor(y, x.shape), 'logSoftmax', [x], (g) => {
    // dx = g - softmax * sum(g) along the axis.
    const { outer, n, inner } = v;
    const gx = new Float32Array(g.length);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * n * inner + j;
        let total = 0;
        for (let k = 0; k < n; k++) total += g[base + k * inner];
        for (let k = 0; k < n; k++) {
          const i = base + k * inner;
          gx[i] = g[i] - Math.exp(y[i]) * total;
        }
      }
    return [gx];
  }, { axis });
}

export interface CrossEntropyOptions {
  /**
   * ε in [0, 1]: the target becomes (1 - ε) * onehot + ε / C (PyTorch's definition: the uniform part also
   * covers the true class). Default 0.
   */
  labelSmoothing?: number;
  /** 'mean' (default) divides the summed loss by the batch size. */
  reduction?: 'mean' | 'sum';
}

function validateLabels(labels: ArrayLike<number>, n: number, c: number): Int32Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number')
    throw new ArgumentError('crossEntropy: labels must be an array of class indices');
  if (labels.length !== n)
    throw new ShapeError(`crossEntropy: got ${labels.length} labels for a batch of ${n} rows of logits; pass one class index per row`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= c)
      throw new ArgumentError(`crossEntropy: labels[${i}] = ${l} is not a class index: labels must be integers in 0..${c - 1} ` +
        `for logits with ${c} classes`);
    out[i] = l;
  }
  return out;
}

/** A loss's reduction over a batch of `n` rows: 'mean' (the default) or 'sum'; a mean needs at least one row. */
function checkReduction(op: string, reduction: 'mean' | 'sum' | undefined, n: number): 'mean' | 'sum' {
  const r = reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum') throw new ArgumentError(`${op}: reduction must be 'mean' or 'sum', got ${JSON.stringify(r)}`);
  if (r === 'mean' && n === 0)
    throw new ShapeError(`${op}: the mean over an empty batch is undefined; pass at least one row or use reduction 'sum'`);
  return r;
}

/**
 * Softmax cross-entropy between logits [N, C] and integer class labels (length N), reduced to a scalar.
 * loss_i = -sum_c target_ic * logSoftmax(logits)_ic, with target = (1 - ε) onehot(label_i) + ε / C.
 */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>, opts: CrossEntropyOptions = {}): Tensor {
  if (logits.rank !== 2)
    throw new ShapeError(`crossEntropy: logits must be [batch, classes], got ${shapeToString(logits.shape)}; flatten them first`);
  const [n, c] = logits.shape;
  if (c === 0) throw new ShapeError(`crossEntropy: logits ${shapeToString(logits.shape)} have no classes`);
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1))
    throw new ArgumentError(`crossEntropy: labelSmoothing must be a number in [0, 1], got ${eps}`);
  const reduction = checkReduction('crossEntropy', opts.reduction, n);
  const target = validateLabels(labels, n, c);

  const logp = new Float32Array(logits.size);
  softmaxInto(logits.data, logp, { outer: n, n: c, inner: 1 }, true);
  const offValue = eps / c;
  const onValue = 1 - eps + offValue;
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++) total -= (k === target[i] ? onValue : offValue) * logp[i * c + k];
  const scale = reduction === 'mean' ? 1 / n : 1;

  return record(new Tensor([total * scale], []), 'crossEntropy', [logits], (g) => {
    // d loss / d logits = (softmax - target) * scale.
    const s = g[0] * scale;
    const gx = new Float32Array(logp.length);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < c; k++) gx[i * c + k] = (Math.exp(logp[i * c + k]) - (k === target[i] ? onValue : offValue)) * s;
    return [gx];
  }, { labelSmoothing: eps, reduction });
}

export interface DistillationOptions {
  /** T > 0: both distributions are softmax(logits / T); a higher T exposes more of the teacher's ranking of wrong classes. Default 1. */
  temperature?: number;
  /** 'mean' (default) divides the summed loss by the batch size. */
  reduction?: 'mean' | 'sum';
}

/**
 * Knowledge-distillation loss (Hinton, Vinyals and Dean, 2015): T² · KL(softmax(teacher/T) ‖ softmax(student/T)) per
 * row, reduced to a scalar. It is 0 when the student's logits equal the teacher's. The T² keeps its gradient on the
 * scale of a cross-entropy's as T changes. The teacher's logits are a target: no gradient flows into them.
 */
export function distillationLoss(student: Tensor, teacher: Tensor, opts: DistillationOptions = {}): Tensor {
  if (student.rank !== 2)
    throw new ShapeError(`distillationLoss: student logits must be [batch, classes], got ${shapeToString(student.shape)}; flatten them first`);
  if (teacher.rank !== 2 || teacher.shape[0] !== student.shape[0] || teacher.shape[1] !== student.shape[1])
    throw new ShapeError(`distillationLoss: teacher logits ${shapeToString(teacher.shape)} do not match student logits ${shapeToString(student.shape)}; ` +
      'the teacher must see the same batch and predict the same classes');
  const t = opts.temperature ?? 1;
  if (typeof t !== 'number' || !(t > 0 && Number.isFinite(t)))
    throw new ArgumentError(`distillationLoss: temperature must be a finite number > 0, got ${t}`);
  const [n, c] = student.shape;
  const reduction = checkReduction('distillationLoss', opts.reduction, n);
  const bad = teacher.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ArgumentError(`distillationLoss: teacher logit [${Math.floor(bad / c)}, ${bad % c}] is ${teacher.data[bad]}`);

  const view = { outer: n, n: c, inner: 1 };
  const scaled = (x: Float32Array): Float32Array => x.map((v) => v / t);
  const logq = new Float32Array(student.size);
  const logp = new Float32Array(teacher.size);
  softmaxInto(scaled(student.data), logq, view, true);
  softmaxInto(scaled(teacher.data), logp, view, true);
  let total = 0;
  for (let i = 0; i < logp.length; i++) total += Math.exp(logp[i]) * (logp[i] - logq[i]);
  const scale = reduction === 'mean' ? 1 / n : 1;

  return record(new Tensor([t * t * total * scale], []), 'distillationLoss', [student, teacher], (g) => {
    // d loss / d student = T² · (softmax(student/T) - softmax(teacher/T)) / T · scale.
    const s = g[0] * t * scale;
    const gx = new Float32Array(logq.length);
    for (let i = 0; i < gx.length; i++) gx[i] = (Math.exp(logq[i]) - Math.exp(logp[i])) * s;
    return [gx, null];
  }, { temperature: t, reduction });
}
