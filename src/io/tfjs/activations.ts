/**
 * Activation functions by their Keras / TF.js names, and the ReLU family of Keras' ReLU layer and TF's fused ops,
 * as sepconv ops (each records itself, so cost analysis and ONNX export see it).
 */
import { FormatError } from '../../errors.js';
import { hardSwish, leakyRelu, relu, relu6, sigmoid, swish, tanh } from '../../ops/activation.js';
import { logSoftmax, softmax } from '../../ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import { clip, hardSigmoidAffine } from '../onnx/extra_ops.js';

export type Activation = (x: Tensor) => Tensor;

const identity: Activation = (x) => x;

/** Keras 2 / TF.js hard sigmoid: clip(0.2 x + 0.5, 0, 1) (not the relu6(x + 3) / 6 of PyTorch and Keras 3). */
const kerasHardSigmoid: Activation = (x) => hardSigmoidAffine(x, 0.2, 0.5);

/** Keras names (snake_case, as Python Keras writes them) and TF.js names (camelCase) of each supported activation. */
const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  linear: identity,
  relu,
  relu6,
  sigmoid,
  tanh,
  softmax: (x) => softmax(x, -1),
  log_softmax: (x) => logSoftmax(x, -1),
  logSoftmax: (x) => logSoftmax(x, -1),
  swish,
  silu: swish,
  hard_sigmoid: kerasHardSigmoid,
  hardSigmoid: kerasHardSigmoid,
  hard_swish: hardSwish,
  hard_silu: hardSwish,
};

/** The supported activation names, sorted. */
export const SUPPORTED_ACTIVATIONS: readonly string[] = Object.keys(ACTIVATIONS).sort();

/** The activation called `name` in a Keras config (null or absent = linear); FormatError for others. */
export function kerasActivation(name: string | null | undefined): Activation {
  if (name === null || name === undefined) return identity;
  if (!Object.hasOwn(ACTIVATIONS, name))
    throw new FormatError(`activation "${name}" is not supported (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`);
  return ACTIVATIONS[name];
}

/**
 * max(x, 0) capped at `max` (null: no cap), with slope `negativeSlope` below zero: relu, relu6, a clip, or a leaky
 * relu. A slope together with a cap has no single sepconv op and is rejected.
 */
export function cappedRelu(max: number | null, negativeSlope = 0): Activation {
  if (negativeSlope !== 0) {
    if (max !== null) throw new FormatError(`a ReLU with both negative_slope ${negativeSlope} and max_value ${max} is not supported`);
    return (x) => leakyRelu(x, negativeSlope);
  }
  if (max === null) return relu;
  if (max === 6) return relu6;
  if (!(max >= 0)) throw new FormatError(`max_value must be >= 0, got ${max}`);
  return (x) => clip(x, 0, max);
}
