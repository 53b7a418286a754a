/**
 * MobileNet V3 Large and Small (Howard et al. 2019, "Searching for MobileNetV3", arXiv:1905.02244), module for
 * module as torchvision's `mobilenet_v3_large` / `mobilenet_v3_small` (same key names under `features`,
 * `avgpool`, `classifier`; only the SE convs are named reduce/expand instead of fc1/fc2):
 *
 *   conv 3x3/2 (16) -> BN -> hard-swish
 *   bneck blocks: [expand 1x1 -> BN -> act] -> depthwise 3x3 or 5x5 -> BN -> act -> [SE] -> project 1x1 -> BN
 *   (act is ReLU or hard-swish per the paper's tables; identity skip when stride 1 and channels match)
 *   conv 1x1 (960 / 576) -> BN -> hard-swish -> global average pool
 *   Linear (1280 / 1024) -> hard-swish -> dropout -> Linear (classes)
 *
 * The SE block squeezes the expanded channels to makeDivisible(expanded / 4, 8) with ReLU and gates with
 * hard-sigmoid. Every width is makeDivisible(c * width, 8), including the classifier's hidden layer. BatchNorm:
 * eps 1e-3, momentum 0.01 (torchvision's settings). Padding is (k - 1) / 2 on every side.
 *
 * Sizes at width 1, 1000 classes (parameters, as torchvision counts them): Large 5,483,032, Small 2,542,856.
 * Multiply-adds at 224x224 (`analyse`: every convolution and linear layer, bias excluded): Large 216.6M, Small
 * 56.5M, of which the SE blocks' 1x1 convs on the pooled vector are 1.5M and 0.5M. The paper reports 219M / 56M,
 * torchvision 0.22 / 0.06 GFLOPS.
 */
import { HardSwish } from '../nn/activation.js';
import { Sequential } from '../nn/containers.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { GlobalAvgPool2d } from '../nn/pooling.js';
import { SqueezeExcite, makeDivisible } from '../nn/squeeze_excite.js';
import { add } from '../ops/elementwise.js';
import { globalRandom, type Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Chain } from './chain.js';
import { convNormAct } from './conv_norm_act.js';
import { initLikeTorchvision } from './init.js';
import { checkInChannels, checkMultiplier, checkNumClasses, checkProbability, checkResolution } from './options.js';

export interface MobileNetV3Options {
  numClasses?: number;
  /** Dropout between the two classifier layers. Default 0.2 (torchvision). */
  dropout?: number;
  /** Width multiplier (torchvision's width_mult). Default 1. */
  width?: number;
  /** The input side the network is meant for; any size >= 32 runs. Default 224. */
  resolution?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  rng?: Random;
}

/** Default input side of MobileNet V3. */
export const MOBILENET_V3_RESOLUTION = 224;

/** One bneck row of the paper's tables 1 and 2, before width scaling. */
interface Bneck {
  input: number;
  kernel: number;
  expanded: number;
  out: number;
  se: boolean;
  /** 'RE' = ReLU, 'HS' = hard-swish. */
  act: 'RE' | 'HS';
  stride: number;
}

const bneck = (input: number, kernel: number, expanded: number, out: number, se: boolean, act: 'RE' | 'HS', stride: number): Bneck =>
  ({ input, kernel, expanded, out, se, act, stride });

const LARGE: readonly Bneck[] = [
  bneck(16, 3, 16, 16, false, 'RE', 1),
  bneck(16, 3, 64, 24, false, 'RE', 2),
  bneck(24, 3, 72, 24, false, 'RE', 1),
  bneck(24, 5, 72, 40, true, 'RE', 2),
  bneck(40, 5, 120, 40, true, 'RE', 1),
  bneck(40, 5, 120, 40, true, 'RE', 1),
  bneck(40, 3, 240, 80, false, 'HS', 2),
  bneck(80, 3, 200, 80, false, 'HS', 1),
  bneck(80, 3, 184, 80, false, 'HS', 1),
  bneck(80, 3, 184, 80, false, 'HS', 1),
  bneck(80, 3, 480, 112, true, 'HS', 1),
  bneck(112, 3, 672, 112, true, 'HS', 1),
  bneck(112, 5, 672, 160, true, 'HS', 2),
  bneck(160, 5, 960, 160, true, 'HS', 1),
  bneck(160, 5, 960, 160, true, 'HS', 1),
];

const SMALL: readonly Bneck[] = [
  bneck(16, 3, 16, 16, true, 'RE', 2),
  bneck(16, 3, 72, 24, false, 'RE', 2),
  bneck(24, 3, 88, 24, false, 'RE', 1),
  bneck(24, 5, 96, 40, true, 'HS', 2),
  bneck(40, 5, 240, 40, true, 'HS', 1),
  bneck(40, 5, 240, 40, true, 'HS', 1),
  bneck(40, 5, 120, 48, true, 'HS', 1),
  bneck(48, 5, 144, 48, true, 'HS', 1),
  bneck(48, 5, 288, 96, true, 'HS', 2),
  bneck(96, 5, 576, 96, true, 'HS', 1),
  bneck(96, 5, 576, 96, true, 'HS', 1),
];

const BN = { bnEps: 1e-3, bnMomentum: 0.01 } as const;

/** torchvision's InvertedResidual: the layers in `block`, plus the input when the block keeps the shape. */
export class InvertedResidual extends Module {
  readonly block: Sequential;
  /** Whether the input is added to the block's output (stride 1 and equal channels). */
  readonly residual: boolean;

  constructor(c: Bneck, rng: Random) {
    super();
    const act = c.act === 'HS' ? 'hardSwish' : 'relu';
    const block = new Sequential();
    if (c.expanded !== c.input)
      block.append(convNormAct({ inChannels: c.input, outChannels: c.expanded, kernelSize: 1, activation: act, ...BN, rng }));
    block.append(convNormAct({
      inChannels: c.expanded, outChannels: c.expanded, kernelSize: c.kernel, stride: c.stride, depthwise: true, activation: act, ...BN, rng,
    }));
    if (c.se)
      block.append(new SqueezeExcite({
        channels: c.expanded, squeezeChannels: makeDivisible(Math.floor(c.expanded / 4), 8), activation: 'relu', gate: 'hardSigmoid', rng,
      }));
    block.append(convNormAct({ inChannels: c.expanded, outChannels: c.out, kernelSize: 1, activation: null, ...BN, rng }));
    this.block = this.registerModule('block', block);
    this.residual = c.stride === 1 && c.input === c.out;
  }

  forward(x: Tensor): Tensor {
    const y = this.block.call(x);
    return this.residual ? add(x, y) : y;
  }

  protected override extraRepr(): string {
    return this.residual ? 'residual' : '';
  }
}

/** The network: `features`, `avgpool`, `classifier` (torchvision's MobileNetV3). */
export class MobileNetV3 extends Chain {
  readonly variant: 'large' | 'small';
  readonly width: number;
  readonly resolution: number;
  readonly numClasses: number;

  constructor(variant: 'large' | 'small', options: MobileNetV3Options = {}) {
    super();
    const where = variant === 'large' ? 'mobilenetV3Large' : 'mobilenetV3Small';
    this.variant = variant;
    this.width = checkMultiplier(options.width ?? 1, 'width', where);
    this.resolution = checkResolution(options.resolution ?? MOBILENET_V3_RESOLUTION, 32, where);
    this.numClasses = checkNumClasses(options.numClasses ?? 1000, where);
    const dropout = checkProbability(options.dropout ?? 0.2, 'dropout', where);
    const inChannels = checkInChannels(options.inChannels ?? 3, where);
    const rng = options.rng ?? globalRandom;
    const scale = (c: number): number => makeDivisible(c * this.width, 8);
    const config = (variant === 'large' ? LARGE : SMALL).map((c) =>
      ({ ...c, input: scale(c.input), expanded: scale(c.expanded), out: scale(c.out) }));

    const features = new Sequential(convNormAct({
      inChannels, outChannels: config[0].input, kernelSize: 3, stride: 2, activation: 'hardSwish', ...BN, rng,
    }));
    for (const c of config) features.append(new InvertedResidual(c, rng));
    const lastIn = config[config.length - 1].out;
    const lastConv = 6 * lastIn;
    features.append(convNormAct({ inChannels: lastIn, outChannels: lastConv, kernelSize: 1, activation: 'hardSwish', ...BN, rng }));
    const hidden = scale(variant === 'large' ? 1280 : 1024);
    this.add('features', features);
    this.add('avgpool', new GlobalAvgPool2d());
    this.add('classifier', new Sequential(
      new Linear({ inFeatures: lastConv, outFeatures: hidden, rng }),
      new HardSwish(),
      new Dropout({ p: dropout, rng }),
      new Linear({ inFeatures: hidden, outFeatures: this.numClasses, rng }),
    ));
    initLikeTorchvision(this, 'normal', rng);
  }

  protected override extraRepr(): string {
    return `${this.variant}, width=${this.width}, resolution=${this.resolution}, numClasses=${this.numClasses}`;
  }
}

/** Builds MobileNet V3 Large (see `MobileNetV3`). */
export function mobilenetV3Large(options: MobileNetV3Options = {}): MobileNetV3 {
  return new MobileNetV3('large', options);
}

/** Builds MobileNet V3 Small (see `MobileNetV3`). */
export function mobilenetV3Small(options: MobileNetV3Options = {}): MobileNetV3 {
  return new MobileNetV3('small', options);
}
