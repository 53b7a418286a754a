/**
 * The native backend's kernels: each contract call goes straight to the addon with the caller's arrays (no
 * copies), geometries as int32 fields and activation kinds as their C codes.
 */
import { convFields, poolFields, unaryCodes } from '../c_abi.js';
import type { Kernels } from '../kernels.js';
import type { SepconvNativeAddon } from './addon.js';

export function createNativeKernels(addon: SepconvNativeAddon): Kernels {
  return {
    matmul: (a, b, bias, m, k, n, transA, transB) => addon.matmul(a, b, bias, m, k, n, transA, transB),
    conv2d: (x, w, bias, g) => addon.conv2d(x, w, bias, convFields(g)),
    conv2dBackwardInput: (dy, w, g) => addon.conv2dBackwardInput(dy, w, convFields(g)),
    conv2dBackwardFilter: (x, dy, g) => addon.conv2dBackwardFilter(x, dy, convFields(g)),
    depthwiseConv2d: (x, w, bias, g) => addon.depthwiseConv2d(x, w, bias, convFields(g)),
    depthwiseConv2dBackwardInput: (dy, w, g) => addon.depthwiseConv2dBackwardInput(dy, w, convFields(g)),
    depthwiseConv2dBackwardFilter: (x, dy, g) => addon.depthwiseConv2dBackwardFilter(x, dy, convFields(g)),
    unary: (kind, x, alpha) => addon.unary(unaryCodes[kind], x, alpha),
    unaryBackward: (kind, x, dy, alpha) => addon.unaryBackward(unaryCodes[kind], x, dy, alpha),
    maxPool2d: (x, g) => addon.maxPool2d(x, poolFields(g)),
    maxPool2dBackward: (dy, argmax, g) => addon.maxPool2dBackward(dy, argmax, poolFields(g)),
    avgPool2d: (x, g, countIncludePad) => addon.avgPool2d(x, poolFields(g), countIncludePad),
    avgPool2dBackward: (dy, g, countIncludePad) => addon.avgPool2dBackward(dy, poolFields(g), countIncludePad),
    channelMoments: (x, channels) => addon.channelMoments(x, channels),
    batchNormForward: (x, mean, invStd, gamma, beta) => addon.batchNormForward(x, mean, invStd, gamma, beta),
    batchNormBackward: (x, dy, mean, invStd, gamma, training) =>
      addon.batchNormBackward(x, dy, mean, invStd, gamma, training),
  };
}
