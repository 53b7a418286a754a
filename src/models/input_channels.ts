/** The channels a model expects: those of its first convolution (every built-in model starts with one), else 3. */
import { Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d } from '../nn/conv.js';
import type { Module } from '../nn/module.js';

export function modelInputChannels(model: Module): number {
  for (const m of model.modules()) {
    if (m instanceof Conv2d) return m.inChannels;
    if (m instanceof SeparableConv2d) return m.depthwise.channels;
    if (m instanceof DepthwiseConv2d) return m.channels;
    // A BlueprintSeparableConv2d's first child.
    if (m instanceof PointwiseConv2d) return m.inChannels;
  }
  return 3;
}
