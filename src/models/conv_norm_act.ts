/**
 * torchvision's Conv2dNormActivation: a KxK convolution with "half" padding ((K-1)/2 on every side, so stride 1
 * keeps the size and stride 2 halves it, rounding up), no bias, BatchNorm2d, then an optional activation, as a
 * Chain named '0', '1', '2' (so keys read 'features.0.0.weight' as in torchvision). A depthwise layer uses
 * the dedicated DepthwiseConv2d, not a grouped Conv2d, and a 1x1 stride-1 layer the PointwiseConv2d (a matmul).
 */
import { activation, type ActivationName } from '../nn/activation.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../nn/conv.js';
import type { Random } from '../tensor/random.js';
import { Chain } from './chain.js';

export interface ConvNormActOptions {
  inChannels: number;
  /** Ignored for depthwise layers (output channels = input channels). */
  outChannels: number;
  kernelSize: number;
  stride?: number;
  depthwise?: boolean;
  activation: ActivationName | null;
  bnEps: number;
  bnMomentum: number;
  rng: Random;
}

export function convNormAct(o: ConvNormActOptions): Chain {
  const conv = convLayer(o);
  const chain = new Chain().append(conv).append(new BatchNorm2d({ numFeatures: conv.outChannels, eps: o.bnEps, momentum: o.bnMomentum }));
  if (o.activation !== null) chain.append(activation(o.activation));
  return chain;
}

function convLayer(o: ConvNormActOptions): Conv2d | DepthwiseConv2d | PointwiseConv2d {
  const { inChannels, outChannels, kernelSize, rng } = o;
  const stride = o.stride ?? 1;
  const padding = (kernelSize - 1) / 2;
  if (o.depthwise === true) return new DepthwiseConv2d({ channels: inChannels, kernelSize, stride, padding, bias: false, rng });
  if (kernelSize === 1 && stride === 1) return new PointwiseConv2d({ inChannels, outChannels, bias: false, rng });
  return new Conv2d({ inChannels, outChannels, kernelSize, stride, padding, bias: false, rng });
}
