/**
 * Weight initialisation, in place and deterministic (every function draws from a seeded `Random`, globalRandom by
 * default). Fans follow sepconv's weight layouts, matching what PyTorch computes for the equivalent layer:
 * - standard conv [KH, KW, Cin/groups, Cout]: fanIn = KH*KW*Cin/groups, fanOut = KH*KW*Cout
 * - depthwise     [KH, KW, C*M]:              fanIn = KH*KW,           fanOut = KH*KW*C*M
 * - pointwise / linear [Cin, Cout]:           fanIn = Cin,             fanOut = Cout
 */
import { ArgumentError } from '../errors.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { shapeToString, type Shape, type Tensor } from '../tensor/tensor.js';

export type FanMode = 'fanIn' | 'fanOut';
export type Nonlinearity = 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu';

function fans(shape: Shape): { fanIn: number; fanOut: number } {
  switch (shape.length) {
    case 2: return { fanIn: shape[0], fanOut: shape[1] };
    case 3: return { fanIn: shape[0] * shape[1], fanOut: shape[0] * shape[1] * shape[2] };
    case 4: return { fanIn: shape[0] * shape[1] * shape[2], fanOut: shape[0] * shape[1] * shape[3] };
    default:
      throw new ArgumentError(`init: fans are defined for weights of rank 2 ([Cin, Cout]), 3 (depthwise [KH, KW, C*M]) ` +
        `or 4 ([KH, KW, Cin/groups, Cout]), got ${shapeToString(shape)}; initialise biases with uniform/zeros`);
  }
}

/** Inputs feeding one output value, for a weight of the given shape. */
export function fanIn(shape: Shape): number {
  return fans(shape).fanIn;
}

/** Outputs one input value feeds, for a weight of the given shape. */
export function fanOut(shape: Shape): number {
  return fans(shape).fanOut;
}

/** The recommended gain for a nonlinearity (PyTorch's calculate_gain); `slope` is leakyRelu's negative slope. */
export function calculateGain(nonlinearity: Nonlinearity, slope = 0.01): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': return Math.sqrt(2 / (1 + slope * slope));
    default: throw new ArgumentError(`init.calculateGain: unknown nonlinearity '${String(nonlinearity)}'; use linear, sigmoid, tanh, relu or leakyRelu`);
  }
}

/** Fills with U(low, high). */
export function uniform(t: Tensor, low: number, high: number, rng: Random = globalRandom): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.uniform();
  return t;
}

/** Fills with N(mean, std^2). */
export function normal(t: Tensor, mean = 0, std = 1, rng: Random = globalRandom): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

export function zeros(t: Tensor): Tensor {
  t.data.fill(0);
  return t;
}

export function ones(t: Tensor): Tensor {
  t.data.fill(1);
  return t;
}

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (only used with nonlinearity 'leakyRelu'). Default 0. */
  a?: number;
  /** 'fanIn' keeps forward variance, 'fanOut' backward variance (torchvision MobileNets). Default 'fanIn'. */
  mode?: FanMode;
  /** Default 'leakyRelu' (with a = 0 this equals 'relu'), as in PyTorch. */
  nonlinearity?: Nonlinearity;
  rng?: Random;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const fan = (o.mode ?? 'fanIn') === 'fanIn' ? fanIn(t.shape) : fanOut(t.shape);
  return calculateGain(o.nonlinearity ?? 'leakyRelu', o.a ?? 0) / Math.sqrt(fan);
}

/** He initialisation, N(0, (gain / sqrt(fan))^2). */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, options), options.rng);
}

/** He initialisation, U(-b, b) with b = gain * sqrt(3 / fan). */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform(t, -bound, bound, options.rng);
}

/** Glorot initialisation (Keras' default), U(-b, b) with b = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(t: Tensor, options: { gain?: number; rng?: Random } = {}): Tensor {
  const { fanIn: fi, fanOut: fo } = fans(t.shape);
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fi + fo));
  return uniform(t, -bound, bound, options.rng);
}

/**
 * PyTorch's default for conv and linear layers: kaiming-uniform with a = sqrt(5), i.e. U(±1/sqrt(fanIn)), and the
 * bias from the same bound.
 */
export function pytorchDefault(weight: Tensor, bias: Tensor | null, rng: Random = globalRandom): void {
  const bound = 1 / Math.sqrt(fanIn(weight.shape));
  uniform(weight, -bound, bound, rng);
  if (bias !== null) uniform(bias, -bound, bound, rng);
}
