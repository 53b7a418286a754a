/**
 * The model builders and a registry of them by name, for the CLI and the web page. Builders return untrained
 * networks with seeded torchvision-style initialisation; each file documents the reference it follows and the
 * parameter and multiply-add counts it reproduces.
 */
import { ArgumentError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Random } from '../tensor/random.js';
import { resnetStyle, smallCnn, vggStyle } from './baselines.js';
import { EFFICIENTNET_SCALING, efficientnet, type EfficientNetVariant } from './efficientnet.js';
import { MOBILENET_V1_RESOLUTION, mobilenetV1 } from './mobilenet_v1.js';
import { MOBILENET_V2_RESOLUTION, mobilenetV2 } from './mobilenet_v2.js';
import { MOBILENET_V3_RESOLUTION, mobilenetV3Large, mobilenetV3Small } from './mobilenet_v3.js';
import { XCEPTION_RESOLUTION, xception } from './xception.js';

export { mobilenetV1, MobileNetV1, MOBILENET_V1_RESOLUTION, type MobileNetV1Options } from './mobilenet_v1.js';
export { mobilenetV2, MobileNetV2, MOBILENET_V2_RESOLUTION, type MobileNetV2Options } from './mobilenet_v2.js';
export {
  mobilenetV3Large, mobilenetV3Small, MobileNetV3, MOBILENET_V3_RESOLUTION, type MobileNetV3Options,
} from './mobilenet_v3.js';
export { efficientnet, EfficientNet, MBConv, EFFICIENTNET_SCALING, type EfficientNetVariant, type EfficientNetOptions } from './efficientnet.js';
export { xception, Xception, XCEPTION_RESOLUTION, type XceptionOptions } from './xception.js';
export {
  vggStyle, resnetStyle, smallCnn, VggStyle, ResnetStyle, SmallCnn, BasicBlock, ConvUnit,
  type BaselineOptions, type VggStyleOptions, type ResnetStyleOptions,
} from './baselines.js';
export {
  separabilize, SEPARABLE_ORDERS, type SeparableOrder, type SeparabilizeOptions, type SeparabilizeReport,
  type SeparabilizedLayer, type ParamsMacs,
} from './separabilize.js';
export { overparameterize, reparameterize } from './reparameterize.js';
export { Chain, Container } from './chain.js';
export { StochasticDepth } from './stochastic_depth.js';
export { initLikeTorchvision, type LinearInit } from './init.js';

/** Options `buildModel` passes on to the builder. */
export interface BuildModelOptions {
  numClasses?: number;
  /**
   * Width multiplier, for every model that has a width: the MobileNets' alpha / width, and for vgg_style,
   * resnet_style and small_cnn a scale of their first-stage channels (64, 64, 32 at alpha 1).
   */
  alpha?: number;
  /**
   * The builder's own width option as it means it: the multiplier for the MobileNets, the first-stage channels
   * (an integer) for vgg_style, resnet_style and small_cnn. Give alpha or width, not both.
   */
  width?: number;
  /** Input channels (3 for RGB, 1 for greyscale). Default 3 (1 for small_cnn). */
  inputChannels?: number;
  /** The builders' name for inputChannels; either is accepted. */
  inChannels?: number;
  /** The input side the model is meant for; defaults to `defaultResolution[name]`. */
  resolution?: number;
  rng?: Random;
}

interface BuilderOptions {
  numClasses?: number;
  width?: number;
  inChannels?: number;
  resolution?: number;
  rng?: Random;
}

interface Entry {
  /** Default input side. */
  resolution: number;
  /**
   * The builder's width option: a multiplier (the MobileNets), first-stage channels with their count at alpha 1
   * (the baselines), or none.
   */
  width: 'multiplier' | { channels: number } | null;
  build(o: BuilderOptions): Module;
}

const efficientnetEntry = (variant: EfficientNetVariant): Entry => ({
  resolution: EFFICIENTNET_SCALING[variant].resolution,
  width: null,
  build: (o) => efficientnet(variant, o),
});

const REGISTRY: Readonly<Record<string, Entry>> = {
  mobilenet_v1: { resolution: MOBILENET_V1_RESOLUTION, width: 'multiplier', build: (o) => mobilenetV1({ ...o, alpha: o.width }) },
  mobilenet_v2: { resolution: MOBILENET_V2_RESOLUTION, width: 'multiplier', build: (o) => mobilenetV2({ ...o, alpha: o.width }) },
  // For 28-32 px images, trained from scratch: total stride 8, BN momentum 0.1.
  mobilenet_v2_cifar: {
    resolution: 32, width: 'multiplier', build: (o) => mobilenetV2({ ...o, alpha: o.width, smallInput: true, bnMomentum: 0.1 }),
  },
  mobilenet_v3_large: { resolution: MOBILENET_V3_RESOLUTION, width: 'multiplier', build: (o) => mobilenetV3Large(o) },
  mobilenet_v3_small: { resolution: MOBILENET_V3_RESOLUTION, width: 'multiplier', build: (o) => mobilenetV3Small(o) },
  efficientnet_b0: efficientnetEntry('b0'),
  efficientnet_b1: efficientnetEntry('b1'),
  efficientnet_b2: efficientnetEntry('b2'),
  efficientnet_b3: efficientnetEntry('b3'),
  xception: { resolution: XCEPTION_RESOLUTION, width: null, build: (o) => xception(o) },
  vgg_style: { resolution: 224, width: { channels: 64 }, build: (o) => vggStyle(o) },
  resnet_style: { resolution: 224, width: { channels: 64 }, build: (o) => resnetStyle(o) },
  small_cnn: { resolution: 28, width: { channels: 32 }, build: (o) => smallCnn(o) },
};

/** Names `buildModel` accepts. */
export const modelNames: readonly string[] = Object.keys(REGISTRY);

/** Each model's default input side (224; EfficientNet B1-B3 240, 260, 300; Xception 299; small_cnn 28). */
export const defaultResolution: Readonly<Record<string, number>> =
  Object.fromEntries(Object.entries(REGISTRY).map(([name, e]) => [name, e.resolution]));

/**
 * Builds a model by registry name. Throws ArgumentError for an unknown name and for impossible options
 * (numClasses < 1, alpha or width <= 0, a resolution below the model's total stride, a width other than the
 * published one for a model without a width setting).
 */
export function buildModel(name: string, options: BuildModelOptions = {}): Module {
  const entry = Object.hasOwn(REGISTRY, name) ? REGISTRY[name] : undefined;
  if (entry === undefined) throw new ArgumentError(`buildModel: unknown model '${name}'; accepted: ${modelNames.join(', ')}`);
  return entry.build({
    numClasses: options.numClasses,
    width: builderWidth(name, entry, options),
    inChannels: inputChannels(name, options),
    resolution: options.resolution,
    rng: options.rng,
  });
}

function inputChannels(name: string, o: BuildModelOptions): number | undefined {
  if (o.inputChannels !== undefined && o.inChannels !== undefined && o.inputChannels !== o.inChannels)
    throw new ArgumentError(`buildModel('${name}'): inputChannels (${o.inputChannels}) and inChannels (${o.inChannels}) ` +
      'are the same setting; give one');
  return o.inputChannels ?? o.inChannels;
}

/** The builder's width from alpha (a multiplier) or width (the builder's own unit). */
function builderWidth(name: string, entry: Entry, o: BuildModelOptions): number | undefined {
  const where = `buildModel('${name}')`;
  if (o.alpha !== undefined && o.width !== undefined)
    throw new ArgumentError(`${where}: give alpha (a multiplier) or width (the builder's unit), not both`);
  const what = o.alpha !== undefined ? 'alpha' : 'width';
  const value = o.alpha ?? o.width;
  if (value === undefined) return undefined;
  if (!(Number.isFinite(value) && value > 0)) throw new ArgumentError(`${where}: ${what} must be a number > 0, got ${value}`);
  if (entry.width === null) {
    if (value === 1 && what === 'alpha') return undefined;
    throw new ArgumentError(`${where}: this model has no width setting (alpha must be 1); models with one: ` +
      modelNames.filter((n) => REGISTRY[n].width !== null).join(', '));
  }
  return what === 'alpha' && entry.width !== 'multiplier' ? Math.max(1, Math.round(entry.width.channels * value)) : value;
}
