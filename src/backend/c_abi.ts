/**
 * How the C kernels (csrc/include/sepconv.h) receive the contract's arguments, shared by the wasm and native
 * backends: geometries as int32 fields in struct order (which follows ConvGeometry / PoolGeometry) and activation
 * kinds as enum codes.
 */
import type { ConvGeometry, PoolGeometry, UnaryKind } from './kernels.js';

/** enum sepconv_unary_kind. */
export const unaryCodes: Readonly<Record<UnaryKind, number>> = {
  relu: 0,
  relu6: 1,
  hardSwish: 2,
  swish: 3,
  sigmoid: 4,
  hardSigmoid: 5,
  tanh: 6,
  leakyRelu: 7,
};

/** struct sepconv_conv_geometry: 18 int32s. */
export function convFields(g: ConvGeometry): Int32Array {
  return Int32Array.of(g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
    g.dilationH, g.dilationW, g.padTop, g.padLeft, g.padBottom, g.padRight, g.groups);
}

/** struct sepconv_pool_geometry: 14 int32s. */
export function poolFields(g: PoolGeometry): Int32Array {
  return Int32Array.of(g.batch, g.inH, g.inW, g.channels, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW,
    g.padTop, g.padLeft, g.padBottom, g.padRight);
}
