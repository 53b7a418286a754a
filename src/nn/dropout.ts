/** Dropout layer. */
import { ArgumentError } from '../errors.js';
import { dropout } from '../ops/dropout.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Inverted dropout: in training mode zeroes each value with probability p and scales the rest by 1/(1-p); in eval
 * mode passes the input through unchanged.
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly rng: Random;

  constructor(options: { p?: number; rng?: Random } = {}) {
    super();
    this.p = options.p ?? 0.5;
    if (!(this.p >= 0 && this.p < 1)) throw new ArgumentError(`Dropout: p must be in [0, 1), got ${this.p}`);
    this.rng = options.rng ?? globalRandom;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.rng);
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}
