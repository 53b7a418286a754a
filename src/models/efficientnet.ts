/**
 * EfficientNet B0-B3 (Tan & Le 2019, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
 * arXiv:1905.11946), module for module as torchvision's `efficientnet_b0` ... `efficientnet_b3` (same key names
 * under `features`, `avgpool`, `classifier`; only the SE convs are named reduce/expand instead of fc1/fc2):
 *
 *   conv 3x3/2 (32) -> BN -> SiLU
 *   7 stages of MBConv: [expand 1x1 -> BN -> SiLU] -> depthwise 3x3 or 5x5 -> BN -> SiLU -> SE -> project 1x1 -> BN
 *   (when stride 1 and channels match: stochastic depth on the branch, then the identity skip)
 *   conv 1x1 (4 x last stage channels) -> BN -> SiLU -> global average pool -> dropout -> Linear
 *
 * Scaling as torchvision: channels makeDivisible(c * width, 8), repeats ceil(n * depth). The SE squeeze width is
 * max(1, floor(block input channels / 4)), not a quarter of the expanded channels it gates; SE uses SiLU and a
 * sigmoid gate. Stochastic depth rises linearly over the blocks, block i of N dropping with probability
 * stochasticDepth * i / N. BatchNorm: PyTorch's defaults (eps 1e-5, momentum 0.1), as torchvision uses for B0-B4.
 *
 * Sizes at 1000 classes (parameters, as torchvision counts them): B0 5,288,548, B1 7,794,184, B2 9,109,994,
 * B3 12,233,232. Multiply-adds of B0 at 224x224 (`analyse`: every convolution and linear layer, bias excluded):
 * 385.8M, of which the SE blocks' 1x1 convs are 0.6M (the paper's "0.39B FLOPS" are multiply-adds; torchvision
 * lists 0.39 GFLOPS). B1 at 240: 687M, B2 at 260: 994M, B3 at 300: 1.83G.
 */
import { ArgumentError } from '../errors.js';
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
import { checkInChannels, checkNumClasses, checkProbability, checkResolution } from './options.js';
import { StochasticDepth } from './stochastic_depth.js';

export type EfficientNetVariant = 'b0' | 'b1' | 'b2' | 'b3';

/** Compound scaling per variant (torchvision's): width and depth multipliers, input side, classifier dropout. */
export const EFFICIENTNET_SCALING: Readonly<Record<EfficientNetVariant,
  { width: number; depth: number; resolution: number; dropout: number }>> = {
  b0: { width: 1.0, depth: 1.0, resolution: 224, dropout: 0.2 },
  b1: { width: 1.0, depth: 1.1, resolution: 240, dropout: 0.2 },
  b2: { width: 1.1, depth: 1.2, resolution: 260, dropout: 0.3 },
  b3: { width: 1.2, depth: 1.4, resolution: 300, dropout: 0.3 },
};

export interface EfficientNetOptions {
  numClasses?: number;
  /** Dropout before the classifier. Default per variant (0.2 for B0/B1, 0.3 for B2/B3). */
  dropout?: number;
  /** Drop probability of the last block's branch (earlier blocks drop less). Default 0.2. */
  stochasticDepth?: number;
  /** The input side the network is meant for; any size >= 32 runs. Default per variant (224 ... 300). */
  resolution?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Initialisation and stochastic depth. Default the library-wide generator. */
  rng?: Random;
}

/** The B0 stages (the paper's table 1): expansion, kernel, first stride, input and output channels, repeats. */
const STAGES: readonly (readonly [expand: number, kernel: number, stride: number, input: number, out: number, repeats: number])[] = [
  [1, 3, 1, 32, 16, 1],
  [6, 3, 2, 16, 24, 2],
  [6, 5, 2, 24, 40, 2],
  [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3],
  [6, 5, 2, 112, 192, 4],
  [6, 3, 1, 192, 320, 1],
];

const BN = { bnEps: 1e-5, bnMomentum: 0.1 } as const;

interface MBConvConfig {
  expand: number;
  kernel: number;
  stride: number;
  input: number;
  out: number;
  /** Stochastic-depth drop probability of this block. */
  drop: number;
}

/** torchvision's MBConv: the layers in `block`; with a skip, `stochastic_depth` scales the branch first. */
export class MBConv extends Module {
  readonly block: Sequential;
  readonly stochasticDepth: StochasticDepth | null;

  constructor(c: MBConvConfig, rng: Random) {
    super();
    const expanded = makeDivisible(c.input * c.expand, 8);
    const block = new Sequential();
    if (expanded !== c.input)
      block.append(convNormAct({ inChannels: c.input, outChannels: expanded, kernelSize: 1, activation: 'silu', ...BN, rng }));
    block.append(convNormAct({
      inChannels: expanded, outChannels: expanded, kernelSize: c.kernel, stride: c.stride, depthwise: true, activation: 'silu', ...BN, rng,
    }));
    block.append(new SqueezeExcite({
      channels: expanded, squeezeChannels: Math.max(1, Math.floor(c.input / 4)), activation: 'swish', gate: 'sigmoid', rng,
    }));
    block.append(convNormAct({ inChannels: expanded, outChannels: c.out, kernelSize: 1, activation: null, ...BN, rng }));
    this.block = this.registerModule('block', block);
    const residual = c.stride === 1 && c.input === c.out;
    this.stochasticDepth = residual ? this.registerModule('stochastic_depth', new StochasticDepth({ p: c.drop, rng })) : null;
  }

  forward(x: Tensor): Tensor {
    const y = this.block.call(x);
    return this.stochasticDepth === null ? y : add(x, this.stochasticDepth.call(y));
  }

  protected override extraRepr(): string {
    return this.stochasticDepth === null ? '' : 'residual';
  }
}

/** The network: `features` (stem, 7 stages, head conv), `avgpool`, `classifier` (torchvision's EfficientNet). */
export class EfficientNet extends Chain {
  readonly variant: EfficientNetVariant;
  readonly resolution: number;
  readonly numClasses: number;

  constructor(variant: EfficientNetVariant, options: EfficientNetOptions = {}) {
    super();
    const scaling = EFFICIENTNET_SCALING[variant] as (typeof EFFICIENTNET_SCALING)[EfficientNetVariant] | undefined;
    if (scaling === undefined)
      throw new ArgumentError(`efficientnet: unknown variant '${String(variant)}'; use one of ${Object.keys(EFFICIENTNET_SCALING).join(', ')}`);
    const where = `efficientnet('${variant}')`;
    this.variant = variant;
    this.resolution = checkResolution(options.resolution ?? scaling.resolution, 32, where);
    this.numClasses = checkNumClasses(options.numClasses ?? 1000, where);
    const dropout = checkProbability(options.dropout ?? scaling.dropout, 'dropout', where);
    const stochasticDepth = checkProbability(options.stochasticDepth ?? 0.2, 'stochasticDepth', where);
    const inChannels = checkInChannels(options.inChannels ?? 3, where);
    const rng = options.rng ?? globalRandom;
    const channels = (c: number): number => makeDivisible(c * scaling.width, 8);
    const repeats = (n: number): number => Math.ceil(n * scaling.depth);

    const totalBlocks = STAGES.reduce((sum, s) => sum + repeats(s[5]), 0);
    const features = new Sequential(convNormAct({
      inChannels, outChannels: channels(STAGES[0][3]), kernelSize: 3, stride: 2, activation: 'silu', ...BN, rng,
    }));
    let blockId = 0;
    for (const [expand, kernel, stride, input, out, n] of STAGES) {
      const stage = new Sequential();
      for (let i = 0; i < repeats(n); i++) {
        stage.append(new MBConv({
          expand, kernel, stride: i === 0 ? stride : 1, input: i === 0 ? channels(input) : channels(out), out: channels(out),
          drop: stochasticDepth * blockId / totalBlocks,
        }, rng));
        blockId++;
      }
      features.append(stage);
    }
    const lastIn = channels(STAGES[STAGES.length - 1][4]);
    const lastConv = 4 * lastIn;
    features.append(convNormAct({ inChannels: lastIn, outChannels: lastConv, kernelSize: 1, activation: 'silu', ...BN, rng }));
    this.add('features', features);
    this.add('avgpool', new GlobalAvgPool2d());
    this.add('classifier', new Sequential(
      new Dropout({ p: dropout, rng }),
      new Linear({ inFeatures: lastConv, outFeatures: this.numClasses, rng }),
    ));
    initLikeTorchvision(this, 'uniform', rng);
  }

  protected override extraRepr(): string {
    return `${this.variant}, resolution=${this.resolution}, numClasses=${this.numClasses}`;
  }
}

/** Builds EfficientNet B0-B3 (see `EfficientNet`). */
export function efficientnet(variant: EfficientNetVariant, options: EfficientNetOptions = {}): EfficientNet {
  return new EfficientNet(variant, options);
}
