/**
 * Pooling against the js reference: max (values and argmax indices, which must match exactly, including ties and
 * NaN) and average (with and without counting padding), forward and backward, over window sizes, strides, 'same'
 * and asymmetric padding, channel counts around the SIMD widths, and batches large enough to split across threads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PoolGeometry } from '../../../src/backend/kernels.js';
import { assertClose } from '../../helpers/close.js';
import { js, poolCase, random, skipUnless, type KernelTarget } from './harness.js';

const channelCounts = [1, 3, 4, 5, 7, 8, 9, 16, 17, 24, 33];

export function poolSuite(target: KernelTarget): void {
  const { name, kernels: k } = target;
  const options = skipUnless(target);

  function checkPool(g: PoolGeometry, x: Float32Array, seed: number): void {
    const what = `${name} ${JSON.stringify(g).replace(/"/g, '')}`;
    const dy = random(g.batch * g.outH * g.outW * g.channels, seed);
    const mk = k.maxPool2d(x, g);
    const mj = js.maxPool2d(x, g);
    assert.deepEqual(mk.argmax, mj.argmax, `maxPool2d argmax ${what}`);
    assertClose(mk.y, mj.y, {}, `maxPool2d ${what}`);
    assertClose(k.maxPool2dBackward(dy, mj.argmax, g), js.maxPool2dBackward(dy, mj.argmax, g), {},
      `maxPool2dBackward ${what}`);
    for (const include of [false, true]) {
      assertClose(k.avgPool2d(x, g, include), js.avgPool2d(x, g, include), {}, `avgPool2d include=${include} ${what}`);
      assertClose(k.avgPool2dBackward(dy, g, include), js.avgPool2dBackward(dy, g, include), {},
        `avgPool2dBackward include=${include} ${what}`);
    }
  }

  test(`${name} pooling: windows 1..3, strides 1..3, same and valid, channels around the SIMD widths`, options, () => {
    let seed = 1;
    for (const ch of channelCounts)
      for (const [h, w] of [[1, 1], [3, 5], [6, 7], [9, 8]] as [number, number][])
        for (const kernel of [1, 2, 3])
          for (const stride of [1, 2, 3])
            for (const padding of ['valid', 'same'] as const) {
              if (padding === 'valid' && (h < kernel || w < kernel)) continue;
              const g = poolCase([2, h, w, ch], kernel, stride, padding);
              checkPool(g, random(2 * h * w * ch, seed), seed++);
            }
  });

  test(`${name} pooling: non-square windows, asymmetric padding, a large batch`, options, () => {
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
    const big = poolCase([4, 30, 29, 40], 3, 2, 'same');
    checkPool(big, random(4 * 30 * 29 * 40, seed), seed++);
  });

  test(`${name} maxPool2d: ties pick the first maximum, NaN wins, -Infinity windows keep the first cell`, options, () => {
    const g = poolCase([1, 4, 4, 5], 2, 1, 'same');
    const ties = Float32Array.from(random(80, 9), (v) => Math.round(v));
    checkPool(g, ties, 10);
    const special = Float32Array.from(random(80, 11));
    special[7] = NaN;
    special[33] = NaN;
    special[34] = NaN;
    for (let i = 40; i < 80; i += 5) special[i] = -Infinity;
    special[12] = Infinity;
    const mk = k.maxPool2d(special, g);
    const mj = js.maxPool2d(special, g);
    assert.deepEqual(mk.argmax, mj.argmax);
    assert.deepEqual(Array.from(mk.y, (v) => (Number.isNaN(v) ? 'NaN' : v)), Array.from(mj.y, (v) => (Number.isNaN(v) ? 'NaN' : v)));
    const allNegInf = new Float32Array(80).fill(-Infinity);
    assert.deepEqual(k.maxPool2d(allNegInf, g).argmax, js.maxPool2d(allNegInf, g).argmax);
  });
}
