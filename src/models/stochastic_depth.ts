/**
 * Stochastic depth (Huang et al. 2016, "Deep Networks with Stochastic Depth"), torchvision's StochasticDepth in
 * "row" mode: in training, each sample's residual branch is dropped with probability p and kept ones are scaled
 * by 1 / (1 - p), so eval needs no rescaling. The block's skip connection carries the sample when its branch is
 * dropped; this module only scales the branch.
 */
import { ArgumentError } from '../errors.js';
import { Module } from '../nn/module.js';
import { mul } from '../ops/elementwise.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

export class StochasticDepth extends Module {
  /** Probability of dropping a sample's branch. */
  readonly p: number;
  private readonly rng: Random;

  constructor(options: { p: number; rng?: Random }) {
    super();
    if (!(options.p >= 0 && options.p < 1))
      throw new ArgumentError(`StochasticDepth: p must be in [0, 1), got ${options.p}`);
    this.p = options.p;
    this.rng = options.rng ?? globalRandom;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const survival = 1 - this.p;
    const batch = x.shape[0];
    const keep = new Float32Array(batch);
    for (let n = 0; n < batch; n++) keep[n] = this.rng.uniform() < survival ? 1 / survival : 0;
    // One factor per sample, broadcast over the remaining axes.
    return mul(x, new Tensor(keep, [batch, ...x.shape.slice(1).map(() => 1)]));
  }

  protected override extraRepr(): string {
    return `p=${this.p}, mode=row`;
  }
}
