/**
 * Batch-norm kernels (channel moments, forward, backward in training and eval mode) against the js reference:
 * channel counts around the SIMD widths, position counts from 0 (an empty batch) to a 2x56x56 feature map,
 * inputs far from zero mean (where one-pass variance would cancel), and large spreads of scale.
 */
import { test } from 'node:test';
import { assertClose } from '../../helpers/close.js';
import { js, random, skipUnless, type KernelTarget } from './harness.js';

const channelCounts = [1, 3, 4, 5, 8, 9, 16, 17, 24, 33, 96];
const positionCounts = [1, 2, 7, 49, 1000];

export function batchNormSuite(target: KernelTarget): void {
  const { name, kernels: k } = target;
  const options = skipUnless(target);
  const tol = { rtol: 1e-5, atol: 1e-6 };

  function check(positions: number, channels: number, seed: number, offset = 0, spread = 1): void {
    const what = `${name} positions=${positions} channels=${channels} offset=${offset} spread=${spread}`;
    const x = random(positions * channels, seed, offset - spread, offset + spread);
    const m = k.channelMoments(x, channels);
    const r = js.channelMoments(x, channels);
    assertClose(m.mean, r.mean, { rtol: 1e-6, atol: 1e-6 * spread }, `channelMoments mean ${what}`);
    assertClose(m.variance, r.variance, { rtol: 1e-5, atol: 1e-7 * spread * spread }, `channelMoments variance ${what}`);
    const mean = r.mean;
    const invStd = Float32Array.from(r.variance, (v) => 1 / Math.sqrt(v + 1e-5));
    const gamma = random(channels, seed + 1, 0.5, 2);
    const beta = random(channels, seed + 2);
    assertClose(k.batchNormForward(x, mean, invStd, gamma, beta), js.batchNormForward(x, mean, invStd, gamma, beta),
      tol, `batchNormForward ${what}`);
    const dy = random(positions * channels, seed + 3);
    for (const training of [true, false]) {
      const b = k.batchNormBackward(x, dy, mean, invStd, gamma, training);
      const e = js.batchNormBackward(x, dy, mean, invStd, gamma, training);
      const sums = { rtol: 1e-5, atol: 1e-6 * Math.sqrt(positions) };
      assertClose(b.dx, e.dx, { rtol: 1e-5, atol: 1e-5 }, `batchNormBackward dx training=${training} ${what}`);
      assertClose(b.dGamma, e.dGamma, sums, `batchNormBackward dGamma training=${training} ${what}`);
      assertClose(b.dBeta, e.dBeta, sums, `batchNormBackward dBeta training=${training} ${what}`);
    }
  }

  test(`${name} batch norm: channels around the SIMD widths x position counts 1..1000`, options, () => {
    let seed = 1;
    for (const channels of channelCounts) for (const positions of positionCounts) check(positions, channels, seed++ * 7);
  });

  test(`${name} batch norm: inputs far from zero mean, wide and narrow spreads, a 2x56x56x24 map`, options, () => {
    check(500, 7, 1001, 1000, 1);
    check(300, 17, 1002, -250, 0.01);
    check(64, 9, 1003, 0, 1000);
    check(2 * 56 * 56, 24, 1004, 0.5, 2);
  });

  test(`${name} batch norm: an empty batch gives the reference's NaN moments and empty outputs`, options, () => {
    for (const channels of [1, 5, 17]) {
      const x = new Float32Array(0);
      const m = k.channelMoments(x, channels);
      const r = js.channelMoments(x, channels);
      assertClose(m.mean.map((v) => (Number.isNaN(v) ? -1 : v)), r.mean.map((v) => (Number.isNaN(v) ? -1 : v)), {}, `${name} empty mean`);
      const ones = new Float32Array(channels).fill(1);
      const zeros = new Float32Array(channels);
      assertClose(k.batchNormForward(x, zeros, ones, ones, zeros), new Float32Array(0), {}, `${name} empty forward`);
      const b = k.batchNormBackward(x, x, zeros, ones, ones, true);
      assertClose(b.dx, new Float32Array(0), {}, `${name} empty dx`);
      assertClose(b.dGamma, zeros, {}, `${name} empty dGamma`);
      assertClose(b.dBeta, zeros, {}, `${name} empty dBeta`);
    }
  });
}
