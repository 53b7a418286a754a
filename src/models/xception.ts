/**
 * Xception (Chollet 2017, "Xception: Deep Learning with Depthwise Separable Convolutions", arXiv:1610.02357),
 * layer for layer as Keras' `keras.applications.Xception`:
 *
 *   entry flow: conv 3x3/2 (32) -> BN -> ReLU -> conv 3x3 (64) -> BN -> ReLU (both unpadded), then three blocks
 *     [ReLU ->] sepconv 3x3 -> BN -> ReLU -> sepconv 3x3 -> BN -> max-pool 3x3/2, plus a 1x1/2 conv + BN shortcut
 *     (128, 256, 728 channels; the first block starts without the ReLU, which the stem already applied)
 *   middle flow: 8 x [3 x (ReLU -> sepconv 3x3 (728) -> BN)] + identity
 *   exit flow: ReLU -> sepconv (728) -> BN -> ReLU -> sepconv (1024) -> BN -> max-pool 3x3/2, + 1x1/2 conv + BN
 *     shortcut; sepconv (1536) -> BN -> ReLU -> sepconv (2048) -> BN -> ReLU
 *   global average pool -> Linear
 *
 * Separable convs are Keras SeparableConv2D: depthwise 3x3 -> pointwise 1x1, no bias, nothing in between ('same'
 * padding). Blocks are named as Keras' (block1 ... block14); inside, the Keras suffixes (conv1, conv1_bn,
 * sepconv2_act, pool, ...) under `body`, and the unnamed shortcut conv and BN as `shortcut.0` / `shortcut.1`.
 * BatchNorm: Keras' defaults, eps 1e-3, momentum 0.99 (0.01 in PyTorch's convention). Output is logits.
 *
 * Sizes at 1000 classes: 22,855,952 parameters; Keras' "Total params" 22,910,480 adds the BN moving mean and
 * variance (parameters + running_mean + running_var). 8.36G multiply-adds at 299x299 (convolutions and the
 * classifier).
 */
import { ReLU } from '../nn/activation.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { Residual, Sequential } from '../nn/containers.js';
import { Conv2d, SeparableConv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { GlobalAvgPool2d, MaxPool2d } from '../nn/pooling.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { Chain } from './chain.js';
import { initLikeTorchvision } from './init.js';
import { checkInChannels, checkNumClasses, checkResolution } from './options.js';

export interface XceptionOptions {
  numClasses?: number;
  /** The input side the network is meant for; any size >= 32 runs (Keras asks for 71). Default 299. */
  resolution?: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  rng?: Random;
}

/** Default input side of Xception. */
export const XCEPTION_RESOLUTION = 299;

const batchNorm = (channels: number): BatchNorm2d => new BatchNorm2d({ numFeatures: channels, eps: 1e-3, momentum: 0.01 });

/** One block's layers, named with the Keras suffixes. */
class BlockLayers extends Chain {
  constructor(private readonly rng: Random) {
    super();
  }

  /** Keras' `sepconv{i}_act`, `sepconv{i}`, `sepconv{i}_bn` (the activation first unless `preActivation` is false). */
  sepconv(i: number, inChannels: number, outChannels: number, preActivation = true): this {
    if (preActivation) this.add(`sepconv${i}_act`, new ReLU());
    this.add(`sepconv${i}`, new SeparableConv2d({ inChannels, outChannels, kernelSize: 3, padding: 'same', bias: false, rng: this.rng }));
    return this.add(`sepconv${i}_bn`, batchNorm(outChannels));
  }
}

/** body -> max-pool 3x3/2, added to a 1x1/2 conv + BN projection of the input. */
function downsampling(body: BlockLayers, inChannels: number, outChannels: number, rng: Random): Residual {
  body.add('pool', new MaxPool2d({ kernelSize: 3, stride: 2, padding: 'same' }));
  const shortcut = new Sequential(
    new Conv2d({ inChannels, outChannels, kernelSize: 1, stride: 2, padding: 'same', bias: false, rng }),
    batchNorm(outChannels),
  );
  return new Residual(body, shortcut);
}

export class Xception extends Chain {
  readonly resolution: number;
  readonly numClasses: number;

  constructor(options: XceptionOptions = {}) {
    super();
    const where = 'xception';
    this.resolution = checkResolution(options.resolution ?? XCEPTION_RESOLUTION, 32, where);
    this.numClasses = checkNumClasses(options.numClasses ?? 1000, where);
    const inChannels = checkInChannels(options.inChannels ?? 3, where);
    const rng = options.rng ?? globalRandom;

    this.add('block1', new Chain([
      ['conv1', new Conv2d({ inChannels, outChannels: 32, kernelSize: 3, stride: 2, bias: false, rng })],
      ['conv1_bn', batchNorm(32)],
      ['conv1_act', new ReLU()],
      ['conv2', new Conv2d({ inChannels: 32, outChannels: 64, kernelSize: 3, bias: false, rng })],
      ['conv2_bn', batchNorm(64)],
      ['conv2_act', new ReLU()],
    ]));

    // Entry flow: the first block's ReLU after sepconv1 is Keras' block2_sepconv2_act.
    const entry: [number, number][] = [[64, 128], [128, 256], [256, 728]];
    entry.forEach(([cin, cout], i) => {
      const body = new BlockLayers(rng).sepconv(1, cin, cout, i > 0).sepconv(2, cout, cout);
      this.add(`block${i + 2}`, downsampling(body, cin, cout, rng));
    });

    for (let b = 5; b <= 12; b++)
      this.add(`block${b}`, new Residual(new BlockLayers(rng).sepconv(1, 728, 728).sepconv(2, 728, 728).sepconv(3, 728, 728)));

    this.add('block13', downsampling(new BlockLayers(rng).sepconv(1, 728, 728).sepconv(2, 728, 1024), 728, 1024, rng));
    this.add('block14', new BlockLayers(rng)
      .sepconv(1, 1024, 1536, false).add('sepconv1_act', new ReLU())
      .sepconv(2, 1536, 2048, false).add('sepconv2_act', new ReLU()));

    this.add('avg_pool', new GlobalAvgPool2d());
    this.add('predictions', new Linear({ inFeatures: 2048, outFeatures: this.numClasses, rng }));
    initLikeTorchvision(this, 'normal', rng);
  }

  protected override extraRepr(): string {
    return `resolution=${this.resolution}, numClasses=${this.numClasses}`;
  }
}

/** Builds Xception (see `Xception`). */
export function xception(options: XceptionOptions = {}): Xception {
  return new Xception(options);
}
