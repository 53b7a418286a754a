/** Batch normalisation over the channel (last) axis of NHWC activations. */
import { ArgumentError } from '../errors.js';
import { batchNorm2d } from '../ops/batchnorm.js';
import { Tensor } from '../tensor/tensor.js';
import { checkInt, expectNHWC } from './args.js';
import { Module } from './module.js';

export interface BatchNorm2dOptions {
  numFeatures: number;
  /** Added to the variance before the square root. Default 1e-5 (PyTorch; Keras uses 1e-3). */
  eps?: number;
  /**
   * Weight of the new batch in the running statistics, PyTorch convention: running = (1 - m) * running + m * batch
   * (Keras' momentum 0.99 is m = 0.01). null means a cumulative average over all batches seen. Default 0.1.
   */
  momentum?: number | null;
}

/** Per-channel scale and shift of an eval-mode batch norm: y = x * scale + shift. */
export interface BnAffine {
  scale: Float32Array;
  shift: Float32Array;
}

/**
 * torch.nn.BatchNorm2d for NHWC. State-dict names follow PyTorch: weight (gamma, 1), bias (beta, 0), running_mean
 * (0), running_var (1), num_batches_tracked. Training mode normalises with batch statistics and updates the running
 * ones; eval mode uses the running ones.
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  /** See {@link BatchNorm2dOptions.momentum}; may change between batches (recomputeBatchNormStats sets null for a while). */
  momentum: number | null;
  /** gamma. */
  readonly weight: Tensor;
  /** beta. */
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  /** Training batches seen (a float32 scalar; exact up to 2^24 batches). */
  readonly numBatchesTracked: Tensor;

  constructor(o: BatchNorm2dOptions) {
    super();
    this.numFeatures = checkInt(o.numFeatures, 'BatchNorm2d: numFeatures');
    this.eps = o.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new ArgumentError(`BatchNorm2d: eps must be > 0, got ${this.eps}`);
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1))
      throw new ArgumentError(`BatchNorm2d: momentum must be in [0, 1] (PyTorch convention; Keras momentum m is 1 - m here) or null, got ${this.momentum}`);
    const c = this.numFeatures;
    this.weight = this.registerParameter('weight', Tensor.full([c], 1));
    this.bias = this.registerParameter('bias', Tensor.zeros([c]));
    this.runningMean = this.registerBuffer('running_mean', Tensor.zeros([c]));
    this.runningVar = this.registerBuffer('running_var', Tensor.full([c], 1));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', Tensor.zeros([]));
  }

  forward(x: Tensor): Tensor {
    expectNHWC(x, this.numFeatures, 'numFeatures');
    const seen = this.numBatchesTracked.data[0] + (this.training ? 1 : 0);
    const y = batchNorm2d(x, {
      gamma: this.weight, beta: this.bias, runningMean: this.runningMean, runningVar: this.runningVar,
      training: this.training, momentum: this.momentum ?? 1 / Math.max(seen, 1), eps: this.eps,
    });
    // Counted only once the op has accepted the batch.
    this.numBatchesTracked.data[0] = seen;
    return y;
  }

  /** Forgets the running statistics (mean 0, variance 1, no batches seen), as PyTorch's reset_running_stats. */
  resetRunningStats(): void {
    this.runningMean.data.fill(0);
    this.runningVar.data.fill(1);
    this.numBatchesTracked.data[0] = 0;
  }

  /**
   * The eval-mode map as a per-channel affine y = x * scale + shift (scale = gamma / sqrt(running_var + eps),
   * shift = beta - running_mean * scale): what folding this norm into a conv before it, or into a sum of branches, uses.
   */
  evalAffine(): BnAffine {
    const c = this.numFeatures;
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const s = this.weight.data[i] / Math.sqrt(this.runningVar.data[i] + this.eps);
      scale[i] = s;
      shift[i] = this.bias.data[i] - this.runningMean.data[i] * s;
    }
    return { scale, shift };
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}
