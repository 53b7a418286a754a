/** conv2d, depthwiseConv2d, pointwiseConv2d and convGeometry: shapes, gradients, trace attrs and every bad input. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError, Tensor, ops, traceOps, type OpEvent } from '../../src/index.js';
import { convGeometry, type Conv2dOptions, type ConvOptions } from '../../src/ops/conv.js';
import { assertClose } from '../helpers/close.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

interface GradCase {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  options: Conv2dOptions;
  /** Expected output shape, worked out by hand. */
  out: number[];
}

const conv2dCases: GradCase[] = [
  { name: 'K=1', x: [2, 3, 4, 3], w: [1, 1, 3, 5], bias: true, options: {}, out: [2, 3, 4, 5] },
  { name: 'K=3 same stride 1 on 7x5', x: [1, 7, 5, 3], w: [3, 3, 3, 4], bias: true, options: { padding: 'same' }, out: [1, 7, 5, 4] },
  { name: 'K=3 same stride 2 on 7x5', x: [1, 7, 5, 3], w: [3, 3, 3, 2], bias: false, options: { padding: 'same', stride: 2 }, out: [1, 4, 3, 2] },
  { name: 'K=5 same stride 2 on 7x5', x: [1, 7, 5, 5], w: [5, 5, 5, 3], bias: true, options: { padding: 'same', stride: 2 }, out: [1, 4, 3, 3] },
  { name: 'K=7 same on 7x5', x: [1, 7, 5, 3], w: [7, 7, 3, 2], bias: true, options: { padding: 'same' }, out: [1, 7, 5, 2] },
  { name: '1x3 same stride [1, 2]', x: [1, 5, 7, 3], w: [1, 3, 3, 5], bias: true, options: { padding: 'same', stride: [1, 2] }, out: [1, 5, 4, 5] },
  { name: '3x1 same stride [2, 1]', x: [1, 7, 5, 5], w: [3, 1, 5, 3], bias: false, options: { padding: 'same', stride: [2, 1] }, out: [1, 4, 5, 3] },
  { name: 'asymmetric padding [1, 0, 2, 1]', x: [1, 5, 4, 3], w: [3, 3, 3, 2], bias: true, options: { padding: [1, 0, 2, 1] }, out: [1, 4, 5, 2] },
  { name: 'dilation 2 same', x: [1, 7, 5, 3], w: [3, 3, 3, 2], bias: true, options: { padding: 'same', dilation: 2 }, out: [1, 7, 5, 2] },
  { name: 'dilation 2 valid stride 2', x: [2, 7, 6, 2], w: [3, 3, 2, 3], bias: false, options: { dilation: 2, stride: 2 }, out: [2, 2, 1, 3] },
  { name: 'groups 2', x: [1, 5, 5, 4], w: [3, 3, 2, 6], bias: true, options: { groups: 2, padding: 1 }, out: [1, 5, 5, 6] },
  { name: 'groups 2 no bias stride 2', x: [2, 5, 4, 6], w: [3, 3, 3, 4], bias: false, options: { groups: 2, stride: 2, padding: 'same' }, out: [2, 3, 2, 4] },
  { name: 'groups = C (depthwise path)', x: [1, 5, 4, 3], w: [3, 3, 1, 6], bias: true, options: { groups: 3, padding: 'same' }, out: [1, 5, 4, 6] },
];

const depthwiseCases: GradCase[] = [
  { name: 'K=1', x: [2, 3, 4, 5], w: [1, 1, 5], bias: true, options: {}, out: [2, 3, 4, 5] },
  { name: 'K=3 same C=3', x: [1, 7, 5, 3], w: [3, 3, 3], bias: true, options: { padding: 'same' }, out: [1, 7, 5, 3] },
  { name: 'K=3 same stride 2 C=5 multiplier 2', x: [1, 7, 5, 5], w: [3, 3, 10], bias: true, options: { padding: 'same', stride: 2 }, out: [1, 4, 3, 10] },
  { name: 'K=5 same stride 2 C=7 no bias', x: [1, 7, 5, 7], w: [5, 5, 7], bias: false, options: { padding: 'same', stride: 2 }, out: [1, 4, 3, 7] },
  { name: 'K=7 same C=3 multiplier 2', x: [1, 7, 5, 3], w: [7, 7, 6], bias: true, options: { padding: 'same' }, out: [1, 7, 5, 6] },
  { name: '1x3 same', x: [1, 5, 7, 3], w: [1, 3, 3], bias: true, options: { padding: 'same' }, out: [1, 5, 7, 3] },
  { name: '3x1 same stride [2, 1]', x: [1, 7, 5, 5], w: [3, 1, 5], bias: false, options: { padding: 'same', stride: [2, 1] }, out: [1, 4, 5, 5] },
  { name: 'asymmetric padding [0, 2, 1, 0]', x: [2, 4, 5, 3], w: [3, 3, 3], bias: true, options: { padding: [0, 2, 1, 0] }, out: [2, 4, 4, 3] },
  { name: 'dilation 2 same multiplier 2', x: [1, 7, 5, 3], w: [3, 3, 6], bias: true, options: { padding: 'same', dilation: 2 }, out: [1, 7, 5, 6] },
];

function gradInputs(c: GradCase, outC: number): Tensor[] {
  const inputs = [randomTensor(c.x, 1), randomTensor(c.w, 2)];
  if (c.bias) inputs.push(randomTensor([outC], 3));
  return inputs;
}

for (const c of conv2dCases) {
  test(`conv2d ${c.name}: output shape and gradients match finite differences`, () => {
    const f = (x: Tensor, w: Tensor, b?: Tensor) => ops.conv2d(x, w, b ?? null, c.options);
    const inputs = gradInputs(c, c.w[3]);
    assert.deepEqual(f(...(inputs as [Tensor, Tensor, Tensor?])).shape, c.out);
    checkGradients(f as (...xs: Tensor[]) => Tensor, inputs);
  });
}

for (const c of depthwiseCases) {
  test(`depthwiseConv2d ${c.name}: output shape and gradients match finite differences`, () => {
    const f = (x: Tensor, w: Tensor, b?: Tensor) => ops.depthwiseConv2d(x, w, b ?? null, c.options as ConvOptions);
    const inputs = gradInputs(c, c.w[2]);
    assert.deepEqual(f(...(inputs as [Tensor, Tensor, Tensor?])).shape, c.out);
    checkGradients(f as (...xs: Tensor[]) => Tensor, inputs);
  });
}

for (const [cin, cout, bias] of [[3, 5, true], [7, 3, false]] as const) {
  test(`pointwiseConv2d ${cin} -> ${cout}${bias ? '' : ' no bias'}: gradients match finite differences`, () => {
    const inputs = [randomTensor([2, 3, 5, cin], 4), randomTensor([cin, cout], 5)];
    if (bias) inputs.push(randomTensor([cout], 6));
    checkGradients((x, w, b) => ops.pointwiseConv2d(x, w, b ?? null), inputs);
  });
}

test('pointwiseConv2d == conv2d with a 1x1 kernel', () => {
  const x = randomTensor([2, 3, 5, 7], 7);
  const w = randomTensor([7, 4], 8);
  const b = randomTensor([4], 9);
  const y = ops.pointwiseConv2d(x, w, b);
  assert.deepEqual(y.shape, [2, 3, 5, 4]);
  assertClose(y.data, ops.conv2d(x, ops.reshape(w, [1, 1, 7, 4]), b).data);
});

test('depthwiseConv2d == conv2d with groups = C and the weight reshaped to [KH, KW, 1, C*M]', () => {
  const x = randomTensor([2, 6, 5, 3], 10);
  const w = randomTensor([3, 3, 6], 11);
  const options = { padding: 'same', stride: 2 } as const;
  assertClose(ops.depthwiseConv2d(x, w, null, options).data,
    ops.conv2d(x, ops.reshape(w, [3, 3, 1, 6]), null, { ...options, groups: 3 }).data);
});

test('depthwiseConv2d: each output channel c*M + m depends only on input channel c', () => {
  // Input channel 1 is zero and its filters are ones: output channels 2 and 3 (multiplier 2) must be zero.
  const x = new Tensor(Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => (i % 3 === 1 ? 0 : 1)), [1, 2, 2, 3]);
  const w = Tensor.full([2, 2, 6], 1);
  assert.deepEqual(ops.depthwiseConv2d(x, w).toArray(), [4, 4, 0, 0, 4, 4]);
});

test('grouped conv2d == per-group conv2d with outputs concatenated along channels', () => {
  const x = randomTensor([1, 5, 4, 6], 12);
  const w = randomTensor([3, 3, 3, 4], 13);
  const y = ops.conv2d(x, w, null, { groups: 2, padding: [1, 0, 0, 1] });
  // Slice input channels and output channels per group by building the per-group tensors by hand.
  const slice = (t: Tensor, lastFrom: number, lastCount: number): Tensor => {
    const last = t.shape[t.rank - 1];
    const rows = t.size / last;
    const d = new Float32Array(rows * lastCount);
    for (let r = 0; r < rows; r++) for (let c = 0; c < lastCount; c++) d[r * lastCount + c] = t.data[r * last + lastFrom + c];
    return new Tensor(d, [...t.shape.slice(0, -1), lastCount]);
  };
  const parts = [0, 1].map((grp) => ops.conv2d(slice(x, grp * 3, 3), slice(w, grp * 2, 2), null, { padding: [1, 0, 0, 1] }));
  assertClose(y.data, ops.concat(parts, -1).data);
});

test('conv2d backward still works after its inputs are disposed (data captured at forward time)', () => {
  const xData = randomTensor([1, 4, 4, 2], 14).data;
  const wData = randomTensor([3, 3, 2, 2], 15).data;
  const grads = (disposeInputs: boolean): number[][] => {
    const x = new Tensor(xData.slice(), [1, 4, 4, 2], true);
    const w = new Tensor(wData.slice(), [3, 3, 2, 2], true);
    const y = ops.conv2d(x, w, null, { padding: 'same' });
    // Only the leaves' data is dropped; autograd still delivers their .grad.
    if (disposeInputs) {
      x.dispose();
      w.dispose();
    }
    ops.sum(y).backward();
    return [x.grad!.toArray(), w.grad!.toArray()];
  };
  assert.deepEqual(grads(true), grads(false));
});

test('only inputs that require gradients get them', () => {
  const x = randomTensor([1, 4, 4, 2], 16);
  const w = randomTensor([3, 3, 2, 2], 17);
  w.requiresGrad = true;
  const b = randomTensor([2], 18);
  ops.sum(ops.conv2d(x, w, b)).backward();
  assert.equal(x.grad, null);
  assert.equal(b.grad, null);
  assert.deepEqual(w.grad?.shape, [3, 3, 2, 2]);
});

test('bias gradient is the sum of dy over N, H and W', () => {
  const x = randomTensor([2, 3, 3, 2], 19);
  const w = randomTensor([1, 1, 2, 3], 20);
  const b = Tensor.zeros([3], true);
  ops.sum(ops.conv2d(x, w, b)).backward();
  assert.deepEqual(b.grad?.toArray(), [18, 18, 18]);
});

function traced(fn: () => void): OpEvent[] {
  const events: OpEvent[] = [];
  traceOps((e) => events.push(e), fn);
  return events;
}

test('ops record their geometry as trace attrs and list [x, w, bias?] as inputs', () => {
  const x = randomTensor([2, 7, 5, 3], 21);
  const w = randomTensor([3, 3, 3, 4], 22);
  const b = randomTensor([4], 23);
  const [conv] = traced(() => ops.conv2d(x, w, b, { padding: 'same', stride: 2 }));
  assert.equal(conv.op, 'conv2d');
  assert.deepEqual(conv.inputs, [x, w, b]);
  assert.deepEqual(conv.attrs, {
    batch: 2, inH: 7, inW: 5, inC: 3, outH: 4, outW: 3, outC: 4, kH: 3, kW: 3, strideH: 2, strideW: 2,
    dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, groups: 1,
  });
  const [dw] = traced(() => ops.depthwiseConv2d(x, randomTensor([5, 5, 6], 24), null, { padding: [2, 1, 2, 3], dilation: [1, 2] }));
  assert.equal(dw.op, 'depthwiseConv2d');
  assert.equal(dw.inputs.length, 2);
  assert.deepEqual(dw.attrs, {
    batch: 2, inH: 7, inW: 5, inC: 3, outH: 6, outW: 2, outC: 6, kH: 5, kW: 5, strideH: 1, strideW: 1,
    dilationH: 1, dilationW: 2, padTop: 2, padLeft: 2, padBottom: 1, padRight: 3, groups: 3,
  });
  const [pw] = traced(() => ops.pointwiseConv2d(x, randomTensor([3, 8], 25)));
  assert.equal(pw.op, 'pointwiseConv2d');
  assert.deepEqual(pw.attrs, { m: 2 * 7 * 5, k: 3, n: 8 });
});

test('convGeometry resolves same padding, dilation and groups without weights', () => {
  const g = convGeometry([1, 7, 5, 6], { kernelSize: [3, 5], outChannels: 4, groups: 2, stride: 2, padding: 'same', dilation: [1, 2] });
  assert.deepEqual([g.outH, g.outW, g.padTop, g.padBottom, g.padLeft, g.padRight], [4, 3, 1, 1, 4, 4]);
  assert.throws(() => convGeometry([1, 7, 5, 6], { kernelSize: 3, outChannels: 4, groups: 4 }),
    (e) => e instanceof ShapeError && /6 channels, not divisible by groups=4/.test(e.message));
  assert.throws(() => convGeometry([1, 7, 5, 6], { kernelSize: 0, outChannels: 4 }), ArgumentError);
  assert.throws(() => convGeometry([1, 7, 5, 6], { kernelSize: 3, outChannels: 0 }), ArgumentError);
});

// ---- bad inputs ----

const x8 = randomTensor([1, 5, 5, 8], 30);

test('conv2d rejects a non-NHWC input and a weight of the wrong rank', () => {
  assert.throws(() => ops.conv2d(randomTensor([5, 5, 8], 31), randomTensor([3, 3, 8, 4], 32)),
    (e) => e instanceof ShapeError && /conv2d: input must be 4-D NHWC \[N, H, W, C\], got shape \[5, 5, 8\]/.test(e.message));
  assert.throws(() => ops.conv2d(x8, randomTensor([3, 3, 8], 33)),
    (e) => e instanceof ShapeError && /weight must be 4-D \[KH, KW, C_in\/groups, C_out\].*use depthwiseConv2d/.test(e.message));
});

test('conv2d names both channel counts when input and weight disagree', () => {
  const x16 = randomTensor([1, 5, 5, 16], 34);
  assert.throws(() => ops.conv2d(x16, randomTensor([3, 3, 8, 32], 35)), (e) => e instanceof ShapeError &&
    e.message.startsWith('conv2d: input has 16 channels but the weight [3, 3, 8, 32] expects 8 x groups(1) = 8 input channels'));
  assert.throws(() => ops.conv2d(x16, randomTensor([3, 3, 4, 32], 36), null, { groups: 2 }),
    /expects 4 x groups\(2\) = 8 input channels/);
});

test('conv2d rejects bad groups: not a positive integer, or not dividing the output channels', () => {
  assert.throws(() => ops.conv2d(x8, randomTensor([3, 3, 8, 4], 37), null, { groups: 0 }), ArgumentError);
  assert.throws(() => ops.conv2d(x8, randomTensor([3, 3, 8, 4], 38), null, { groups: 1.5 }), ArgumentError);
  assert.throws(() => ops.conv2d(x8, randomTensor([3, 3, 4, 5], 39), null, { groups: 2 }),
    (e) => e instanceof ShapeError && /5 output channels are not divisible by groups=2/.test(e.message));
});

test('conv2d rejects stride, dilation and padding out of range', () => {
  const w = randomTensor([3, 3, 8, 4], 40);
  assert.throws(() => ops.conv2d(x8, w, null, { stride: 0 }), (e) => e instanceof ArgumentError && /conv2d stride/.test(e.message));
  assert.throws(() => ops.conv2d(x8, w, null, { stride: [1, 1.5] }), ArgumentError);
  assert.throws(() => ops.conv2d(x8, w, null, { dilation: 0 }), (e) => e instanceof ArgumentError && /conv2d dilation/.test(e.message));
  assert.throws(() => ops.conv2d(x8, w, null, { padding: -1 }), ArgumentError);
  assert.throws(() => ops.conv2d(x8, w, null, { padding: 'full' as 'same' }), ArgumentError);
});

test('conv2d rejects a kernel larger than the padded input', () => {
  assert.throws(() => ops.conv2d(x8, randomTensor([7, 3, 8, 4], 41)),
    (e) => e instanceof ShapeError && /conv2d: kernel height extent 7/.test(e.message));
  assert.throws(() => ops.conv2d(x8, randomTensor([3, 3, 8, 4], 42), null, { dilation: [1, 3] }),
    (e) => e instanceof ShapeError && /kernel width extent 7 \(kernel 3, dilation 3\)/.test(e.message));
  assert.doesNotThrow(() => ops.conv2d(x8, randomTensor([7, 3, 8, 4], 43), null, { padding: [1, 1, 0, 0] }));
});

test('conv2d rejects a bias of the wrong length', () => {
  assert.throws(() => ops.conv2d(x8, randomTensor([3, 3, 8, 4], 44), randomTensor([8], 45)),
    (e) => e instanceof ShapeError && /conv2d: bias has shape \[8\] but the weight has 4 output channels/.test(e.message));
  assert.throws(() => ops.conv2d(x8, randomTensor([3, 3, 8, 4], 46), randomTensor([1, 4], 47)), ShapeError);
});

test('depthwiseConv2d rejects bad inputs', () => {
  assert.throws(() => ops.depthwiseConv2d(randomTensor([5, 5, 8], 48), randomTensor([3, 3, 8], 49)), /input must be 4-D NHWC/);
  assert.throws(() => ops.depthwiseConv2d(x8, randomTensor([3, 3, 1, 8], 50)),
    (e) => e instanceof ShapeError && /weight must be 3-D \[KH, KW, C\*M\].*use conv2d/.test(e.message));
  assert.throws(() => ops.depthwiseConv2d(x8, randomTensor([3, 3, 12], 51)),
    (e) => e instanceof ShapeError && /12 output channels, not a positive multiple of the input's 8 channels/.test(e.message));
  assert.throws(() => ops.depthwiseConv2d(x8, randomTensor([3, 3, 16], 52), randomTensor([8], 53)),
    /depthwiseConv2d: bias has shape \[8\] but the weight has 16 output channels/);
  assert.throws(() => ops.depthwiseConv2d(x8, randomTensor([3, 3, 8], 54), null, { stride: 0 }), ArgumentError);
  assert.throws(() => ops.depthwiseConv2d(x8, randomTensor([3, 3, 8], 55), null, { dilation: -1 }), ArgumentError);
  assert.throws(() => ops.depthwiseConv2d(x8, randomTensor([6, 6, 8], 56)), /depthwiseConv2d: kernel height extent 6/);
});

test('pointwiseConv2d rejects bad inputs', () => {
  assert.throws(() => ops.pointwiseConv2d(randomTensor([25, 8], 57), randomTensor([8, 4], 58)), /pointwiseConv2d: input must be 4-D NHWC/);
  assert.throws(() => ops.pointwiseConv2d(x8, randomTensor([1, 1, 8, 4], 59)),
    (e) => e instanceof ShapeError && /weight must be 2-D \[C_in, C_out\].*reshape/.test(e.message));
  assert.throws(() => ops.pointwiseConv2d(x8, randomTensor([4, 8], 60)),
    (e) => e instanceof ShapeError && /input has 8 channels but the weight \[4, 8\] expects 4/.test(e.message));
  assert.throws(() => ops.pointwiseConv2d(x8, randomTensor([8, 4], 61), randomTensor([8], 62)), /pointwiseConv2d: bias has shape \[8\]/);
});
