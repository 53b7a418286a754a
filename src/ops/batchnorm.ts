/**
 * Batch normalisation over NHWC tensors (statistics per channel, the last axis, over N, H and W).
 * Training: normalise with the batch mean and biased variance, and update the running statistics in place with
 * PyTorch's rule running = (1 - momentum) * running + momentum * batch, using the unbiased variance.
 * Eval: normalise with the running statistics (an affine map per channel).
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { kernel } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { Tensor, shapeToString } from '../tensor/tensor.js';

export interface BatchNormOptions {
  /** Scale per channel [C] (learnable). */
  gamma: Tensor;
  /** Shift per channel [C] (learnable). */
  beta: Tensor;
  /** Running mean [C]; read in eval, updated in place in training. */
  runningMean: Tensor;
  /** Running (unbiased) variance [C]; read in eval, updated in place in training. */
  runningVar: Tensor;
  training: boolean;
  /** Weight of the new batch statistics in the running update (PyTorch convention; Keras' momentum is 1 - this). */
  momentum?: number;
  eps?: number;
}

function validate(x: Tensor, o: BatchNormOptions): void {
  if (x.rank !== 4)
    throw new ShapeError(`batchNorm2d: expected an NHWC tensor of rank 4 [batch, height, width, channels], got ${shapeToString(x.shape)}`);
  const c = x.shape[3];
  for (const key of ['gamma', 'beta', 'runningMean', 'runningVar'] as const) {
    const t = o[key];
    if (!(t instanceof Tensor))
      throw new ArgumentError(`batchNorm2d: option ${key} must be a Tensor of shape [${c}], got ${String(t)}`);
    if (t.rank !== 1 || t.shape[0] !== c)
      throw new ShapeError(`batchNorm2d: ${key} has shape ${shapeToString(t.shape)}, expected [${c}] (the channel count of x ` +
        `${shapeToString(x.shape)}); check numFeatures`);
  }
  if (typeof o.training !== 'boolean') throw new ArgumentError(`batchNorm2d: training must be a boolean, got ${String(o.training)}`);
  const momentum = o.momentum ?? 0.1;
  if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentError(`batchNorm2d: momentum must be in [0, 1], got ${momentum}`);
  const eps = o.eps ?? 1e-5;
  if (!(eps > 0 && Number.isFinite(eps))) throw new ArgumentError(`batchNorm2d: eps must be a positive number, got ${eps}`);
}

/**
 * y = gamma * (x - mean) / sqrt(var + eps) + beta per channel. Gradients flow to x, gamma and beta in both modes;
 * in training mode the x gradient includes the paths through the batch mean and variance.
 */
export function batchNorm2d(x: Tensor, opts: BatchNormOptions): Tensor {
  validate(x, opts);
  const { gamma, beta, runningMean, runningVar, training } = opts;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const c = x.shape[3];
  const xd = x.data;
  const count = xd.length / c;

  let mean: Float32Array;
  let variance: Float32Array;
  if (training) {
    if (count < 2)
      throw new ShapeError(`batchNorm2d: training needs more than one value per channel to estimate a variance, got x ` +
        `${shapeToString(x.shape)}; use a larger batch or spatial size, or eval mode`);
    ({ mean, variance } = kernel('channelMoments')(xd, c));
    const rm = runningMean.data;
    const rv = runningVar.data;
    for (let ch = 0; ch < c; ch++) {
      rm[ch] = (1 - momentum) * rm[ch] + momentum * mean[ch];
      rv[ch] = (1 - momentum) * rv[ch] + momentum * variance[ch] * (count / (count - 1));
    }
  } else {
    mean = runningMean.data.slice();
    variance = runningVar.data.slice();
  }
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const gd = gamma.data.slice();
  const y = kernel('batchNormForward')(xd, mean, invStd, gd, beta.data);
  return record(new Tensor(y, x.shape), 'batchNorm2d', [x, gamma, beta], (dy) => {
    const { dx, dGamma, dBeta } = kernel('batchNormBackward')(xd, dy, mean, invStd, gd, training);
    return [dx, dGamma, dBeta];
  }, { eps, training, momentum });
}
