/**
 * Convolution layers (NHWC). Weights: standard [KH, KW, Cin/groups, Cout], depthwise [KH, KW, C*M], pointwise
 * [Cin, Cout]. All use PyTorch's default initialisation (U(±1/sqrt(fanIn)) for weight and bias) from `rng`.
 */
import { ArgumentError } from '../errors.js';
import { conv2d, depthwiseConv2d, pointwiseConv2d } from '../ops/conv.js';
import { pair, type Padding } from '../ops/padding.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { checkInt, checkPadding, expectNHWC } from './args.js';
import { activation, type ActivationName } from './activation.js';
import { BatchNorm2d } from './batchnorm.js';
import { pytorchDefault } from './init.js';
import { Module } from './module.js';

type Pair = number | readonly [number, number];

/** The sliding-window options every KxK convolution layer takes. */
export interface ConvWindowOptions {
  kernelSize: Pair;
  /** Default 1. */
  stride?: Pair;
  /** 'valid' (default), 'same', or explicit amounts (see ops Padding). */
  padding?: Padding;
  /** Default 1. */
  dilation?: Pair;
}

/** The window options, checked (errors name `layer`) and with their defaults filled in. */
function window(o: ConvWindowOptions, layer: string) {
  return {
    kernel: pair(o.kernelSize, `${layer}: kernelSize`),
    stride: pair(o.stride ?? 1, `${layer}: stride`),
    dilation: pair(o.dilation ?? 1, `${layer}: dilation`),
    padding: checkPadding(o.padding ?? 'valid', layer),
  };
}

function pairRepr(name: string, p: [number, number], skip: number): string {
  if (p[0] === p[1]) return p[0] === skip ? '' : `, ${name}=${p[0]}`;
  return `, ${name}=[${p[0]}, ${p[1]}]`;
}

function windowRepr(kernel: [number, number], stride: [number, number], dilation: [number, number], padding: Padding): string {
  return `${pairRepr('kernelSize', kernel, -1)}${pairRepr('stride', stride, 1)}${pairRepr('dilation', dilation, 1)}` +
    (padding === 'valid' ? '' : `, padding=${JSON.stringify(padding)}`);
}

export interface Conv2dOptions extends ConvWindowOptions {
  inChannels: number;
  outChannels: number;
  /** Splits channels into groups convolved separately; must divide inChannels and outChannels. */
  groups?: number;
  bias?: boolean;
  rng?: Random;
}

/** Standard (optionally grouped) 2-D convolution, like torch.nn.Conv2d / keras Conv2D. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly padding: Padding;
  readonly groups: number;
  /** [KH, KW, inChannels/groups, outChannels]. */
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(o: Conv2dOptions) {
    super();
    this.inChannels = checkInt(o.inChannels, 'Conv2d: inChannels');
    this.outChannels = checkInt(o.outChannels, 'Conv2d: outChannels');
    this.groups = checkInt(o.groups ?? 1, 'Conv2d: groups');
    if (this.inChannels % this.groups !== 0 || this.outChannels % this.groups !== 0)
      throw new ArgumentError(`Conv2d: groups=${this.groups} must divide inChannels=${this.inChannels} and ` +
        `outChannels=${this.outChannels}`);
    const w = window(o, 'Conv2d');
    this.kernelSize = w.kernel;
    this.stride = w.stride;
    this.dilation = w.dilation;
    this.padding = w.padding;
    const [kh, kw] = this.kernelSize;
    this.weight = this.registerParameter('weight', Tensor.zeros([kh, kw, this.inChannels / this.groups, this.outChannels]));
    this.bias = (o.bias ?? true) ? this.registerParameter('bias', Tensor.zeros([this.outChannels])) : null;
    pytorchDefault(this.weight, this.bias, o.rng ?? globalRandom);
  }

  forward(x: Tensor): Tensor {
    expectNHWC(x, this.inChannels, 'inChannels');
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  protected override extraRepr(): string {
    return `${this.inChannels} -> ${this.outChannels}${windowRepr(this.kernelSize, this.stride, this.dilation, this.padding)}` +
      `${this.groups === 1 ? '' : `, groups=${this.groups}`}${this.bias === null ? ', bias=false' : ''}`;
  }
}

export interface DepthwiseConv2dOptions extends ConvWindowOptions {
  channels: number;
  /** Output channels per input channel (Keras depth_multiplier); output has channels * depthMultiplier. */
  depthMultiplier?: number;
  bias?: boolean;
  rng?: Random;
}

/** Depthwise convolution: one KHxKW filter per channel (per multiplier), like keras DepthwiseConv2D. */
export class DepthwiseConv2d extends Module {
  readonly channels: number;
  readonly depthMultiplier: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly padding: Padding;
  /** [KH, KW, channels * depthMultiplier]; output channel c*M + m reads input channel c. */
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(o: DepthwiseConv2dOptions) {
    super();
    this.channels = checkInt(o.channels, 'DepthwiseConv2d: channels');
    this.depthMultiplier = checkInt(o.depthMultiplier ?? 1, 'DepthwiseConv2d: depthMultiplier');
    this.outChannels = this.channels * this.depthMultiplier;
    const w = window(o, 'DepthwiseConv2d');
    this.kernelSize = w.kernel;
    this.stride = w.stride;
    this.dilation = w.dilation;
    this.padding = w.padding;
    const [kh, kw] = this.kernelSize;
    this.weight = this.registerParameter('weight', Tensor.zeros([kh, kw, this.outChannels]));
    this.bias = (o.bias ?? true) ? this.registerParameter('bias', Tensor.zeros([this.outChannels])) : null;
    pytorchDefault(this.weight, this.bias, o.rng ?? globalRandom);
  }

  forward(x: Tensor): Tensor {
    expectNHWC(x, this.channels, 'channels');
    return depthwiseConv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation });
  }

  protected override extraRepr(): string {
    return `${this.channels}${this.depthMultiplier === 1 ? '' : ` -> ${this.outChannels}`}` +
      `${windowRepr(this.kernelSize, this.stride, this.dilation, this.padding)}${this.bias === null ? ', bias=false' : ''}`;
  }
}

export interface PointwiseConv2dOptions {
  inChannels: number;
  outChannels: number;
  bias?: boolean;
  rng?: Random;
}

/** 1x1 convolution: a per-pixel linear map of channels (a matmul over N*H*W rows). */
export class PointwiseConv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  /** [inChannels, outChannels]. */
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(o: PointwiseConv2dOptions) {
    super();
    this.inChannels = checkInt(o.inChannels, 'PointwiseConv2d: inChannels');
    this.outChannels = checkInt(o.outChannels, 'PointwiseConv2d: outChannels');
    this.weight = this.registerParameter('weight', Tensor.zeros([this.inChannels, this.outChannels]));
    this.bias = (o.bias ?? true) ? this.registerParameter('bias', Tensor.zeros([this.outChannels])) : null;
    pytorchDefault(this.weight, this.bias, o.rng ?? globalRandom);
  }

  forward(x: Tensor): Tensor {
    expectNHWC(x, this.inChannels, 'inChannels');
    return pointwiseConv2d(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `${this.inChannels} -> ${this.outChannels}${this.bias === null ? ', bias=false' : ''}`;
  }
}

/** What may sit between a separable conv's two factors. */
export interface SeparableMiddleOptions {
  /** BatchNorm2d between them. Default false. */
  batchNorm?: boolean;
  /** Activation between them (after the BN if any): a name, a module, or null (default). */
  activation?: ActivationName | Module | null;
  /** eps and momentum of the batch norm. */
  bnEps?: number;
  bnMomentum?: number | null;
}

/** Registers on `layer` the batch norm ('bn') and activation ('act') `o` asks for between its two factors. */
function registerBetween(layer: Module, o: SeparableMiddleOptions, channels: number): { bn: BatchNorm2d | null; act: Module | null } {
  const bn = (o.batchNorm ?? false)
    ? layer.registerModule('bn', new BatchNorm2d({ numFeatures: channels, eps: o.bnEps, momentum: o.bnMomentum }))
    : null;
  const act = o.activation ?? null;
  return { bn, act: act === null ? null : layer.registerModule('act', typeof act === 'string' ? activation(act) : act) };
}

/** Runs the batch norm and activation of `registerBetween`, those present. */
function between(y: Tensor, bn: BatchNorm2d | null, act: Module | null): Tensor {
  const normed = bn === null ? y : bn.call(y);
  return act === null ? normed : act.call(normed);
}

/** `batchNorm` (Xception style) and `activation` (MobileNetV1) go between depthwise and pointwise. */
export interface SeparableConv2dOptions extends ConvWindowOptions, SeparableMiddleOptions {
  inChannels: number;
  outChannels: number;
  depthMultiplier?: number;
  /** Bias of the pointwise conv. */
  bias?: boolean;
  /**
   * Bias of the depthwise conv. Default false, as in Keras (a batch norm or the pointwise bias absorbs it); a
   * re-parameterised layer (`RepSeparableConv2d.fuse`) has one, where its branches' batch norms fold.
   */
  depthwiseBias?: boolean;
  rng?: Random;
}

/**
 * Depthwise-separable convolution: depthwise KxK -> [BatchNorm2d] -> [activation] -> pointwise 1x1, as Keras
 * SeparableConv2D (no BN, no activation) and Xception's separable blocks. Costs about 1/Cout + 1/K^2 of a full
 * KxK convolution.
 */
export class SeparableConv2d extends Module {
  readonly depthwise: DepthwiseConv2d;
  readonly bn: BatchNorm2d | null;
  readonly act: Module | null;
  readonly pointwise: PointwiseConv2d;

  constructor(o: SeparableConv2dOptions) {
    super();
    const rng = o.rng ?? globalRandom;
    // Validated here so that errors name SeparableConv2d rather than its parts.
    checkInt(o.inChannels, 'SeparableConv2d: inChannels');
    checkInt(o.outChannels, 'SeparableConv2d: outChannels');
    checkInt(o.depthMultiplier ?? 1, 'SeparableConv2d: depthMultiplier');
    const w = window(o, 'SeparableConv2d');
    this.depthwise = this.registerModule('depthwise', new DepthwiseConv2d({
      channels: o.inChannels, kernelSize: w.kernel, stride: w.stride, padding: w.padding, dilation: w.dilation,
      depthMultiplier: o.depthMultiplier, bias: o.depthwiseBias ?? false, rng,
    }));
    const mid = this.depthwise.outChannels;
    ({ bn: this.bn, act: this.act } = registerBetween(this, o, mid));
    this.pointwise = this.registerModule('pointwise', new PointwiseConv2d({
      inChannels: mid, outChannels: o.outChannels, bias: o.bias ?? true, rng,
    }));
  }

  forward(x: Tensor): Tensor {
    return this.pointwise.call(between(this.depthwise.call(x), this.bn, this.act));
  }
}

/** `batchNorm` (default false, BSConv-U as published) and `activation` go between pointwise and depthwise. */
export interface BlueprintSeparableConv2dOptions extends ConvWindowOptions, SeparableMiddleOptions {
  inChannels: number;
  outChannels: number;
  /** Bias of the depthwise conv, the last one. */
  bias?: boolean;
  rng?: Random;
}

/**
 * Blueprint separable convolution, BSConv-U (Haase & Amthor, CVPR 2020): pointwise 1x1 -> [BatchNorm2d] ->
 * [activation] -> depthwise KxK, SeparableConv2d's factors in the other order. Each output channel's filter is then
 * one KxK "blueprint" scaled along the input depth by a weight vector, which fits the correlations trained
 * filters show along their depth; the depthwise-first order assumes correlations across filters instead. Costs
 * Cin * Cout (at the input's resolution) + K^2 * Cout per pixel.
 */
export class BlueprintSeparableConv2d extends Module {
  readonly pointwise: PointwiseConv2d;
  readonly bn: BatchNorm2d | null;
  readonly act: Module | null;
  readonly depthwise: DepthwiseConv2d;

  constructor(o: BlueprintSeparableConv2dOptions) {
    super();
    const rng = o.rng ?? globalRandom;
    checkInt(o.inChannels, 'BlueprintSeparableConv2d: inChannels');
    checkInt(o.outChannels, 'BlueprintSeparableConv2d: outChannels');
    const w = window(o, 'BlueprintSeparableConv2d');
    this.pointwise = this.registerModule('pointwise', new PointwiseConv2d({ inChannels: o.inChannels, outChannels: o.outChannels, bias: false, rng }));
    ({ bn: this.bn, act: this.act } = registerBetween(this, o, o.outChannels));
    this.depthwise = this.registerModule('depthwise', new DepthwiseConv2d({
      channels: o.outChannels, kernelSize: w.kernel, stride: w.stride, padding: w.padding, dilation: w.dilation,
      bias: o.bias ?? true, rng,
    }));
  }

  forward(x: Tensor): Tensor {
    return this.depthwise.call(between(this.pointwise.call(x), this.bn, this.act));
  }
}
