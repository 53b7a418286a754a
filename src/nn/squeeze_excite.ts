/** Squeeze-and-excitation (Hu et al. 2018) as used in MobileNetV3 and EfficientNet. */
import { ArgumentError } from '../errors.js';
import { mul } from '../ops/elementwise.js';
import { globalAvgPool2d } from '../ops/pool.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { checkInt, expectNHWC } from './args.js';
import { HardSigmoid, ReLU, Sigmoid, Swish } from './activation.js';
import { PointwiseConv2d } from './conv.js';
import { Module } from './module.js';

/**
 * MobileNet channel rounding (TF models' _make_divisible): `v` to the nearest multiple of `divisor`, at least
 * `minValue` (default `divisor`), and never below 90% of `v` (then one `divisor` more).
 */
export function makeDivisible(v: number, divisor: number, minValue: number = divisor): number {
  checkInt(divisor, 'makeDivisible: divisor');
  const rounded = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

export interface SqueezeExciteOptions {
  /** Channels of the input (and of the gate). */
  channels: number;
  /** Explicit width of the bottleneck. Give either this or `ratio`. */
  squeezeChannels?: number;
  /** Bottleneck width as a fraction of `blockInputChannels` (or of `channels`). Default 0.25. */
  ratio?: number;
  /** EfficientNet sizes the squeeze from the block's input channels, not the expanded ones the SE sees. */
  blockInputChannels?: number;
  /** Round the ratio-derived width with makeDivisible (MobileNetV3: 8). */
  divisor?: number;
  /** Between the two 1x1 convs. Default 'relu' (SENet, MobileNetV3); EfficientNet uses 'swish'. */
  activation?: 'relu' | 'swish';
  /** Squashes the gate. Default 'sigmoid'; MobileNetV3 uses 'hardSigmoid'. */
  gate?: 'sigmoid' | 'hardSigmoid';
  rng?: Random;
}

/** The bottleneck width the options ask for (floor of the ratio product, at least 1, then optionally rounded). */
export function squeezeWidth(o: SqueezeExciteOptions): number {
  if (o.squeezeChannels !== undefined) {
    if (o.ratio !== undefined || o.divisor !== undefined)
      throw new ArgumentError('SqueezeExcite: give squeezeChannels or ratio (with optional divisor), not both');
    return checkInt(o.squeezeChannels, 'SqueezeExcite: squeezeChannels');
  }
  const ratio = o.ratio ?? 0.25;
  if (!(ratio > 0 && ratio <= 1)) throw new ArgumentError(`SqueezeExcite: ratio must be in (0, 1], got ${ratio}`);
  const base = checkInt(o.blockInputChannels ?? o.channels, o.blockInputChannels === undefined
    ? 'SqueezeExcite: channels' : 'SqueezeExcite: blockInputChannels');
  // The epsilon keeps products such as 0.29 * 100 = 28.999999999999996 from flooring one short.
  const width = Math.max(1, Math.floor(ratio * base + 1e-9));
  return o.divisor === undefined ? width : makeDivisible(width, o.divisor);
}

/**
 * x * gate(expand(act(reduce(mean_hw(x))))): global average pool to [N, 1, 1, C], a 1x1 conv down to the squeeze
 * width and back (both with bias), and a channel-wise rescale of the input. The 1x1s are PointwiseConv2d children
 * `reduce` and `expand` (state dict: reduce.weight [C, S], reduce.bias, expand.weight [S, C], expand.bias).
 */
export class SqueezeExcite extends Module {
  readonly channels: number;
  readonly squeezeChannels: number;
  readonly reduce: PointwiseConv2d;
  readonly act: Module;
  readonly expand: PointwiseConv2d;
  readonly gate: Module;

  constructor(o: SqueezeExciteOptions) {
    super();
    this.channels = checkInt(o.channels, 'SqueezeExcite: channels');
    this.squeezeChannels = squeezeWidth(o);
    const rng = o.rng ?? globalRandom;
    const actName = o.activation ?? 'relu';
    const gateName = o.gate ?? 'sigmoid';
    if (actName !== 'relu' && actName !== 'swish')
      throw new ArgumentError(`SqueezeExcite: activation must be 'relu' or 'swish', got '${String(actName)}'`);
    if (gateName !== 'sigmoid' && gateName !== 'hardSigmoid')
      throw new ArgumentError(`SqueezeExcite: gate must be 'sigmoid' or 'hardSigmoid', got '${String(gateName)}'`);
    this.reduce = this.registerModule('reduce', new PointwiseConv2d({ inChannels: this.channels, outChannels: this.squeezeChannels, rng }));
    this.act = this.registerModule('act', actName === 'relu' ? new ReLU() : new Swish());
    this.expand = this.registerModule('expand', new PointwiseConv2d({ inChannels: this.squeezeChannels, outChannels: this.channels, rng }));
    this.gate = this.registerModule('gate', gateName === 'sigmoid' ? new Sigmoid() : new HardSigmoid());
  }

  forward(x: Tensor): Tensor {
    expectNHWC(x, this.channels, 'channels');
    const squeezed = globalAvgPool2d(x, true);
    const g = this.gate.call(this.expand.call(this.act.call(this.reduce.call(squeezed))));
    return mul(x, g);
  }

  protected override extraRepr(): string {
    return `${this.channels} -> ${this.squeezeChannels} -> ${this.channels}`;
  }
}
