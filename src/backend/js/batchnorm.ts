/**
 * Reference batch-norm kernels over NHWC data viewed as [P, C] (P = N*H*W positions). Loops run position by
 * position with the channel innermost, which is contiguous; sums are in float64.
 */
import type { Kernels } from '../kernels.js';

function channelMoments(x: Float32Array, c: number): { mean: Float32Array; variance: Float32Array } {
  const count = x.length / c;
  const sum = new Float64Array(c);
  for (let p = 0; p < x.length; p += c) for (let ch = 0; ch < c; ch++) sum[ch] += x[p + ch];
  const mean = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) mean[ch] = sum[ch] / count;
  // Two passes (centred squares), not E[x^2] - E[x]^2, which cancels catastrophically for large means.
  const sq = new Float64Array(c);
  for (let p = 0; p < x.length; p += c)
    for (let ch = 0; ch < c; ch++) {
      const d = x[p + ch] - mean[ch];
      sq[ch] += d * d;
    }
  return { mean: Float32Array.from(mean), variance: Float32Array.from(sq, (s) => s / count) };
}

function batchNormForward(x: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array, beta: Float32Array): Float32Array {
  const c = mean.length;
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    scale[ch] = gamma[ch] * invStd[ch];
    shift[ch] = beta[ch] - mean[ch] * scale[ch];
  }
  const y = new Float32Array(x.length);
  for (let p = 0; p < x.length; p += c) for (let ch = 0; ch < c; ch++) y[p + ch] = x[p + ch] * scale[ch] + shift[ch];
  return y;
}

function batchNormBackward(x: Float32Array, dy: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array,
  training: boolean): { dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array } {
  const c = mean.length;
  const count = x.length / c;
  const dBeta = new Float64Array(c);
  const dGamma = new Float64Array(c);
  for (let p = 0; p < x.length; p += c)
    for (let ch = 0; ch < c; ch++) {
      const g = dy[p + ch];
      dBeta[ch] += g;
      dGamma[ch] += g * (x[p + ch] - mean[ch]) * invStd[ch];
    }
  const scale = new Float64Array(c);
  const meanDy = new Float64Array(c);
  const meanDyXhat = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    scale[ch] = gamma[ch] * invStd[ch];
    meanDy[ch] = training ? dBeta[ch] / count : 0;
    meanDyXhat[ch] = training ? dGamma[ch] / count : 0;
  }
  const dx = new Float32Array(x.length);
  for (let p = 0; p < x.length; p += c)
    for (let ch = 0; ch < c; ch++) {
      const xhat = (x[p + ch] - mean[ch]) * invStd[ch];
      dx[p + ch] = scale[ch] * (dy[p + ch] - meanDy[ch] - xhat * meanDyXhat[ch]);
    }
  return { dx, dGamma: Float32Array.from(dGamma), dBeta: Float32Array.from(dBeta) };
}

export const batchNormKernels: Pick<Kernels, 'channelMoments' | 'batchNormForward' | 'batchNormBackward'> = {
  channelMoments,
  batchNormForward,
  batchNormBackward,
};
