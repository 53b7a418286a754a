/**
 * The js reference conv kernels against hand-computed values and against independent formulations: a naive conv
 * over an explicitly zero-padded input, depthwise as grouped conv with groups = C, grouped conv as per-group convs,
 * 1x1 conv as a matrix product, and the backward kernels as exact adjoints of the forward one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsBackend } from '../../src/backend/js/index.js';
import type { ConvGeometry } from '../../src/backend/kernels.js';
import { convGeometry } from '../../src/ops/conv.js';
import { Random } from '../../src/index.js';
import { assertClose } from '../helpers/close.js';

const k = jsBackend.kernels;

function random(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
}

interface Case {
  name: string;
  x: [number, number, number, number];
  kernel: [number, number];
  outC: number;
  groups?: number;
  stride?: [number, number];
  pads?: [number, number, number, number];
  dilation?: [number, number];
}

const cases: Case[] = [
  { name: '1x1', x: [2, 3, 4, 3], kernel: [1, 1], outC: 5 },
  { name: '3x3 padded', x: [1, 5, 4, 3], kernel: [3, 3], outC: 4, pads: [1, 1, 1, 1] },
  { name: '3x3 stride 2 on 7x5', x: [2, 7, 5, 3], kernel: [3, 3], outC: 2, stride: [2, 2], pads: [1, 1, 1, 1] },
  { name: '5x5 asymmetric padding', x: [1, 6, 7, 2], kernel: [5, 5], outC: 3, pads: [2, 1, 0, 3] },
  { name: '7x7 stride 2', x: [1, 9, 8, 3], kernel: [7, 7], outC: 2, stride: [2, 2], pads: [3, 3, 3, 3] },
  { name: '1x3 stride [1, 2]', x: [1, 4, 7, 5], kernel: [1, 3], outC: 3, stride: [1, 2], pads: [0, 0, 1, 1] },
  { name: '3x1 stride [2, 1]', x: [1, 7, 4, 5], kernel: [3, 1], outC: 3, stride: [2, 1], pads: [1, 1, 0, 0] },
  { name: 'dilation 2', x: [1, 7, 7, 3], kernel: [3, 3], outC: 4, dilation: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'dilation [2, 1] stride 2', x: [2, 8, 6, 2], kernel: [3, 3], outC: 3, dilation: [2, 1], stride: [2, 2], pads: [1, 2, 0, 1] },
  { name: 'groups 2', x: [1, 5, 5, 4], kernel: [3, 3], outC: 6, groups: 2, pads: [1, 1, 1, 1] },
  { name: 'groups 3 stride 2', x: [2, 6, 5, 6], kernel: [3, 3], outC: 9, groups: 3, stride: [2, 2], pads: [0, 1, 1, 0] },
  { name: 'groups = C, multiplier 2', x: [1, 5, 6, 3], kernel: [3, 3], outC: 6, groups: 3, pads: [1, 1, 1, 1] },
];

function geometry(c: Case): ConvGeometry {
  return convGeometry(c.x, {
    kernelSize: c.kernel, outChannels: c.outC, groups: c.groups ?? 1, stride: c.stride ?? 1,
    padding: c.pads ?? 'valid', dilation: c.dilation ?? 1,
  });
}

/** Independent conv: copy x into a zero-padded array, then slide the window with no bounds checks. */
function naiveConv(x: Float32Array, w: Float32Array, c: Case): { y: Float32Array; shape: number[] } {
  const [n, h, wid, cin] = c.x;
  const [top, bottom, left, right] = c.pads ?? [0, 0, 0, 0];
  const [sh, sw] = c.stride ?? [1, 1];
  const [dh, dw] = c.dilation ?? [1, 1];
  const [kh, kw] = c.kernel;
  const groups = c.groups ?? 1;
  const cinG = cin / groups;
  const coutG = c.outC / groups;
  const ph = h + top + bottom;
  const pw = wid + left + right;
  const padded = new Float32Array(n * ph * pw * cin);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < wid; j++)
        for (let ch = 0; ch < cin; ch++)
          padded[((b * ph + i + top) * pw + j + left) * cin + ch] = x[((b * h + i) * wid + j) * cin + ch];
  const oh = Math.floor((ph - (dh * (kh - 1) + 1)) / sh) + 1;
  const ow = Math.floor((pw - (dw * (kw - 1) + 1)) / sw) + 1;
  const y = new Float32Array(n * oh * ow * c.outC);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let co = 0; co < c.outC; co++) {
          const grp = Math.floor(co / coutG);
          let s = 0;
          for (let a = 0; a < kh; a++)
            for (let e = 0; e < kw; e++)
              for (let ci = 0; ci < cinG; ci++)
                s += padded[((b * ph + i * sh + a * dh) * pw + j * sw + e * dw) * cin + grp * cinG + ci] *
                  w[((a * kw + e) * cinG + ci) * c.outC + co];
          y[((b * oh + i) * ow + j) * c.outC + co] = s;
        }
  return { y, shape: [n, oh, ow, c.outC] };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function weightSize(c: Case): number {
  return c.kernel[0] * c.kernel[1] * (c.x[3] / (c.groups ?? 1)) * c.outC;
}

const xSize = (c: Case): number => c.x.reduce((p, d) => p * d, 1);

test('conv2d: 2x2 window of ones over 1..9 (hand-computed)', () => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const g = convGeometry([1, 3, 3, 1], { kernelSize: 2, outChannels: 1 });
  assert.deepEqual([...k.conv2d(x, new Float32Array(4).fill(1), null, g)], [12, 16, 24, 28]);
  assert.deepEqual([...k.conv2d(x, new Float32Array(4).fill(1), Float32Array.of(0.5), g)], [12.5, 16.5, 24.5, 28.5]);
});

test('conv2d: 3x3 ones with padding 1 sums each neighbourhood (hand-computed)', () => {
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const g = convGeometry([1, 3, 3, 1], { kernelSize: 3, outChannels: 1, padding: 1 });
  assert.deepEqual([...k.conv2d(x, new Float32Array(9).fill(1), null, g)], [12, 21, 16, 27, 45, 33, 24, 39, 28]);
  // Stride 2 keeps the corners; dilation 2 on a 5x5 padded input reads only the corners of the padded grid.
  const g2 = convGeometry([1, 3, 3, 1], { kernelSize: 3, outChannels: 1, padding: 1, stride: 2 });
  assert.deepEqual([...k.conv2d(x, new Float32Array(9).fill(1), null, g2)], [12, 16, 24, 28]);
  const g3 = convGeometry([1, 3, 3, 1], { kernelSize: 3, outChannels: 1, padding: 1, dilation: 2 });
  assert.deepEqual([...k.conv2d(x, new Float32Array(9).fill(1), null, g3)], [5]);
});

test('conv2d: channels mix through the weight [KH, KW, C_in, C_out] (hand-computed)', () => {
  // One pixel, 2 input channels [1, 10], 1x1 kernel mapping to 3 outputs.
  const w = Float32Array.from([1, 2, 3, /* from channel 1: */ 4, 5, 6]);
  const g = convGeometry([1, 1, 1, 2], { kernelSize: 1, outChannels: 3 });
  assert.deepEqual([...k.conv2d(Float32Array.of(1, 10), w, Float32Array.of(0, 0, 100), g)], [41, 52, 163]);
});

test('depthwise multiplier: output channel c*M + m reads input channel c (hand-computed)', () => {
  const g = convGeometry([1, 1, 1, 2], { kernelSize: 1, outChannels: 4, groups: 2 });
  assert.deepEqual([...k.depthwiseConv2d(Float32Array.of(3, 5), Float32Array.of(1, 2, 10, 20), null, g)], [3, 6, 50, 100]);
});

for (const c of cases) {
  test(`conv2d matches a naive padded-input conv: ${c.name}`, () => {
    const g = geometry(c);
    const x = random(xSize(c), 1);
    const w = random(weightSize(c), 2);
    const ref = naiveConv(x, w, c);
    assert.deepEqual([g.batch, g.outH, g.outW, g.outC], ref.shape);
    assertClose(k.conv2d(x, w, null, g), ref.y, { rtol: 1e-5, atol: 1e-6 }, c.name);
  });

  test(`conv2d backward kernels are the adjoints of the forward: ${c.name}`, () => {
    const g = geometry(c);
    const x = random(xSize(c), 3);
    const w = random(weightSize(c), 4);
    const dy = random(g.batch * g.outH * g.outW * g.outC, 5);
    const yDotDy = dot(k.conv2d(x, w, null, g), dy);
    // conv is bilinear: <conv(x, w), dy> = <x, dL/dx> = <w, dL/dw>.
    assertClose([dot(x, k.conv2dBackwardInput(dy, w, g))], [yDotDy], { rtol: 1e-5, atol: 1e-5 }, 'input adjoint');
    assertClose([dot(w, k.conv2dBackwardFilter(x, dy, g))], [yDotDy], { rtol: 1e-5, atol: 1e-5 }, 'filter adjoint');
  });
}

const depthwiseCases = cases.filter((c) => c.groups === undefined).map((c): Case => {
  // The same windows, run depthwise with multipliers 1 and 2 (as groups = C).
  return { ...c, groups: c.x[3], outC: c.x[3] * (c.outC % 2 === 0 ? 2 : 1) };
});

for (const c of depthwiseCases) {
  const m = c.outC / c.x[3];
  test(`depthwise kernel == conv2d kernel with groups = C: ${c.name}, multiplier ${m}`, () => {
    const g = geometry(c);
    const x = random(xSize(c), 6);
    // [KH, KW, C*M] and [KH, KW, 1, C*M] are the same memory.
    const w = random(c.kernel[0] * c.kernel[1] * c.outC, 7);
    assertClose(k.depthwiseConv2d(x, w, null, g), k.conv2d(x, w, null, g), { rtol: 1e-6, atol: 1e-7 }, 'forward');
    const bias = random(c.outC, 8);
    assertClose(k.depthwiseConv2d(x, w, bias, g), naiveConv(x, w, c).y.map((v, i) => v + bias[i % c.outC]),
      { rtol: 1e-5, atol: 1e-6 }, 'forward with bias');
    const dy = random(g.batch * g.outH * g.outW * g.outC, 9);
    assertClose(k.depthwiseConv2dBackwardInput(dy, w, g), k.conv2dBackwardInput(dy, w, g), { rtol: 1e-6, atol: 1e-7 }, 'dx');
    assertClose(k.depthwiseConv2dBackwardFilter(x, dy, g), k.conv2dBackwardFilter(x, dy, g), { rtol: 1e-6, atol: 1e-7 }, 'dw');
  });
}

test('grouped conv2d == per-group convs with their outputs concatenated along channels', () => {
  const c: Case = { name: 'groups 3', x: [2, 5, 6, 6], kernel: [3, 3], outC: 9, groups: 3, pads: [1, 0, 2, 1], stride: [2, 1] };
  const g = geometry(c);
  const x = random(xSize(c), 10);
  const w = random(weightSize(c), 11);
  const y = k.conv2d(x, w, null, g);
  const [n, h, wid, cin] = c.x;
  const cinG = cin / 3;
  const coutG = c.outC / 3;
  const pixels = n * h * wid;
  const outPixels = g.batch * g.outH * g.outW;
  for (let grp = 0; grp < 3; grp++) {
    const xs = new Float32Array(pixels * cinG);
    for (let p = 0; p < pixels; p++)
      for (let ci = 0; ci < cinG; ci++) xs[p * cinG + ci] = x[p * cin + grp * cinG + ci];
    const ws = new Float32Array(3 * 3 * cinG * coutG);
    for (let t = 0; t < 3 * 3 * cinG; t++)
      for (let co = 0; co < coutG; co++) ws[t * coutG + co] = w[t * c.outC + grp * coutG + co];
    const gs = { ...g, inC: cinG, outC: coutG, groups: 1 };
    const ys = k.conv2d(xs, ws, null, gs);
    const slice = new Float32Array(outPixels * coutG);
    for (let p = 0; p < outPixels; p++)
      for (let co = 0; co < coutG; co++) slice[p * coutG + co] = y[p * c.outC + grp * coutG + co];
    assertClose(slice, ys, { rtol: 1e-6, atol: 1e-7 }, `group ${grp}`);
  }
});

test('1x1 conv2d == matmul of the pixels with the [C_in, C_out] weight', () => {
  const g = convGeometry([2, 3, 5, 7], { kernelSize: 1, outChannels: 3 });
  const x = random(2 * 3 * 5 * 7, 12);
  const w = random(7 * 3, 13);
  const bias = random(3, 14);
  assertClose(k.conv2d(x, w, bias, g), k.matmul(x, w, bias, 2 * 3 * 5, 7, 3, false, false), { rtol: 1e-6, atol: 1e-7 });
});
