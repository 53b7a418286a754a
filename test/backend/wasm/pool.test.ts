/**
 * wasm pooling against the js reference: max (values and argmax indices, which must match exactly, including
 * ties and NaN) and average (with and without counting padding), forward and backward, over window sizes, strides,
 * 'same' and asymmetric padding and channel counts around the SIMD width.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PoolGeometry } from '../../../src/backend/kernels.js';
import { assertClose } from '../../helpers/close.js';
import { js, poolCase, random, wasm } from './harness.js';

const channelCounts = [1, 3, 4, 5, 7, 8, 9, 16, 17];

function checkPool(g: PoolGeometry, x: Float32Array, seed: number): void {
  const what = JSON.stringify(g).replace(/"/g, '');
  const dy = random(g.batch * g.outH * g.outW * g.channels, seed);
  const mw = wasm.maxPool2d(x, g);
  const mj = js.maxPool2d(x, g);
  assert.deepEqual(mw.argmax, mj.argmax, `maxPool2d argmax ${what}`);
  assertClose(mw.y, mj.y, {}, `maxPool2d ${what}`);
  assertClose(wasm.maxPool2dBackward(dy, mj.argmax, g), js.maxPool2dBackward(dy, mj.argmax, g), {},
    `maxPool2dBackward ${what}`);
  for (const include of [false, true]) {
    assertClose(wasm.avgPool2d(x, g, include), js.avgPool2d(x, g, include), {}, `avgPool2d include=${include} ${what}`);
    assertClose(wasm.avgPool2dBackward(dy, g, include), js.avgPool2dBackward(dy, g, include), {},
      `avgPool2dBackward include=${include} ${what}`);
  }
}

test('pooling: windows 1..3, strides 1..3, same and valid, channels around the SIMD width', () => {
  let seed = 1;
  for (const ch of channelCounts)
    for (const [h, w] of [[1, 1], [3, 5], [6, 7], [9, 8]] as [number, number][])
      for (const k of [1, 2, 3])
        for (const stride of [1, 2, 3])
          for (const padding of ['valid', 'same'] as const) {
            if (padding === 'valid' && (h < k || w < k)) continue;
            const g = poolCase([2, h, w, ch], k, stride, padding);
            checkPool(g, random(2 * h * w * ch, seed), seed++);
          }
});

test('pooling: non-square windows and asymmetric padding', () => {
  let seed = 500;
  const cases: [[number, number], number | [number, number], [number, number, number, number]][] = [
    [[2, 3], [1, 2], [1, 0, 2, 1]],
    [[3, 2], 2, [0, 2, 1, 0]],
    [[3, 3], [2, 1], [2, 1, 0, 2]],
  ];
  for (const [kernel, stride, padding] of cases)
    for (const ch of [4, 5, 9]) {
      const g = poolCase([1, 7, 6, ch], kernel, stride, padding);
      checkPool(g, random(7 * 6 * ch, seed), seed++);
    }
});

test('maxPool2d: ties pick the first maximum, NaN wins, -Infinity windows keep the first cell', () => {
  const g = poolCase([1, 4, 4, 5], 2, 1, 'same');
  const ties = Float32Array.from(random(80, 9), (v) => Math.round(v));
  checkPool(g, ties, 10);
  const special = Float32Array.from(random(80, 11));
  special[7] = NaN;
  special[33] = NaN;
  special[34] = NaN;
  for (let i = 40; i < 80; i += 5) special[i] = -Infinity;
  special[12] = Infinity;
  const mw = wasm.maxPool2d(special, g);
  const mj = js.maxPool2d(special, g);
  assert.deepEqual(mw.argmax, mj.argmax);
  assert.deepEqual(Array.from(mw.y, (v) => (Number.isNaN(v) ? 'NaN' : v)), Array.from(mj.y, (v) => (Number.isNaN(v) ? 'NaN' : v)));
  const allNegInf = new Float32Array(80).fill(-Infinity);
  assert.deepEqual(wasm.maxPool2d(allNegInf, g).argmax, js.maxPool2d(allNegInf, g).argmax);
});
