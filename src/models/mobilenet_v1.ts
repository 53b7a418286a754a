/**
 * MobileNet V1 (Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
 * Applications", arXiv:1704.04861), layer for layer as Keras' `keras.applications.MobileNet`:
 *
 *   conv 3x3/2 (32*alpha) -> BN -> ReLU6
 *   13 x [depthwise 3x3 (stride 1 or 2) -> BN -> ReLU6 -> pointwise 1x1 -> BN -> ReLU6]
 *   global average pool -> dropout -> 1x1 conv classifier (a Linear on the pooled vector)
 *
 * Children carry the Keras layer names (conv1, conv1_bn, conv_dw_1, conv_pw_1_bn, ..., conv_preds). Like Keras,
 * a stride-2 layer pads one row and column at the bottom/right only (Keras' ZeroPadding2D(((0, 1), (0, 1)))),
 * convolutions have no bias, BatchNorm uses Keras' eps 1e-3 and momentum 0.99 (0.01 in PyTorch's convention),
 * and channel counts are floor(filters * alpha). The output is logits (Keras' final softmax is left to the loss).
 *
 * Sizes at alpha 1, 1000 classes: 4,231,976 parameters; Keras' "Total params" 4,253,864 also counts the BN moving
 * mean and variance (parameters + running_mean + running_var; not num_batches_tracked). 569M multiply-adds at
 * 224x224 (the paper's figure; counting convolutions and the classifier only).
 */
import { ReLU6 } from '../nn/activation.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../nn/conv.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { GlobalAvgPool2d } from '../nn/pooling.js';
import type { Padding } from '../ops/padding.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { Chain } from './chain.js';
import { initLikeTorchvision } from './init.js';
import { checkInChannels, checkMultiplier, checkNumClasses, checkProbability, checkResolution } from './options.js';

export interface MobileNetV1Options {
  /** Width multiplier: every layer has floor(filters * alpha) channels. Default 1. */
  alpha?: number;
  /** The input side the network is meant for (Keras: 128, 160, 192 or 224); any size >= 32 runs. Default 224. */
  resolution?: number;
  numClasses?: number;
  /** Dropout before the classifier. Default 1e-3 (Keras). */
  dropout?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Initialisation. Default the library-wide generator. */
  rng?: Random;
}

/** Default input side of MobileNet V1. */
export const MOBILENET_V1_RESOLUTION = 224;

/** Pointwise filters and depthwise stride of the 13 depthwise-separable blocks. */
const BLOCKS: readonly (readonly [filters: number, stride: number])[] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

const BN_EPS = 1e-3;
const BN_MOMENTUM = 0.01;
/** Keras' ZeroPadding2D(((0, 1), (0, 1))) before each stride-2 layer. */
const STRIDE2_PAD: Padding = [0, 1, 0, 1];

export class MobileNetV1 extends Chain {
  readonly alpha: number;
  readonly resolution: number;
  readonly numClasses: number;

  constructor(options: MobileNetV1Options = {}) {
    super();
    const where = 'mobilenetV1';
    this.alpha = checkMultiplier(options.alpha ?? 1, 'alpha', where);
    this.resolution = checkResolution(options.resolution ?? MOBILENET_V1_RESOLUTION, 32, where);
    this.numClasses = checkNumClasses(options.numClasses ?? 1000, where);
    const dropout = checkProbability(options.dropout ?? 1e-3, 'dropout', where);
    const inChannels = checkInChannels(options.inChannels ?? 3, where);
    const rng = options.rng ?? globalRandom;
    const width = (filters: number): number => Math.max(1, Math.floor(filters * this.alpha));

    let channels = width(32);
    this.add('conv1', new Conv2d({ inChannels, outChannels: channels, kernelSize: 3, stride: 2, padding: STRIDE2_PAD, bias: false, rng }));
    this.bnRelu6('conv1', channels);
    BLOCKS.forEach(([filters, stride], i) => {
      const id = i + 1;
      this.add(`conv_dw_${id}`, new DepthwiseConv2d({
        channels, kernelSize: 3, stride, padding: stride === 1 ? 'same' : STRIDE2_PAD, bias: false, rng,
      }));
      this.bnRelu6(`conv_dw_${id}`, channels);
      const out = width(filters);
      this.add(`conv_pw_${id}`, new PointwiseConv2d({ inChannels: channels, outChannels: out, bias: false, rng }));
      this.bnRelu6(`conv_pw_${id}`, out);
      channels = out;
    });
    this.add('global_average_pooling2d', new GlobalAvgPool2d());
    this.add('dropout', new Dropout({ p: dropout, rng }));
    // Keras applies a 1x1 Conv2D with bias to the pooled 1x1 map: exactly a Linear layer.
    this.add('conv_preds', new Linear({ inFeatures: channels, outFeatures: this.numClasses, rng }));
    initLikeTorchvision(this, 'normal', rng);
  }

  private bnRelu6(layer: string, channels: number): void {
    this.add(`${layer}_bn`, new BatchNorm2d({ numFeatures: channels, eps: BN_EPS, momentum: BN_MOMENTUM }));
    this.add(`${layer}_relu`, new ReLU6());
  }

  protected override extraRepr(): string {
    return `alpha=${this.alpha}, resolution=${this.resolution}, numClasses=${this.numClasses}`;
  }
}

/** Builds MobileNet V1 (see `MobileNetV1`). */
export function mobilenetV1(options: MobileNetV1Options = {}): MobileNetV1 {
  return new MobileNetV1(options);
}
