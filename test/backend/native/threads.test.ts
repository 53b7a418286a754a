/**
 * The native kernels give bit-identical results on 1 and 2 threads (work is split by shape, never by thread
 * count, and reductions add per-task partials in task order), at shapes big enough to split into many tasks.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Kernels } from '../../../src/backend/kernels.js';
import { nativeInfo, setNativeThreads } from '../../../src/backend/native/index.js';
import { convCase, poolCase, random } from '../kernel_suite/harness.js';
import { native, nativeSkip } from './harness.js';

const options = nativeSkip === undefined ? {} : { skip: nativeSkip };
const initialThreads = native === null ? 1 : nativeInfo().threads;
after(() => {
  if (native !== null) setNativeThreads(initialThreads);
});

type Outputs = (Float32Array | Int32Array)[];

/** Runs `f` on 1 and then on 2 threads and asserts every output array is bit for bit the same. */
function sameOnOneAndTwoThreads(what: string, f: (k: Kernels) => Outputs): void {
  const k = native as Kernels;
  setNativeThreads(1);
  const one = f(k);
  setNativeThreads(2);
  const two = f(k);
  one.forEach((a, i) => {
    const b = two[i];
    assert.equal(a.length, b.length);
    const ab = new Uint32Array(a.buffer, a.byteOffset, a.length), bb = new Uint32Array(b.buffer, b.byteOffset, b.length);
    const at = ab.findIndex((v, j) => v !== bb[j]);
    assert.equal(at, -1, `${what} output ${i}: element ${at} is ${a[at]} on 1 thread, ${b[at]} on 2`);
  });
}

test('native on 1 and 2 threads: matmul at pointwise shapes (rows split, columns split) and transposed', options, () => {
  for (const [m, kd, n] of [[3136, 64, 128], [49, 1024, 1024], [196, 512, 512], [130, 300, 70]]) {
    const a = random(m * kd, m), b = random(kd * n, n), bias = random(n, kd);
    for (const [ta, tb] of [[false, false], [true, false], [false, true]] as const)
      sameOnOneAndTwoThreads(`matmul ${m}x${kd}x${n} ${ta} ${tb}`, (k) => [k.matmul(a, b, bias, m, kd, n, ta, tb)]);
  }
});

test('native on 1 and 2 threads: standard conv forward and both gradients (im2col and 1x1)', options, () => {
  for (const c of [
    { x: [2, 30, 29, 16], kernel: 3, outC: 32, stride: 2, padding: 'same' },
    { x: [1, 7, 7, 128], kernel: 3, outC: 128, padding: 'same' },
    { x: [2, 20, 20, 48], kernel: 1, outC: 40 },
    { x: [1, 16, 16, 12], kernel: 3, outC: 24, groups: 3, padding: 'same' },
  ] as const) {
    const g = convCase({ ...c, x: [...c.x] as [number, number, number, number] });
    const x = random(g.batch * g.inH * g.inW * g.inC, 1), w = random(g.kH * g.kW * (g.inC / g.groups) * g.outC, 2);
    const dy = random(g.batch * g.outH * g.outW * g.outC, 3), bias = random(g.outC, 4);
    sameOnOneAndTwoThreads(`conv ${JSON.stringify(c)}`, (k) =>
      [k.conv2d(x, w, bias, g), k.conv2dBackwardInput(dy, w, g), k.conv2dBackwardFilter(x, dy, g)]);
  }
});

test('native on 1 and 2 threads: depthwise forward and both gradients (3x3, 5x5, stride 2, multiplier, batch 3)', options, () => {
  for (const c of [
    { x: [1, 56, 56, 64], kernel: 3, outC: 64, stride: 1, padding: 'same' },
    { x: [3, 29, 31, 40], kernel: 5, outC: 40, stride: 2, padding: 'same' },
    { x: [2, 21, 20, 24], kernel: 3, outC: 24, stride: 1, padding: [3, 0, 1, 3] },
    { x: [2, 18, 18, 8], kernel: 3, outC: 16, stride: 2, padding: 'same' },
    { x: [1, 33, 33, 32], kernel: 3, outC: 32, stride: 1, padding: 'same', dilation: 2 },
  ] as const) {
    const g = convCase({ ...c, x: [...c.x] as [number, number, number, number], groups: c.x[3] });
    const x = random(g.batch * g.inH * g.inW * g.inC, 5), w = random(g.kH * g.kW * g.outC, 6);
    const dy = random(g.batch * g.outH * g.outW * g.outC, 7), bias = random(g.outC, 8);
    sameOnOneAndTwoThreads(`depthwise ${JSON.stringify(c)}`, (k) => [k.depthwiseConv2d(x, w, bias, g),
      k.depthwiseConv2dBackwardInput(dy, w, g), k.depthwiseConv2dBackwardFilter(x, dy, g)]);
  }
});

test('native on 1 and 2 threads: activations, pooling and batch norm', options, () => {
  const x = random(300_001, 9, -6, 6), dy = random(300_001, 10);
  sameOnOneAndTwoThreads('unary', (k) => [k.unary('swish', x, 0), k.unaryBackward('hardSwish', x, dy, 0)]);
  const g = poolCase([4, 40, 38, 48], 3, 2, 'same');
  const px = random(4 * 40 * 38 * 48, 11), pdy = random(g.batch * g.outH * g.outW * g.channels, 12);
  sameOnOneAndTwoThreads('pooling', (k) => {
    const m = k.maxPool2d(px, g);
    return [m.y, m.argmax, k.maxPool2dBackward(pdy, m.argmax, g), k.avgPool2d(px, g, false), k.avgPool2dBackward(pdy, g, true)];
  });
  const channels = 96, bx = random(64 * 14 * 14 * channels, 13, -2, 3), bdy = random(bx.length, 14);
  const gamma = random(channels, 15, 0.5, 2), beta = random(channels, 16);
  sameOnOneAndTwoThreads('batch norm', (k) => {
    const { mean, variance } = k.channelMoments(bx, channels);
    const invStd = variance.map((v) => 1 / Math.sqrt(v + 1e-5));
    const b = k.batchNormBackward(bx, bdy, mean, invStd, gamma, true);
    return [mean, variance, k.batchNormForward(bx, mean, invStd, gamma, beta), b.dx, b.dGamma, b.dBeta];
  });
});
