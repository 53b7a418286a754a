/**
 * Turns a standard CNN into its depthwise-separable counterpart (the MobileNet factorisation, Howard et al. 2017
 * section 3.1): every Conv2d with a kernel larger than 1x1 and groups 1 becomes a SeparableConv2d, a depthwise
 * conv with the same kernel, stride, padding and dilation (so the output shape is unchanged), optionally batch
 * norm and an activation, then a 1x1 pointwise conv to the same output channels, with a bias where the original
 * had one (`order: 'pointwise-first'` puts the pointwise conv first: BlueprintSeparableConv2d, BSConv-U). Every
 * other module, with its weights, stays as it was; the new layers get torchvision's
 * initialisation (kaiming-normal fan_out) from `rng` and the replaced conv's training mode.
 *
 * The report compares the model before and after with the cost analyser (`analyse`, per image of `inputShape`):
 * per replaced layer its parameters and MACs before and after, and the model totals.
 */
import { ArgumentError } from '../errors.js';
import type { Padding } from '../ops/padding.js';
import { analyse, type CostReport } from '../cost/analyse.js';
import type { ActivationName } from '../nn/activation.js';
import { BlueprintSeparableConv2d, Conv2d, SeparableConv2d } from '../nn/conv.js';
import type { Module } from '../nn/module.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { initLikeTorchvision } from './init.js';

/** The two orders of a separable conv's factors (see SeparabilizeOptions.order). */
export const SEPARABLE_ORDERS = ['depthwise-first', 'pointwise-first'] as const;
export type SeparableOrder = (typeof SEPARABLE_ORDERS)[number];

export interface SeparabilizeOptions {
  /** BatchNorm2d between the depthwise and pointwise convs (MobileNet style). Default false (Keras SeparableConv2D). */
  batchNorm?: boolean;
  /** Activation between them (after the batch norm, if any). Default null (none). */
  activation?: ActivationName | null;
  /**
   * Input for the cost report, [H, W, C] or [N, H, W, C]. Default [r, r, C] with r the model's `resolution`
   * (every builder in sepconv's models sets one) and C the first convolution's input channels.
   */
  inputShape?: readonly number[];
  /** Initialisation of the new layers. Default the library-wide generator. */
  rng?: Random;
  /**
   * Leaves the first factorisable convolution (in module order: the stem) standard, as MobileNets do. Over 1-3
   * input channels a depthwise conv has only 1-3 filters, so every pointwise output mixes at most that many
   * filtered maps, while the stem is a small share of the multiply-adds. Default false.
   */
  keepStem?: boolean;
  /**
   * Kernel size of the depthwise convs: at least the replaced kernel's, and larger by an even number (3 -> 5), so
   * the padding can grow by the same amount on both sides and the output shape stays unchanged. A larger depthwise kernel costs little (K^2 * C per pixel against C_in * C_out for
   * the pointwise), which is why MnasNet, MobileNetV3 and EfficientNet use 5x5. A function picks a size per layer
   * (e.g. larger kernels where the feature maps are small and the pointwise costs most). Default: the replaced kernel's size.
   */
  depthwiseKernelSize?: number | ((conv: Conv2d, path: string) => number);
  /**
   * Depthwise output channels per input channel (Keras' depth_multiplier): more filters for the pointwise conv to
   * mix, at M times the depthwise and pointwise cost. A function picks it per layer. Default 1.
   */
  depthMultiplier?: number | ((conv: Conv2d, path: string) => number);
  /**
   * 'depthwise-first' (default): SeparableConv2d, the MobileNet / Xception order. 'pointwise-first':
   * BlueprintSeparableConv2d (BSConv-U), the pointwise conv then a depthwise conv over the output channels, the
   * order Haase & Amthor (2020) found more accurate at the same cost; it takes no depthMultiplier.
   */
  order?: SeparableOrder;
}

/** Parameters and multiply-adds (per image of the report's input). */
export interface ParamsMacs {
  params: number;
  macs: number;
}

/** One replaced convolution. */
export interface SeparabilizedLayer {
  /** Dotted module path, e.g. 'features.4'. */
  path: string;
  kernelSize: [number, number];
  inChannels: number;
  outChannels: number;
  stride: [number, number];
  before: ParamsMacs;
  after: ParamsMacs;
}

export interface SeparabilizeReport {
  /** The input the costs are for, [N, H, W, C]. */
  input: number[];
  layers: SeparabilizedLayer[];
  /** Whole-model totals (every layer, not only the replaced ones). */
  totals: { before: ParamsMacs; after: ParamsMacs };
}

/** A standard convolution that has a separable counterpart: groups 1 and a kernel larger than 1x1. */
const isFactorisable = (m: Module): m is Conv2d => m instanceof Conv2d && m.groups === 1 && m.kernelSize[0] * m.kernelSize[1] > 1;

/**
 * Replaces, in place, every factorisable Conv2d of `model` by a SeparableConv2d and returns the same model with a
 * report. Throws ArgumentError if a conv to replace sits in a container that caches its children (nn's
 * Sequential or Residual, or a layer holding it as a field); sepconv's builders use `Chain`, which does not.
 */
export function separabilize(model: Module, options: SeparabilizeOptions = {}): { model: Module; report: SeparabilizeReport } {
  const rng = options.rng ?? globalRandom;
  const modules = new Map(model.namedModules());
  const targets = ([...modules].filter(([, m]) => isFactorisable(m)) as [string, Conv2d][]).slice(options.keepStem ? 1 : 0);
  const parents = targets.map(([path]) => parentOf(path, modules));
  const inputShape = options.inputShape ?? defaultInputShape(model);
  const order = options.order ?? 'depthwise-first';
  if (!SEPARABLE_ORDERS.includes(order))
    throw new ArgumentError(`separabilize: order must be 'depthwise-first' or 'pointwise-first', got ${JSON.stringify(order)}`);
  if (order === 'pointwise-first' && options.depthMultiplier !== undefined)
    throw new ArgumentError("separabilize: depthMultiplier applies to the depthwise-first order only (order 'pointwise-first' has none)");

  const before = analyse(model, inputShape);
  targets.forEach(([path, conv], i) => {
    const size = options.depthwiseKernelSize;
    const window = depthwiseWindow(conv, path, typeof size === 'function' ? size(conv, path) : size);
    const common = {
      inChannels: conv.inChannels, outChannels: conv.outChannels, kernelSize: window.kernelSize, stride: conv.stride,
      padding: window.padding, dilation: conv.dilation, bias: conv.bias !== null,
      batchNorm: options.batchNorm ?? false, activation: options.activation ?? null, rng,
    };
    const depthMultiplier = typeof options.depthMultiplier === 'function' ? options.depthMultiplier(conv, path) : options.depthMultiplier;
    const separable = order === 'depthwise-first' ? new SeparableConv2d({ ...common, depthMultiplier })
      : new BlueprintSeparableConv2d(common);
    initLikeTorchvision(separable, 'default', rng);
    separable.train(conv.training);
    parents[i].replaceModule(path.slice(path.lastIndexOf('.') + 1), separable);
  });
  const after = analyse(model, inputShape);

  const layers = targets.map(([path, conv]): SeparabilizedLayer => ({
    path, kernelSize: conv.kernelSize, inChannels: conv.inChannels, outChannels: conv.outChannels, stride: conv.stride,
    before: costUnder(before, path), after: costUnder(after, path),
  }));
  return {
    model,
    report: { input: before.input, layers, totals: { before: pick(before.totals), after: pick(after.totals) } },
  };
}

/** The depthwise kernel for `conv` and the padding that keeps its output shape. */
function depthwiseWindow(conv: Conv2d, path: string, size: number | undefined): { kernelSize: [number, number]; padding: Padding } {
  if (size === undefined) return { kernelSize: conv.kernelSize, padding: conv.padding };
  const grow = conv.kernelSize.map((k) => size - k);
  if (!Number.isInteger(size) || grow.some((g) => g < 0 || g % 2 !== 0))
    throw new ArgumentError(`separabilize: depthwiseKernelSize ${size} cannot replace the ${conv.kernelSize.join('x')} kernel ` +
      `of '${path}' with the same output shape; it must be an integer >= the kernel, differing from it by an even number`);
  const [padH, padW] = grow.map((g, axis) => (g / 2) * conv.dilation[axis]);
  const p = conv.padding;
  const padding: Padding = p === 'same' ? 'same'
    : p === 'valid' ? [padH, padH, padW, padW]
      : typeof p === 'number' ? [p + padH, p + padH, p + padW, p + padW]
        : p.length === 2 ? [p[0] + padH, p[0] + padH, p[1] + padW, p[1] + padW]
          : [p[0] + padH, p[1] + padH, p[2] + padW, p[3] + padW];
  return { kernelSize: [size, size], padding };
}

/** The module holding the module at `path`. */
function parentOf(path: string, modules: ReadonlyMap<string, Module>): Module {
  if (path === '')
    throw new ArgumentError('separabilize: the model itself is a Conv2d; wrap it in a container (e.g. nn.Sequential) first');
  return modules.get(path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '')!;
}

/** [resolution, resolution, channels of the first convolution], for models built by sepconv's builders. */
function defaultInputShape(model: Module): number[] {
  const resolution = (model as { resolution?: unknown }).resolution;
  const first = model.modules().find((m) => 'inChannels' in m || 'channels' in m) as { inChannels?: number; channels?: number } | undefined;
  const channels = first?.inChannels ?? first?.channels;
  if (typeof resolution !== 'number' || channels === undefined)
    throw new ArgumentError(`separabilize: ${model.constructor.name} has no 'resolution' to size the cost report; ` +
      'pass inputShape, e.g. { inputShape: [224, 224, 3] }');
  return [resolution, resolution, channels];
}

/** Params and MACs of the layer at `path` and everything below it. */
function costUnder(report: CostReport, path: string): ParamsMacs {
  const within = report.layers.filter((l) => l.name === path || l.name.startsWith(`${path}.`));
  return { params: within.reduce((n, l) => n + l.params, 0), macs: within.reduce((n, l) => n + l.macs, 0) };
}

const pick = (c: ParamsMacs): ParamsMacs => ({ params: c.params, macs: c.macs });
