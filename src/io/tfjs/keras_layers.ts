/**
 * One converter per supported Keras layer class: it reads the layer's config and weights at load time (Keras
 * layouts are sepconv's: NHWC activations, HWIO conv kernels, [in, out] dense kernels, so weights are copied as they
 * are), creates the sepconv layer that holds them, and returns the function that runs the layer. Anything it does
 * not understand is a FormatError naming the config key or weight.
 */
import { FormatError, ShapeError } from '../../errors.js';
import { BatchNorm2d } from '../../nn/batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d } from '../../nn/conv.js';
import { PReLU } from '../../nn/activation.js';
import { Dropout } from '../../nn/dropout.js';
import { Linear } from '../../nn/linear.js';
import { Module } from '../../nn/module.js';
import { relu } from '../../ops/activation.js';
import { add, affineScalar, mul, neg, sub } from '../../ops/elementwise.js';
import type { Padding } from '../../ops/padding.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../ops/pool.js';
import { concat, pad2d, reshape } from '../../ops/shape.js';
import { softmax } from '../../ops/softmax.js';
import { Random } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { cappedRelu, kerasActivation } from './activations.js';
import type { JsonFields } from './json.js';

/** A float weight of the layer. */
export interface LayerWeight {
  shape: readonly number[];
  data: Float32Array;
}

/** What a converter sees of its layer at load time. */
export interface KerasLayerContext {
  readonly config: JsonFields;
  /** How many tensors the layer is called on. */
  readonly inputCount: number;
  /** The layer's float weight `attr` ("kernel", "gamma", ...), of `rank` axes if given; FormatError if absent or mis-shaped. */
  weight(attr: string, rank?: number): LayerWeight;
  /** Registers the layer holding the weights under the layer's name, and returns it. */
  addModule<M extends Module>(m: M): M;
}

/** Runs the layer on its input tensors (in inbound-node order). */
export type KerasLayerRun = (xs: readonly Tensor[]) => Tensor;

export type KerasLayerConverter = (ctx: KerasLayerContext) => KerasLayerRun;

/** Layers take their values from the file: a private generator keeps their throwaway init off the global stream. */
const initRng = (): Random => new Random(0);

function channelsLast(c: JsonFields): void {
  c.choice('data_format', ['channels_last'], 'channels_last');
}

function single(ctx: KerasLayerContext): void {
  if (ctx.inputCount !== 1) throw new FormatError(`the layer takes one input, but is called on ${ctx.inputCount}`);
}

function paddingMode(c: JsonFields): 'same' | 'valid' {
  return c.choice('padding', ['valid', 'same'], 'valid');
}

function expectRank(x: Tensor, rank: number, what: string): void {
  if (x.rank !== rank) throw new ShapeError(`${what} expects a ${rank}-D input${rank === 4 ? ' (NHWC)' : ''}, got shape [${x.shape.join(', ')}]`);
}

function checkKernel(w: LayerWeight, kernel: number[], what: string): void {
  if (w.shape[0] !== kernel[0] || w.shape[1] !== kernel[1])
    throw new FormatError(`${what} has shape [${w.shape.join(', ')}], which does not match kernel_size [${kernel.join(', ')}]`);
}

/** Applies a 4-D-only layer to any rank >= 2 channels-last tensor by viewing it as [N, 1, L, C]. */
function asImage(x: Tensor, f: (t: Tensor) => Tensor): Tensor {
  if (x.rank === 4) return f(x);
  if (x.rank < 2) throw new ShapeError(`expected a tensor with a batch and a channel axis, got shape [${x.shape.join(', ')}]`);
  const c = x.shape[x.rank - 1];
  return reshape(f(reshape(x, [x.shape[0], 1, x.size / (x.shape[0] * c), c])), x.shape);
}

/** An `axis` that is one integer or a one-element list (default -1). */
function oneAxis(c: JsonFields): number {
  const raw = c.raw('axis');
  const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw ?? -1;
  return typeof axis === 'number' && Number.isInteger(axis) ? axis : c.fail('axis', 'one integer axis');
}

/** The window settings shared by the convolutions. */
function convWindow(c: JsonFields): { kernel: number[]; stride: [number, number]; padding: Padding; dilation: [number, number] } {
  channelsLast(c);
  const kernel = c.ints('kernel_size', 2);
  const [sh, sw] = c.ints('strides', 2, [1, 1]);
  const [dh, dw] = c.ints('dilation_rate', 2, [1, 1]);
  return { kernel, stride: [sh, sw], padding: paddingMode(c), dilation: [dh, dw] };
}

function optionalBias(ctx: KerasLayerContext, size: number): LayerWeight | null {
  if (!ctx.config.boolean('use_bias', true)) return null;
  const b = ctx.weight('bias', 1);
  if (b.shape[0] !== size) throw new FormatError(`weight "bias" has ${b.shape[0]} values for ${size} output channels`);
  return b;
}

const conv2d: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  const win = convWindow(c);
  const filters = c.number('filters');
  const groups = c.number('groups', 1);
  const act = kerasActivation(c.string('activation', 'linear'));
  const k = ctx.weight('kernel', 4);
  checkKernel(k, win.kernel, 'weight "kernel"');
  const [kh, kw, inPerGroup, out] = k.shape;
  if (out !== filters) throw new FormatError(`weight "kernel" has ${out} output channels, config filters is ${filters}`);
  const bias = optionalBias(ctx, out);
  const pointwise = kh === 1 && kw === 1 && groups === 1 && win.stride[0] === 1 && win.stride[1] === 1;
  const layer = ctx.addModule(pointwise
    ? new PointwiseConv2d({ inChannels: inPerGroup, outChannels: out, bias: bias !== null, rng: initRng() })
    : new Conv2d({
      inChannels: inPerGroup * groups, outChannels: out, kernelSize: [kh, kw], stride: win.stride, padding: win.padding,
      dilation: win.dilation, groups, bias: bias !== null, rng: initRng(),
    }));
  // [KH, KW, Cin/g, Cout] is sepconv's conv layout, and for a 1x1 kernel the memory layout of pointwise [Cin, Cout].
  layer.weight.assign(k.data);
  if (bias !== null) layer.bias!.assign(bias.data);
  return ([x]) => act(layer.forward(x));
};

/**
 * Keras depthwise kernel [KH, KW, C, M]: output channel c*M + m, exactly sepconv's [KH, KW, C*M]. The multiplier is
 * M (TF.js leaves depth_multiplier out of SeparableConv2D configs; when present it must agree).
 */
function depthwiseKernel(ctx: KerasLayerContext, kernel: number[]): { k: LayerWeight; channels: number; m: number } {
  const k = ctx.weight('depthwise_kernel', 4);
  checkKernel(k, kernel, 'weight "depthwise_kernel"');
  const m = ctx.config.number('depth_multiplier', k.shape[3]);
  if (k.shape[3] !== m)
    throw new FormatError(`weight "depthwise_kernel" has shape [${k.shape.join(', ')}], but depth_multiplier is ${m}`);
  return { k, channels: k.shape[2], m };
}

const depthwiseConv2d: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  const win = convWindow(c);
  const act = kerasActivation(c.string('activation', 'linear'));
  const { k, channels, m } = depthwiseKernel(ctx, win.kernel);
  const bias = optionalBias(ctx, channels * m);
  const layer = ctx.addModule(new DepthwiseConv2d({
    channels, kernelSize: [k.shape[0], k.shape[1]], stride: win.stride, padding: win.padding, dilation: win.dilation,
    depthMultiplier: m, bias: bias !== null, rng: initRng(),
  }));
  layer.weight.assign(k.data);
  if (bias !== null) layer.bias!.assign(bias.data);
  return ([x]) => act(layer.forward(x));
};

const separableConv2d: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  const win = convWindow(c);
  const filters = c.number('filters');
  const act = kerasActivation(c.string('activation', 'linear'));
  const { k: dk, channels, m } = depthwiseKernel(ctx, win.kernel);
  const pk = ctx.weight('pointwise_kernel', 4);
  if (pk.shape[0] !== 1 || pk.shape[1] !== 1 || pk.shape[2] !== channels * m || pk.shape[3] !== filters)
    throw new FormatError(`weight "pointwise_kernel" has shape [${pk.shape.join(', ')}], expected [1, 1, ${channels * m}, ${filters}]`);
  const bias = optionalBias(ctx, filters);
  const layer = ctx.addModule(new SeparableConv2d({
    inChannels: channels, outChannels: filters, kernelSize: [dk.shape[0], dk.shape[1]], stride: win.stride, padding: win.padding,
    dilation: win.dilation, depthMultiplier: m, bias: bias !== null, rng: initRng(),
  }));
  layer.depthwise.weight.assign(dk.data);
  layer.pointwise.weight.assign(pk.data);
  if (bias !== null) layer.pointwise.bias!.assign(bias.data);
  return ([x]) => act(layer.forward(x));
};

/** Keras BatchNormalization (channels last) as BatchNorm2d; PyTorch's momentum is 1 - Keras'. */
const batchNormalization: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  const axis = oneAxis(c);
  const eps = c.number('epsilon', 1e-3);
  const momentum = c.number('momentum', 0.99);
  if (c.boolean('renorm', false)) throw new FormatError('renorm=true (batch renormalization) is not supported');
  c.raw('renorm_momentum');
  const mean = ctx.weight('moving_mean', 1);
  const n = mean.shape[0];
  const vector = (attr: string, use: boolean, fill: number): Float32Array => {
    if (!use) return new Float32Array(n).fill(fill);
    const w = ctx.weight(attr, 1);
    if (w.shape[0] !== n) throw new FormatError(`weight "${attr}" has ${w.shape[0]} values, moving_mean has ${n}`);
    return w.data;
  };
  const gamma = vector('gamma', c.boolean('scale', true), 1);
  const beta = vector('beta', c.boolean('center', true), 0);
  const variance = vector('moving_variance', true, 1);
  const layer = ctx.addModule(new BatchNorm2d({ numFeatures: n, eps, momentum: 1 - momentum }));
  layer.weight.assign(gamma);
  layer.bias.assign(beta);
  layer.runningMean.assign(mean.data);
  layer.runningVar.assign(variance);
  return ([x]) => {
    if (axis !== -1 && axis !== x.rank - 1)
      throw new ShapeError(`only batch normalization over the last (channel) axis is supported, got axis ${axis} for a ${x.rank}-D input`);
    return asImage(x, (t) => layer.forward(t));
  };
};

const reluLayer: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  if (c.number('threshold', 0) !== 0) throw new FormatError(`threshold ${c.number('threshold')} is not supported (only 0)`);
  const f = cappedRelu(c.optionalNumber('max_value'), c.number('negative_slope', 0));
  return ([x]) => f(x);
};

const activationLayer: KerasLayerConverter = (ctx) => {
  single(ctx);
  const f = kerasActivation(ctx.config.string('activation'));
  return ([x]) => f(x);
};

/** TF.js writes `alpha` (default 0.3), Keras 3 `negative_slope`. */
const leakyReluLayer: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  const slope = c.has('negative_slope') ? c.number('negative_slope') : c.number('alpha', 0.3);
  const f = cappedRelu(null, slope);
  return ([x]) => f(x);
};

/** A PReLU whose slopes vary over more than the channel axis (Keras' default, shared_axes = null). */
class PositionalPReLU extends Module {
  readonly weight: Tensor;

  constructor(shape: readonly number[], data: Float32Array) {
    super();
    this.weight = this.registerParameter('weight', new Tensor(Float32Array.from(data), shape));
  }

  /** relu(x) - alpha * relu(-x) = x for x > 0, alpha * x otherwise. */
  forward(x: Tensor): Tensor {
    return sub(relu(x), mul(this.weight, relu(neg(x))));
  }
}

/** PReLU: one slope per channel (shared_axes covering every spatial axis) as nn.PReLU, else per position. */
const preluLayer: KerasLayerConverter = (ctx) => {
  single(ctx);
  ctx.config.raw('shared_axes');
  const alpha = ctx.weight('alpha');
  const c = alpha.shape[alpha.shape.length - 1];
  if (alpha.shape.slice(0, -1).every((d) => d === 1)) {
    const layer = ctx.addModule(new PReLU({ numParameters: c }));
    layer.weight.assign(alpha.data);
    return ([x]) => layer.forward(x);
  }
  const layer = ctx.addModule(new PositionalPReLU(alpha.shape, alpha.data));
  return ([x]) => layer.forward(x);
};

const softmaxLayer: KerasLayerConverter = (ctx) => {
  single(ctx);
  const axis = oneAxis(ctx.config);
  return ([x]) => softmax(x, axis);
};

/** ZeroPadding2D: padding p, [h, w] or [[top, bottom], [left, right]]. */
const zeroPadding2d: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  channelsLast(c);
  const p = c.raw('padding') ?? 1;
  let pads: number[] | null = null;
  if (typeof p === 'number') pads = [p, p, p, p];
  else if (Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number')) pads = [p[0], p[0], p[1], p[1]] as number[];
  else if (Array.isArray(p) && p.length === 2 && p.every((v) => Array.isArray(v) && v.length === 2)) pads = (p as number[][]).flat();
  if (pads === null || !pads.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0))
    return c.fail('padding', 'a non-negative integer, [h, w] or [[top, bottom], [left, right]]');
  const [top, bottom, left, right] = pads;
  return ([x]) => {
    expectRank(x, 4, 'ZeroPadding2D');
    return pad2d(x, { top, bottom, left, right });
  };
};

function merge(name: string, f: (xs: readonly Tensor[]) => Tensor, exactly?: number): KerasLayerConverter {
  return (ctx) => {
    if (exactly !== undefined ? ctx.inputCount !== exactly : ctx.inputCount < 2)
      throw new FormatError(`${name} takes ${exactly ?? 'two or more'} inputs, but is called on ${ctx.inputCount}`);
    return f;
  };
}

const sumAll = (xs: readonly Tensor[]): Tensor => xs.slice(1).reduce((s, x) => add(s, x), xs[0]);

const concatenate: KerasLayerConverter = (ctx) => {
  const axis = ctx.config.number('axis', -1);
  if (ctx.inputCount < 1) throw new FormatError('Concatenate takes one or more inputs');
  return (xs) => concat(xs, axis);
};

function pooling(kind: 'max' | 'avg'): KerasLayerConverter {
  return (ctx) => {
    single(ctx);
    const c = ctx.config;
    channelsLast(c);
    const kernel = c.ints('pool_size', 2, [2, 2]) as [number, number];
    const stride = c.ints('strides', 2, kernel) as [number, number];
    const padding = paddingMode(c);
    return ([x]) => {
      expectRank(x, 4, kind === 'max' ? 'MaxPooling2D' : 'AveragePooling2D');
      // TF's 'same' pooling ignores padded cells (max) and leaves them out of the average.
      return kind === 'max'
        ? maxPool2d(x, { kernelSize: kernel, stride, padding })
        : avgPool2d(x, { kernelSize: kernel, stride, padding, countIncludePad: false });
    };
  };
}

function globalPooling(kind: 'max' | 'avg'): KerasLayerConverter {
  return (ctx) => {
    single(ctx);
    channelsLast(ctx.config);
    const keepDims = ctx.config.boolean('keepdims', false);
    return ([x]) => {
      expectRank(x, 4, kind === 'max' ? 'GlobalMaxPooling2D' : 'GlobalAveragePooling2D');
      if (kind === 'avg') return globalAvgPool2d(x, keepDims);
      const y = maxPool2d(x, { kernelSize: [x.shape[1], x.shape[2]] });
      return keepDims ? y : reshape(y, [x.shape[0], x.shape[3]]);
    };
  };
}

const dense: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  const units = c.number('units');
  const act = kerasActivation(c.string('activation', 'linear'));
  const k = ctx.weight('kernel', 2);
  if (k.shape[1] !== units) throw new FormatError(`weight "kernel" has shape [${k.shape.join(', ')}], but units is ${units}`);
  const bias = optionalBias(ctx, units);
  const layer = ctx.addModule(new Linear({ inFeatures: k.shape[0], outFeatures: units, bias: bias !== null, rng: initRng() }));
  layer.weight.assign(k.data);
  if (bias !== null) layer.bias!.assign(bias.data);
  return ([x]) => {
    if (x.rank === 2) return act(layer.forward(x));
    // Keras applies Dense to the last axis of any input.
    const lead = x.shape.slice(0, -1);
    const y = layer.forward(reshape(x, [x.size / x.shape[x.rank - 1], x.shape[x.rank - 1]]));
    return act(reshape(y, [...lead, units]));
  };
};

/** Dropout layers: identity in eval mode, real (element-wise) dropout once the model is put in training mode. */
const dropoutLayer: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  const rate = c.number('rate');
  c.raw('noise_shape');
  c.raw('seed');
  const layer = ctx.addModule(new Dropout({ p: rate }));
  return ([x]) => layer.forward(x);
};

const flattenLayer: KerasLayerConverter = (ctx) => {
  single(ctx);
  channelsLast(ctx.config);
  return ([x]) => reshape(x, [x.shape[0], -1]);
};

const reshapeLayer: KerasLayerConverter = (ctx) => {
  single(ctx);
  const c = ctx.config;
  const target = c.array('target_shape');
  if (!target.every((d) => typeof d === 'number' && Number.isInteger(d) && (d > 0 || d === -1)))
    c.fail('target_shape', 'a list of positive integers (one may be -1)');
  return ([x]) => reshape(x, [x.shape[0], ...(target as number[])]);
};

/** Keras Rescaling (preprocessing): x * scale + offset. */
const rescaling: KerasLayerConverter = (ctx) => {
  single(ctx);
  const scale = ctx.config.number('scale');
  const offset = ctx.config.number('offset', 0);
  return ([x]) => affineScalar(x, scale, offset);
};

/** The converters by Keras class name. */
export const KERAS_LAYERS: Readonly<Record<string, KerasLayerConverter>> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  BatchNormalization: batchNormalization,
  ReLU: reluLayer,
  Activation: activationLayer,
  LeakyReLU: leakyReluLayer,
  PReLU: preluLayer,
  Softmax: softmaxLayer,
  ZeroPadding2D: zeroPadding2d,
  Add: merge('Add', sumAll),
  Subtract: merge('Subtract', ([a, b]) => sub(a, b), 2),
  Multiply: merge('Multiply', (xs) => xs.slice(1).reduce((p, x) => mul(p, x), xs[0])),
  Average: merge('Average', (xs) => affineScalar(sumAll(xs), 1 / xs.length)),
  Concatenate: concatenate,
  MaxPooling2D: pooling('max'),
  AveragePooling2D: pooling('avg'),
  GlobalAveragePooling2D: globalPooling('avg'),
  GlobalMaxPooling2D: globalPooling('max'),
  Dense: dense,
  Dropout: dropoutLayer,
  SpatialDropout2D: dropoutLayer,
  Flatten: flattenLayer,
  Reshape: reshapeLayer,
  Rescaling: rescaling,
};

/** Keras aliases for the same classes (Keras 1 names that converted files still carry). */
const ALIASES: Readonly<Record<string, string>> = {
  MaxPool2D: 'MaxPooling2D', AvgPool2D: 'AveragePooling2D', GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D', Convolution2D: 'Conv2D', SeparableConvolution2D: 'SeparableConv2D',
};

/** The converter of a Keras class, or undefined. */
export function kerasConverter(className: string): KerasLayerConverter | undefined {
  const name = Object.hasOwn(ALIASES, className) ? ALIASES[className] : className;
  return Object.hasOwn(KERAS_LAYERS, name) ? KERAS_LAYERS[name] : undefined;
}

/** Supported Keras layer classes (InputLayer and nested Sequential / functional models are handled by the loader). */
export const SUPPORTED_KERAS_LAYERS: readonly string[] = ['InputLayer', ...Object.keys(KERAS_LAYERS)].sort();
