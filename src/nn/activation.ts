/** Activation layers (thin modules over the activation ops) and the `activation(name)` factory. */
import { ArgumentError } from '../errors.js';
import {
  hardSigmoid, hardSwish, leakyRelu, prelu, relu, relu6, sigmoid, swish, tanh,
} from '../ops/activation.js';
import { Tensor } from '../tensor/tensor.js';
import { checkInt } from './args.js';
import { Module } from './module.js';

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** min(max(x, 0), 6) (MobileNet V1/V2). */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

/** x * relu6(x + 3) / 6 (MobileNetV3). */
export class HardSwish extends Module {
  forward(x: Tensor): Tensor {
    return hardSwish(x);
  }
}

/** x * sigmoid(x) (EfficientNet). */
export class Swish extends Module {
  forward(x: Tensor): Tensor {
    return swish(x);
  }
}

/** PyTorch's name for Swish. */
export class SiLU extends Swish {}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** relu6(x + 3) / 6 (PyTorch / MobileNetV3 convention; Keras' older hard_sigmoid used 0.2x + 0.5). */
export class HardSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardSigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** x for x >= 0, alpha * x otherwise. */
export class LeakyReLU extends Module {
  readonly alpha: number;

  constructor(options: { alpha?: number } = {}) {
    super();
    this.alpha = options.alpha ?? 0.01;
    if (!Number.isFinite(this.alpha)) throw new ArgumentError(`LeakyReLU: alpha must be a finite number, got ${this.alpha}`);
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.alpha);
  }

  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** Leaky ReLU with a learned slope: one shared (numParameters = 1) or one per channel (last axis). */
export class PReLU extends Module {
  /** The slopes, [numParameters]. */
  readonly weight: Tensor;

  constructor(options: { numParameters?: number; init?: number } = {}) {
    super();
    const n = checkInt(options.numParameters ?? 1, 'PReLU: numParameters');
    this.weight = this.registerParameter('weight', Tensor.full([n], options.init ?? 0.25));
  }

  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }

  protected override extraRepr(): string {
    return `numParameters=${this.weight.size}`;
  }
}

const factories = {
  relu: () => new ReLU(),
  relu6: () => new ReLU6(),
  hardSwish: () => new HardSwish(),
  swish: () => new Swish(),
  silu: () => new SiLU(),
  sigmoid: () => new Sigmoid(),
  hardSigmoid: () => new HardSigmoid(),
  tanh: () => new Tanh(),
  leakyRelu: () => new LeakyReLU(),
} satisfies Record<string, () => Module>;

/** Names accepted by `activation()` (and by layer options that take an activation). */
export type ActivationName = keyof typeof factories;

/** A new activation module by name, e.g. `activation('hardSwish')`. */
export function activation(name: ActivationName): Module {
  if (!Object.hasOwn(factories, name))
    throw new ArgumentError(`activation: unknown activation '${String(name)}'; use one of ${Object.keys(factories).join(', ')}`);
  return factories[name]();
}
