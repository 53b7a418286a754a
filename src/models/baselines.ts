/**
 * Standard-convolution baselines, to compare the separable networks against at similar depth, and a small CNN
 * for 28x28 digits used by the training demo. All use 3x3 convolutions without bias, each followed by batch norm
 * (PyTorch defaults) and ReLU, end in global average pooling and a Linear layer, and take torchvision's
 * initialisation (kaiming-normal fan_out convolutions). Each is a plain KxK-conv network, so `separabilize` turns
 * it into its depthwise-separable counterpart.
 */
import { ArgumentError } from '../errors.js';
import { activation, ReLU, type ActivationName } from '../nn/activation.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { GlobalAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { SqueezeExcite } from '../nn/squeeze_excite.js';
import { add } from '../ops/elementwise.js';
import { globalRandom, type Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Chain, Container } from './chain.js';
import { initLikeTorchvision } from './init.js';
import { checkInChannels, checkNumClasses, checkResolution } from './options.js';

/** Options every baseline takes. */
export interface BaselineOptions {
  /** Input channels. Default 3 (1 for smallCnn). */
  inChannels?: number;
  numClasses?: number;
  /** Channels of the first stage; later stages double it. */
  width?: number;
  /** The input side the network is meant for. Default 224 (28 for smallCnn). */
  resolution?: number;
  rng?: Random;
}

function checkWidth(width: number, builder: string): number {
  if (!Number.isInteger(width) || width < 1)
    throw new ArgumentError(`${builder}: width must be an integer >= 1 (channels of the first stage), got ${width}`);
  return width;
}

function checkCount(value: number, what: string, builder: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ArgumentError(`${builder}: ${what} must be an integer >= 1, got ${value}`);
  return value;
}

/** conv 3x3 (same size) -> BN -> activation (default ReLU), appended to `chain` as three numbered children. */
function conv3x3BnAct(chain: Chain, inChannels: number, outChannels: number, rng: Random, act: ActivationName = 'relu'): void {
  chain.append(new Conv2d({ inChannels, outChannels, kernelSize: 3, padding: 1, bias: false, rng }));
  chain.append(new BatchNorm2d({ numFeatures: outChannels }));
  chain.append(activation(act));
}

/** `features` -> global average pool -> Linear, as `features`, `avgpool`, `classifier`. */
function classifierHead(model: Chain, features: Chain, channels: number, numClasses: number, rng: Random): void {
  model.add('features', features);
  model.add('avgpool', new GlobalAvgPool2d());
  model.add('classifier', new Linear({ inFeatures: channels, outFeatures: numClasses, rng }));
}

export interface VggStyleOptions extends BaselineOptions {
  /** Stages, each ending in a 2x2 max-pool (total stride 2^stages). Default 5. */
  stages?: number;
  /** 3x3 convs per stage. Default 2. */
  convsPerStage?: number;
  /** Adds each stage's input to the output of its second and later convs (ResNet's identity shortcut). Default false. */
  residual?: boolean;
  /** A squeeze-and-excitation gate (SENet: ratio 1/4, ReLU, sigmoid) after the batch norm of those convs. Default false. */
  squeezeExcite?: boolean;
  /** After every batch norm (the SE gate's inner one excepted). Default 'relu'; 'swish' as EfficientNet. */
  activation?: ActivationName;
}

/**
 * conv 3x3 (same size, same channels) -> BN [-> SE] [+ input] -> activation (default ReLU): the second and later
 * convs of a VGG stage with ResNet's identity shortcut and/or SENet's gate where SE-ResNet puts it (on the branch,
 * before the sum). Keys: conv, bn, se, act.
 */
export class ConvUnit extends Container {
  constructor(channels: number, readonly residual: boolean, readonly squeezeExcite: boolean, rng: Random, act: ActivationName = 'relu') {
    super();
    this.registerModule('conv', new Conv2d({ inChannels: channels, outChannels: channels, kernelSize: 3, padding: 1, bias: false, rng }));
    this.registerModule('bn', new BatchNorm2d({ numFeatures: channels }));
    if (squeezeExcite) this.registerModule('se', new SqueezeExcite({ channels, ratio: 0.25, rng }));
    this.registerModule('act', activation(act));
  }

  forward(x: Tensor): Tensor {
    let y = this.child('bn').call(this.child('conv').call(x));
    if (this.squeezeExcite) y = this.child('se').call(y);
    return this.child('act').call(this.residual ? add(y, x) : y);
  }
}

/**
 * VGG-style plain CNN (Simonyan & Zisserman 2014, with batch norm): `stages` stages of `convsPerStage` 3x3 convs,
 * channels width, 2 width, 4 width, 8 width, 8 width, ... (doubling up to 8x, as VGG's 64 ... 512), each stage
 * closed by a 2x2 max-pool; then global average pooling (instead of VGG's large fully connected layers) and a
 * Linear classifier. Keys: features.N, classifier. With `residual` or `squeezeExcite`, the second and later convs
 * of each stage are `ConvUnit`s (features.N.conv, .bn, .se).
 */
export class VggStyle extends Chain {
  readonly resolution: number;
  readonly numClasses: number;

  constructor(options: VggStyleOptions = {}) {
    super();
    const where = 'vggStyle';
    const stages = checkCount(options.stages ?? 5, 'stages', where);
    const convs = checkCount(options.convsPerStage ?? 2, 'convsPerStage', where);
    const width = checkWidth(options.width ?? 64, where);
    this.resolution = checkResolution(options.resolution ?? 224, 2 ** stages, where);
    this.numClasses = checkNumClasses(options.numClasses ?? 1000, where);
    let channels = checkInChannels(options.inChannels ?? 3, where);
    const rng = options.rng ?? globalRandom;
    const units = options.residual === true || options.squeezeExcite === true;
    const act = options.activation ?? 'relu';

    const features = new Chain();
    for (let s = 0; s < stages; s++) {
      const out = width * 2 ** Math.min(s, 3);
      for (let i = 0; i < convs; i++) {
        if (i > 0 && units) features.append(new ConvUnit(out, options.residual === true, options.squeezeExcite === true, rng, act));
        else conv3x3BnAct(features, channels, out, rng, act);
        channels = out;
      }
      features.append(new MaxPool2d({ kernelSize: 2 }));
    }
    classifierHead(this, features, channels, this.numClasses, rng);
    initLikeTorchvision(this, 'normal', rng);
  }
}

/** Builds a VGG-style plain CNN (see `VggStyle`). */
export function vggStyle(options: VggStyleOptions = {}): VggStyle {
  return new VggStyle(options);
}

/**
 * ResNet's basic block (He et al. 2016): conv 3x3 -> BN -> ReLU -> conv 3x3 -> BN, plus the input (or its 1x1
 * conv + BN projection when the block strides or widens), then ReLU. Keys as torchvision: conv1, bn1, conv2,
 * bn2, downsample.0, downsample.1 (one ReLU module, used twice, as torchvision).
 */
export class BasicBlock extends Container {
  readonly hasDownsample: boolean;

  constructor(inChannels: number, outChannels: number, stride: number, rng: Random) {
    super();
    this.registerModule('conv1', new Conv2d({ inChannels, outChannels, kernelSize: 3, stride, padding: 1, bias: false, rng }));
    this.registerModule('bn1', new BatchNorm2d({ numFeatures: outChannels }));
    this.registerModule('relu', new ReLU());
    this.registerModule('conv2', new Conv2d({ inChannels: outChannels, outChannels, kernelSize: 3, padding: 1, bias: false, rng }));
    this.registerModule('bn2', new BatchNorm2d({ numFeatures: outChannels }));
    this.hasDownsample = stride !== 1 || inChannels !== outChannels;
    if (this.hasDownsample)
      this.registerModule('downsample', new Chain([
        ['0', new Conv2d({ inChannels, outChannels, kernelSize: 1, stride, bias: false, rng })],
        ['1', new BatchNorm2d({ numFeatures: outChannels })],
      ]));
  }

  forward(x: Tensor): Tensor {
    let y = this.child('relu').call(this.child('bn1').call(this.child('conv1').call(x)));
    y = this.child('bn2').call(this.child('conv2').call(y));
    const shortcut = this.hasDownsample ? this.child('downsample').call(x) : x;
    return this.child('relu').call(add(y, shortcut));
  }
}

export interface ResnetStyleOptions extends BaselineOptions {
  /** Basic blocks per stage; stage s has width * 2^s channels and (after the first) stride 2. Default [2, 2, 2, 2]. */
  blocks?: readonly number[];
}

/**
 * ResNet-style CNN with basic blocks, torchvision's ResNet layout: conv 7x7/2 -> BN -> ReLU -> max-pool 3x3/2,
 * stages layer1 ... layerN, global average pool, fc. The defaults (width 64, blocks [2, 2, 2, 2]) are ResNet-18:
 * 11,689,512 parameters at 1000 classes, 1.81G multiply-adds at 224x224.
 */
export class ResnetStyle extends Chain {
  readonly resolution: number;
  readonly numClasses: number;

  constructor(options: ResnetStyleOptions = {}) {
    super();
    const where = 'resnetStyle';
    const blocks = options.blocks ?? [2, 2, 2, 2];
    if (blocks.length === 0) throw new ArgumentError(`${where}: blocks must list at least one stage, e.g. [2, 2, 2, 2]`);
    blocks.forEach((n, s) => checkCount(n, `blocks[${s}]`, where));
    const width = checkWidth(options.width ?? 64, where);
    this.resolution = checkResolution(options.resolution ?? 224, 2 ** (blocks.length + 1), where);
    this.numClasses = checkNumClasses(options.numClasses ?? 1000, where);
    const inChannels = checkInChannels(options.inChannels ?? 3, where);
    const rng = options.rng ?? globalRandom;

    this.add('conv1', new Conv2d({ inChannels, outChannels: width, kernelSize: 7, stride: 2, padding: 3, bias: false, rng }));
    this.add('bn1', new BatchNorm2d({ numFeatures: width }));
    this.add('relu', new ReLU());
    this.add('maxpool', new MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 }));
    let channels = width;
    blocks.forEach((n, s) => {
      const out = width * 2 ** s;
      const stage = new Chain();
      for (let i = 0; i < n; i++) {
        stage.add(String(i), new BasicBlock(channels, out, i === 0 && s > 0 ? 2 : 1, rng));
        channels = out;
      }
      this.add(`layer${s + 1}`, stage);
    });
    this.add('avgpool', new GlobalAvgPool2d());
    this.add('fc', new Linear({ inFeatures: channels, outFeatures: this.numClasses, rng }));
    initLikeTorchvision(this, 'default', rng);
  }
}

/** Builds a ResNet-style CNN (see `ResnetStyle`). */
export function resnetStyle(options: ResnetStyleOptions = {}): ResnetStyle {
  return new ResnetStyle(options);
}

/**
 * A small standard CNN for 28x28 digits (MNIST-style), the training demo's model: conv 3x3 (width) -> BN -> ReLU
 * -> max-pool 2 -> conv 3x3 (2 width) -> BN -> ReLU -> max-pool 2 -> conv 3x3 (4 width) -> BN -> ReLU -> global
 * average pool -> Linear. With width 32: 32-64-128 channels, 14x14 and 7x7 feature maps, 94,186 parameters at 10 classes.
 */
export class SmallCnn extends Chain {
  readonly resolution: number;
  readonly numClasses: number;

  constructor(options: BaselineOptions = {}) {
    super();
    const where = 'smallCnn';
    const width = checkWidth(options.width ?? 32, where);
    this.resolution = checkResolution(options.resolution ?? 28, 4, where);
    this.numClasses = checkNumClasses(options.numClasses ?? 10, where);
    const inChannels = checkInChannels(options.inChannels ?? 1, where);
    const rng = options.rng ?? globalRandom;

    const features = new Chain();
    conv3x3BnAct(features, inChannels, width, rng);
    features.append(new MaxPool2d({ kernelSize: 2 }));
    conv3x3BnAct(features, width, 2 * width, rng);
    features.append(new MaxPool2d({ kernelSize: 2 }));
    conv3x3BnAct(features, 2 * width, 4 * width, rng);
    classifierHead(this, features, 4 * width, this.numClasses, rng);
    initLikeTorchvision(this, 'default', rng);
  }
}

/** Builds the small digits CNN (see `SmallCnn`). */
export function smallCnn(options: BaselineOptions = {}): SmallCnn {
  return new SmallCnn(options);
}
