/**
 * The `meta` backend computes shapes, not values: every kernel returns zeros of the right size. The cost analyser
 * runs models on it, so walking EfficientNet or Xception at full resolution costs milliseconds, not seconds.
 */
import type { Backend, ConvGeometry, Kernels, PoolGeometry } from './kernels.js';

const convOut = (g: ConvGeometry): Float32Array => new Float32Array(g.batch * g.outH * g.outW * g.outC);
const convIn = (g: ConvGeometry): Float32Array => new Float32Array(g.batch * g.inH * g.inW * g.inC);
const poolOut = (g: PoolGeometry): number => g.batch * g.outH * g.outW * g.channels;
const poolIn = (g: PoolGeometry): Float32Array => new Float32Array(g.batch * g.inH * g.inW * g.channels);

const kernels: Kernels = {
  conv2d: (_x, _w, _b, g) => convOut(g),
  conv2dBackwardInput: (_dy, _w, g) => convIn(g),
  conv2dBackwardFilter: (_x, _dy, g) => new Float32Array(g.kH * g.kW * (g.inC / g.groups) * g.outC),
  depthwiseConv2d: (_x, _w, _b, g) => convOut(g),
  depthwiseConv2dBackwardInput: (_dy, _w, g) => convIn(g),
  depthwiseConv2dBackwardFilter: (_x, _dy, g) => new Float32Array(g.kH * g.kW * g.outC),
  matmul: (_a, _b, _bias, m, _k, n) => new Float32Array(m * n),
  unary: (_kind, x) => new Float32Array(x.length),
  unaryBackward: (_kind, x) => new Float32Array(x.length),
  maxPool2d: (_x, g) => ({ y: new Float32Array(poolOut(g)), argmax: new Int32Array(poolOut(g)) }),
  maxPool2dBackward: (_dy, _argmax, g) => poolIn(g),
  avgPool2d: (_x, g) => new Float32Array(poolOut(g)),
  avgPool2dBackward: (_dy, g) => poolIn(g),
  channelMoments: (_x, c) => ({ mean: new Float32Array(c), variance: new Float32Array(c).fill(1) }),
  batchNormForward: (x) => new Float32Array(x.length),
  batchNormBackward: (x, _dy, mean) => ({ dx: new Float32Array(x.length), dGamma: new Float32Array(mean.length), dBeta: new Float32Array(mean.length) }),
};

export const metaBackend: Backend = { name: 'meta', kernels };
