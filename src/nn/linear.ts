/** Fully connected layer. */
import { linear } from '../ops/linear.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { checkInt } from './args.js';
import { pytorchDefault } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  rng?: Random;
}

/** y = x W + b for x [N, inFeatures]; W is [inFeatures, outFeatures] (the transpose of PyTorch's layout). */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [inFeatures, outFeatures]. */
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(o: LinearOptions) {
    super();
    this.inFeatures = checkInt(o.inFeatures, 'Linear: inFeatures');
    this.outFeatures = checkInt(o.outFeatures, 'Linear: outFeatures');
    this.weight = this.registerParameter('weight', Tensor.zeros([this.inFeatures, this.outFeatures]));
    this.bias = (o.bias ?? true) ? this.registerParameter('bias', Tensor.zeros([this.outFeatures])) : null;
    pytorchDefault(this.weight, this.bias, o.rng ?? globalRandom);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `${this.inFeatures} -> ${this.outFeatures}${this.bias === null ? ', bias=false' : ''}`;
  }
}
