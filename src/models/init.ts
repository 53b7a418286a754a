/**
 * torchvision's initialisation for its classification networks, applied after a model is built: every
 * convolution (standard, depthwise, pointwise, including those inside SqueezeExcite and SeparableConv2d) gets
 * kaiming-normal with fan_out and gain sqrt(2), conv biases zeros; BatchNorm2d keeps gamma 1, beta 0 (its
 * defaults). Linear layers differ between torchvision models, hence `linear`:
 * - 'normal': N(0, 0.01), bias 0 (MobileNetV2/V3, VGG)
 * - 'uniform': U(±1/sqrt(outFeatures)), bias 0 (EfficientNet)
 * - 'default': left as constructed, PyTorch's default U(±1/sqrt(inFeatures)) (ResNet)
 */
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../nn/conv.js';
import { kaimingNormal, normal, uniform, zeros } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import type { Random } from '../tensor/random.js';

export type LinearInit = 'normal' | 'uniform' | 'default';

/** Re-initialises `model`'s convolutions and linear layers in place, drawing from `rng` in module order. */
export function initLikeTorchvision(model: Module, linear: LinearInit, rng: Random): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d || m instanceof DepthwiseConv2d || m instanceof PointwiseConv2d) {
      kaimingNormal(m.weight, { mode: 'fanOut', rng });
      if (m.bias !== null) zeros(m.bias);
    } else if (m instanceof Linear && linear !== 'default') {
      if (linear === 'normal') normal(m.weight, 0, 0.01, rng);
      else uniform(m.weight, -1 / Math.sqrt(m.outFeatures), 1 / Math.sqrt(m.outFeatures), rng);
      if (m.bias !== null) zeros(m.bias);
    }
  }
}
