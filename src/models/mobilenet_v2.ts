/**
 * MobileNet V2 (Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks", arXiv:1801.04381),
 * layer for layer as Keras' `keras.applications.MobileNetV2`:
 *
 *   conv 3x3/2 -> BN -> ReLU6
 *   17 inverted residual blocks: [expand 1x1 -> BN -> ReLU6] -> depthwise 3x3 -> BN -> ReLU6 -> project 1x1 -> BN
 *   (linear bottleneck: no activation after the projection; identity skip when stride 1 and channels match)
 *   conv 1x1 to 1280 -> BN -> ReLU6 -> global average pool -> [dropout] -> dense
 *
 * Children carry the Keras names (Conv1, bn_Conv1, expanded_conv, block_1 ... block_16, each with expand,
 * expand_BN, expand_relu, depthwise, depthwise_BN, depthwise_relu, project, project_BN; Conv_1, Conv_1_bn,
 * out_relu, predictions). Channel rounding as Keras: the stem has makeDivisible(32 * alpha, 8) channels, each
 * block's output makeDivisible(floor(filters * alpha), 8), its expansion expansion * input channels (not
 * rounded), and the last conv 1280 channels, scaled (makeDivisible(1280 * alpha, 8)) only when alpha > 1.
 * Keras' stride-2 padding (correct_pad) equals 'same' here. BatchNorm: eps 1e-3, Keras momentum 0.999 (0.001 in
 * PyTorch's convention). Keras has no dropout before the classifier; `dropout` adds one (torchvision uses 0.2).
 *
 * Sizes at alpha 1, 1000 classes: 3,504,872 parameters; Keras' "Total params" 3,538,984 adds the BN moving mean
 * and variance (parameters + running_mean + running_var). 300M multiply-adds at 224x224 (the paper's figure;
 * convolutions and the classifier only).
 */
import { ArgumentError } from '../errors.js';
import { ReLU6 } from '../nn/activation.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { GlobalAvgPool2d } from '../nn/pooling.js';
import { makeDivisible } from '../nn/squeeze_excite.js';
import { add } from '../ops/elementwise.js';
import { globalRandom, type Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Chain } from './chain.js';
import { initLikeTorchvision } from './init.js';
import { checkInChannels, checkMultiplier, checkNumClasses, checkProbability, checkResolution } from './options.js';

export interface MobileNetV2Options {
  /** Width multiplier (Keras: 0.35, 0.5, 0.75, 1, 1.3, 1.4). Default 1. */
  alpha?: number;
  /** The input side the network is meant for; any size >= 32 runs. Default 224. */
  resolution?: number;
  numClasses?: number;
  /** Dropout before the classifier. Default 0 (Keras has none). */
  dropout?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /**
   * For 28-32 px inputs (MNIST, CIFAR): stride 1 in the stem and in the first down-sampling stage, so the total
   * stride is 8 instead of 32 (the usual CIFAR adaptation of MobileNetV2). Default false.
   */
  smallInput?: boolean;
  /** Batch-norm momentum (PyTorch convention). Default 0.001 (Keras' 0.999); 0.1 suits short runs from scratch. */
  bnMomentum?: number;
  rng?: Random;
}

/** Default input side of MobileNet V2. */
export const MOBILENET_V2_RESOLUTION = 224;

/** The paper's table 2: expansion t, output channels c, repeats n, first stride s. */
const STAGES: readonly (readonly [t: number, c: number, n: number, s: number])[] = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

const BN_EPS = 1e-3;
const BN_MOMENTUM = 0.001;

const bn = (channels: number, momentum = BN_MOMENTUM): BatchNorm2d => new BatchNorm2d({ numFeatures: channels, eps: BN_EPS, momentum });

/** One inverted residual block; the skip is added when the block keeps the shape. */
export class InvertedResidual extends Chain {
  /** Whether the input is added to the projection (stride 1 and equal channels). */
  readonly residual: boolean;

  constructor(o: { inChannels: number; outChannels: number; expansion: number; stride: number; bnMomentum?: number; rng: Random }) {
    super();
    const { inChannels, outChannels, stride, rng } = o;
    const expanded = o.expansion * inChannels;
    const batchNorm = (channels: number): BatchNorm2d => bn(channels, o.bnMomentum);
    // Keras' first block (expansion 1) has no expand layer at all.
    if (o.expansion !== 1) {
      this.add('expand', new PointwiseConv2d({ inChannels, outChannels: expanded, bias: false, rng }));
      this.add('expand_BN', batchNorm(expanded));
      this.add('expand_relu', new ReLU6());
    }
    this.add('depthwise', new DepthwiseConv2d({ channels: expanded, kernelSize: 3, stride, padding: 'same', bias: false, rng }));
    this.add('depthwise_BN', batchNorm(expanded));
    this.add('depthwise_relu', new ReLU6());
    this.add('project', new PointwiseConv2d({ inChannels: expanded, outChannels, bias: false, rng }));
    this.add('project_BN', batchNorm(outChannels));
    this.residual = stride === 1 && inChannels === outChannels;
  }

  override forward(x: Tensor): Tensor {
    const y = super.forward(x);
    return this.residual ? add(x, y) : y;
  }

  protected override extraRepr(): string {
    return this.residual ? 'residual' : '';
  }
}

export class MobileNetV2 extends Chain {
  readonly alpha: number;
  readonly resolution: number;
  readonly numClasses: number;

  constructor(options: MobileNetV2Options = {}) {
    super();
    const where = 'mobilenetV2';
    this.alpha = checkMultiplier(options.alpha ?? 1, 'alpha', where);
    const smallInput = options.smallInput ?? false;
    this.resolution = checkResolution(options.resolution ?? (smallInput ? 32 : MOBILENET_V2_RESOLUTION), smallInput ? 8 : 32, where);
    const momentum = options.bnMomentum ?? BN_MOMENTUM;
    if (!(momentum > 0 && momentum <= 1)) throw new ArgumentError(`${where}: bnMomentum must be in (0, 1], got ${momentum}`);
    const batchNorm = (channels: number): BatchNorm2d => bn(channels, momentum);
    this.numClasses = checkNumClasses(options.numClasses ?? 1000, where);
    const dropout = checkProbability(options.dropout ?? 0, 'dropout', where);
    const inChannels = checkInChannels(options.inChannels ?? 3, where);
    const rng = options.rng ?? globalRandom;

    let channels = makeDivisible(32 * this.alpha, 8);
    this.add('Conv1', new Conv2d({ inChannels, outChannels: channels, kernelSize: 3, stride: smallInput ? 1 : 2, padding: 'same', bias: false, rng }));
    this.add('bn_Conv1', batchNorm(channels));
    this.add('Conv1_relu', new ReLU6());
    let blockId = 0;
    for (const [stage, [t, c, n, s]] of STAGES.entries()) {
      const out = makeDivisible(Math.floor(c * this.alpha), 8);
      const stride = smallInput && stage === 1 ? 1 : s;
      for (let i = 0; i < n; i++) {
        this.add(blockId === 0 ? 'expanded_conv' : `block_${blockId}`,
          new InvertedResidual({ inChannels: channels, outChannels: out, expansion: t, stride: i === 0 ? stride : 1, bnMomentum: momentum, rng }));
        channels = out;
        blockId++;
      }
    }
    const last = this.alpha > 1 ? makeDivisible(1280 * this.alpha, 8) : 1280;
    this.add('Conv_1', new PointwiseConv2d({ inChannels: channels, outChannels: last, bias: false, rng }));
    this.add('Conv_1_bn', batchNorm(last));
    this.add('out_relu', new ReLU6());
    this.add('global_average_pooling2d', new GlobalAvgPool2d());
    this.add('dropout', new Dropout({ p: dropout, rng }));
    this.add('predictions', new Linear({ inFeatures: last, outFeatures: this.numClasses, rng }));
    initLikeTorchvision(this, 'normal', rng);
  }

  protected override extraRepr(): string {
    return `alpha=${this.alpha}, resolution=${this.resolution}, numClasses=${this.numClasses}`;
  }
}

/** Builds MobileNet V2 (see `MobileNetV2`). */
export function mobilenetV2(options: MobileNetV2Options = {}): MobileNetV2 {
  return new MobileNetV2(options);
}
