import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError, Tensor, ops, traceOps, type OpEvent } from '../../src/index.js';
import { assertClose } from '../helpers/close.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

interface Window {
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  /** [top, bottom, left, right] */
  pad: [number, number, number, number];
}

/**
 * Brute-force pooling from the definition, written independently of the kernels: the input is first copied into
 * an explicitly padded grid where padded cells are marked undefined.
 */
function referencePool(x: Tensor, w: Window, mode: 'max' | 'avg' | 'avgIncludePad'): { shape: number[]; data: number[] } {
  const [n, h, wd, c] = x.shape;
  const [pt, pb, pl, pr] = w.pad;
  const ph = h + pt + pb;
  const pw = wd + pl + pr;
  const cell = (b: number, i: number, j: number, ch: number): number | undefined => {
    const r = i - pt;
    const q = j - pl;
    return r < 0 || r >= h || q < 0 || q >= wd ? undefined : x.data[((b * h + r) * wd + q) * c + ch];
  };
  const oh = Math.floor((ph - w.kH) / w.sH) + 1;
  const ow = Math.floor((pw - w.kW) / w.sW) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          const vals: number[] = [];
          for (let di = 0; di < w.kH; di++)
            for (let dj = 0; dj < w.kW; dj++) {
              const v = cell(b, i * w.sH + di, j * w.sW + dj, ch);
              if (v !== undefined) vals.push(v);
            }
          const total = vals.reduce((a, v) => a + v, 0);
          out.push(mode === 'max' ? Math.max(...vals) : total / (mode === 'avg' ? vals.length : w.kH * w.kW));
        }
  return { shape: [n, oh, ow, c], data: out };
}

/** Distinct values at least 0.1 apart (a shuffled ramp), so max pooling has no ties within the gradient step. */
function distinctTensor(shape: number[], seed: number): Tensor {
  const t = randomTensor(shape, seed);
  const order = Array.from(t.data.keys()).sort((a, b) => t.data[a] - t.data[b]);
  const d = new Float32Array(t.size);
  order.forEach((idx, rank) => (d[idx] = rank * 0.1 - t.size * 0.05));
  return new Tensor(d, shape);
}

test('maxPool2d and avgPool2d on a 4x4 input by hand', () => {
  const x = new Tensor(Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);
  const m = ops.maxPool2d(x, { kernelSize: 2 });
  assert.deepEqual(m.shape, [1, 2, 2, 1]);
  assert.deepEqual(m.toArray(), [5, 7, 13, 15]);
  assert.deepEqual(ops.avgPool2d(x, { kernelSize: 2 }).toArray(), [2.5, 4.5, 10.5, 12.5]);
  assert.deepEqual(ops.maxPool2d(x, { kernelSize: 3, stride: 1 }).toArray(), [10, 11, 14, 15]);
});

const geometries: { name: string; shape: number[]; opts: { kernelSize: number | [number, number]; stride?: number | [number, number]; padding?: ops.Padding }; w: Window }[] = [
  // 'same' with stride 2 on odd sizes: out = ceil(5/2) = 3; total pad (3-1)*2+3-5 = 2 -> 1/1; for k=2: 1 -> 0/1.
  { name: 'k3 s2 same on 5x7', shape: [2, 5, 7, 3], opts: { kernelSize: 3, stride: 2, padding: 'same' }, w: { kH: 3, kW: 3, sH: 2, sW: 2, pad: [1, 1, 1, 1] } },
  { name: 'k2 s2 same on 5x5', shape: [1, 5, 5, 2], opts: { kernelSize: 2, stride: 2, padding: 'same' }, w: { kH: 2, kW: 2, sH: 2, sW: 2, pad: [0, 1, 0, 1] } },
  { name: 'k3 s2 same on 7x9', shape: [1, 7, 9, 5], opts: { kernelSize: 3, stride: 2, padding: 'same' }, w: { kH: 3, kW: 3, sH: 2, sW: 2, pad: [1, 1, 1, 1] } },
  { name: 'k[3,2] s[1,2] asymmetric [1,0,0,1]', shape: [2, 4, 5, 3], opts: { kernelSize: [3, 2], stride: [1, 2], padding: [1, 0, 0, 1] }, w: { kH: 3, kW: 2, sH: 1, sW: 2, pad: [1, 0, 0, 1] } },
  { name: 'k3 s1 padding 1', shape: [1, 3, 4, 2], opts: { kernelSize: 3, stride: 1, padding: 1 }, w: { kH: 3, kW: 3, sH: 1, sW: 1, pad: [1, 1, 1, 1] } },
  { name: 'k2 default stride valid on 5x5 (drops the last row/column)', shape: [1, 5, 5, 1], opts: { kernelSize: 2 }, w: { kH: 2, kW: 2, sH: 2, sW: 2, pad: [0, 0, 0, 0] } },
];

for (const g of geometries) {
  test(`pooling ${g.name}: values against brute force and gradients`, () => {
    const x = distinctTensor(g.shape, 21);
    const max = referencePool(x, g.w, 'max');
    const m = ops.maxPool2d(x, g.opts);
    assert.deepEqual(m.shape, max.shape);
    assertClose(m.data, max.data, {}, 'max');
    for (const countIncludePad of [false, true]) {
      const avg = referencePool(x, g.w, countIncludePad ? 'avgIncludePad' : 'avg');
      const a = ops.avgPool2d(x, { ...g.opts, countIncludePad });
      assert.deepEqual(a.shape, avg.shape);
      assertClose(a.data, avg.data, {}, `avg countIncludePad=${countIncludePad}`);
      checkGradients((t) => ops.avgPool2d(t, { ...g.opts, countIncludePad }), [x]);
    }
    checkGradients((t) => ops.maxPool2d(t, g.opts), [x]);
  });
}

test('avgPool2d countIncludePad on a 3x3 grid of ones with padding 1', () => {
  const x = Tensor.full([1, 3, 3, 1], 1);
  assertClose(ops.avgPool2d(x, { kernelSize: 3, stride: 1, padding: 1 }).data, new Array(9).fill(1), {}, 'exclude pad');
  const corner = 4 / 9;
  const edge = 6 / 9;
  assertClose(ops.avgPool2d(x, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: true }).data,
    [corner, edge, corner, edge, 1, edge, corner, edge, corner], {}, 'include pad');
});

test('maxPool2d ignores padding even when every real value is negative', () => {
  const x = new Tensor([-5, -4, -3, -2], [1, 2, 2, 1]);
  assert.deepEqual(ops.maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }).toArray(), [-5, -4, -4, -3, -2, -2, -3, -2, -2]);
});

test('maxPool2d sends the gradient to the first maximum of a tie, once per window', () => {
  const x = new Tensor([1, 1, 1, 1], [1, 2, 2, 1], true);
  ops.sum(ops.maxPool2d(x, { kernelSize: 2, stride: 1, padding: [0, 1, 0, 1] })).backward();
  // Windows at (0,0), (0,1), (1,0), (1,1); each picks its top-left real cell.
  assert.deepEqual(x.grad!.toArray(), [1, 1, 1, 1]);
});

test('maxPool2d propagates NaN', () => {
  const x = new Tensor([1, NaN, 3, 2], [1, 2, 2, 1]);
  assert.ok(Number.isNaN(ops.maxPool2d(x, { kernelSize: 2 }).item()));
});

test('globalAvgPool2d: [N,C] or [N,1,1,C], values and gradient', () => {
  const x = randomTensor([2, 3, 5, 4], 31);
  const y = ops.globalAvgPool2d(x);
  assert.deepEqual(y.shape, [2, 4]);
  assert.deepEqual(ops.globalAvgPool2d(x, true).shape, [2, 1, 1, 4]);
  assertClose(y.data, ops.mean(x, [1, 2]).data, {}, 'global mean');
  checkGradients((t) => ops.globalAvgPool2d(t), [x]);
  checkGradients((t) => ops.globalAvgPool2d(t, true), [x]);
});

test('pooling ops report their geometry to tracers', () => {
  const events: OpEvent[] = [];
  const x = Tensor.zeros([1, 5, 5, 2]);
  traceOps((e) => events.push(e), () => {
    ops.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 'same' });
    ops.avgPool2d(x, { kernelSize: 2, countIncludePad: true });
    ops.globalAvgPool2d(x);
  });
  assert.deepEqual(events.map((e) => e.op), ['maxPool2d', 'avgPool2d', 'globalAvgPool2d']);
  assert.deepEqual(events[0].attrs, {
    batch: 1, inH: 5, inW: 5, channels: 2, outH: 3, outW: 3, kH: 3, kW: 3, strideH: 2, strideW: 2,
    padTop: 1, padLeft: 1, padBottom: 1, padRight: 1,
  });
  assert.equal(events[1].attrs?.countIncludePad, true);
  assert.equal(events[2].attrs?.global, true);
  assert.equal(events[2].attrs?.kH, 5);
});

test('pooling rejects bad ranks and arguments with typed errors', () => {
  const x = Tensor.zeros([1, 4, 4, 2]);
  assert.throws(() => ops.maxPool2d(Tensor.zeros([4, 4, 2]), { kernelSize: 2 }), ShapeError);
  assert.throws(() => ops.avgPool2d(Tensor.zeros([4, 4, 2]), { kernelSize: 2 }), /avgPool2d: expected an NHWC tensor of rank 4/);
  assert.throws(() => ops.globalAvgPool2d(Tensor.zeros([4, 2])), /globalAvgPool2d: expected an NHWC tensor/);
  assert.throws(() => ops.maxPool2d(x, { kernelSize: 5 }), /kernel height extent 5 .* larger than the padded input/);
  assert.throws(() => ops.maxPool2d(x, { kernelSize: 0 }), ArgumentError);
  assert.throws(() => ops.maxPool2d(x, { kernelSize: 2, stride: 0 }), /stride: must be an integer >= 1/);
  assert.throws(() => ops.maxPool2d(x, { kernelSize: 2, padding: 2 }), /must be smaller than the window 2x2/);
  assert.throws(() => ops.avgPool2d(x, { kernelSize: 2, padding: [0, 0, 0, -1] }), ArgumentError);
  assert.throws(() => ops.maxPool2d(x, {} as never), /options must include kernelSize/);
  assert.throws(() => ops.avgPool2d(x, { kernelSize: 2, countIncludePad: 'yes' as never }), /countIncludePad must be a boolean/);
  assert.throws(() => ops.globalAvgPool2d(Tensor.zeros([1, 0, 3, 2])), /no spatial cells/);
});
