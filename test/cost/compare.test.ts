import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { analyse } from '../../src/cost/analyse.js';
import { compareConv } from '../../src/cost/compare.js';
import { Conv2d, SeparableConv2d } from '../../src/nn/index.js';

const outSize = (size: number, k: number, stride: number, padding: 'same' | 'valid'): number =>
  padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - k) / stride) + 1;

interface Case {
  k: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  stride: number;
  padding: 'same' | 'valid';
}

function* sweep(): Generator<Case> {
  for (let k = 1; k <= 7; k++)
    for (const [cin, cout] of [[1, 1], [3, 16], [8, 8], [32, 64], [96, 24], [17, 160]])
      for (const [h, w] of [[7, 7], [14, 15], [28, 28], [112, 96]])
        for (const stride of [1, 2])
          for (const padding of ['same', 'valid'] as const) if (padding === 'same' || k <= Math.min(h, w)) yield { k, cin, cout, h, w, stride, padding };
}

test('compareConv equals the closed-form counts over a sweep of shapes, strides and paddings', () => {
  let cases = 0;
  for (const c of sweep()) {
    const { k, cin, cout, h, w, stride, padding } = c;
    const r = compareConv(c);
    const oh = outSize(h, k, stride, padding);
    const ow = outSize(w, k, stride, padding);
    const what = JSON.stringify(c);
    assert.equal(r.outH, oh, what);
    assert.equal(r.outW, ow, what);
    assert.equal(r.standard.macs, k * k * cin * cout * oh * ow, what);
    assert.equal(r.depthwise.macs, k * k * cin * oh * ow, what);
    assert.equal(r.pointwise.macs, cin * cout * oh * ow, what);
    assert.equal(r.separable.macs, r.depthwise.macs + r.pointwise.macs, what);
    assert.equal(r.standard.flops, 2 * r.standard.macs, what);
    assert.equal(r.standard.params, k * k * cin * cout, what);
    assert.equal(r.standard.paramsWithBias, k * k * cin * cout + cout, what);
    assert.equal(r.separable.params, k * k * cin + cin * cout, what);
    assert.equal(r.separable.paramsWithBias, k * k * cin + cin + cin * cout + cout, what);
    assert.equal(r.standard.bytes, 4 * (h * w * cin + k * k * cin * cout + oh * ow * cout), what);
    assert.equal(r.separable.bytes, 4 * (h * w * cin + k * k * cin + oh * ow * cin) + 4 * (oh * ow * cin + cin * cout + oh * ow * cout), what);
    // separable / standard = 1/C_out + 1/K^2 exactly, as integers: sep * K^2 * C_out == std * (K^2 + C_out).
    assert.equal(r.separable.macs * k * k * cout, r.standard.macs * (k * k + cout), what);
    assert.equal(r.separable.params * k * k * cout, r.standard.params * (k * k + cout), what);
    assert.equal(r.ratio.formula, 1 / cout + 1 / (k * k), what);
    assert.ok(Math.abs(r.ratio.macs - r.ratio.formula) <= 4 * Number.EPSILON * r.ratio.formula, what);
    assert.equal(r.ratio.bytes, r.separable.bytes / r.standard.bytes, what);
    cases++;
  }
  assert.ok(cases >= 600, `sweep ran ${cases} cases`);
});

test('compareConv defaults to stride 1 and same padding, and takes explicit padding', () => {
  const r = compareConv({ k: 3, cin: 32, cout: 64, h: 112, w: 112 });
  assert.deepEqual([r.options.stride, r.options.padding, r.outH, r.outW], [1, 'same', 112, 112]);
  assert.equal(r.standard.macs, 231_211_008);
  assert.equal(r.separable.macs, 29_302_784);
  const p = compareConv({ k: 3, cin: 4, cout: 4, h: 10, w: 10, stride: 2, padding: 1 });
  assert.equal(p.outH, 5);
});

test('compareConv rejects non-positive or fractional sizes and kernels larger than a valid input', () => {
  assert.throws(() => compareConv({ k: 0, cin: 3, cout: 3, h: 8, w: 8 }), (e: unknown) => e instanceof ArgumentError && /k must be a positive integer/.test(e.message));
  assert.throws(() => compareConv({ k: 3, cin: 2.5, cout: 3, h: 8, w: 8 }), ArgumentError);
  assert.throws(() => compareConv({ k: 3, cin: 3, cout: 3, h: 8, w: 8, stride: -1 }), ArgumentError);
  assert.throws(() => compareConv({ k: 3, cin: 3, cout: 3, h: 8, w: 8, padding: 'full' as 'same' }), ArgumentError);
  assert.throws(() => compareConv({ k: 5, cin: 3, cout: 3, h: 4, w: 4, padding: 'valid' }), ShapeError);
});

test('compareConv agrees with analyse() on real Conv2d and SeparableConv2d layers', () => {
  for (const k of [1, 3, 5, 7])
    for (const [cin, cout] of [[3, 8], [16, 32], [24, 12]])
      for (const stride of [1, 2])
        for (const padding of ['same', 'valid'] as const) {
          const h = 13;
          const w = 10;
          const r = compareConv({ k, cin, cout, h, w, stride, padding });
          const what = JSON.stringify({ k, cin, cout, stride, padding });
          const standard = analyse(new Conv2d({ inChannels: cin, outChannels: cout, kernelSize: k, stride, padding, bias: false }), [h, w, cin]);
          assert.equal(standard.totals.params, r.standard.params, what);
          assert.equal(standard.totals.macs, r.standard.macs, what);
          assert.equal(standard.totals.bytes, r.standard.bytes, what);
          assert.deepEqual(standard.output, [1, r.outH, r.outW, cout], what);
          assert.equal(standard.layers[0].kind, k === 1 ? 'pointwise' : 'conv', what);

          const sep = analyse(new SeparableConv2d({ inChannels: cin, outChannels: cout, kernelSize: k, stride, padding, bias: false }), [h, w, cin]);
          assert.equal(sep.totals.params, r.separable.params, what);
          assert.equal(sep.totals.macs, r.separable.macs, what);
          assert.equal(sep.totals.bytes, r.separable.bytes, what);
          const [dw, pw] = sep.layers;
          assert.deepEqual([dw.name, dw.kind, dw.macs, dw.params, dw.bytes], ['depthwise', 'depthwise', r.depthwise.macs, r.depthwise.params, r.depthwise.bytes], what);
          assert.deepEqual([pw.name, pw.kind, pw.macs, pw.params, pw.bytes], ['pointwise', 'pointwise', r.pointwise.macs, r.pointwise.params, r.pointwise.bytes], what);
        }
});
