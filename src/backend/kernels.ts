/**
 * The kernel contract every backend implements: plain functions over Float32Arrays in NHWC layout, with all shape
 * arithmetic done beforehand by the op (src/ops). The `js` backend implements all of them and is the oracle; `wasm`
 * and `native` may implement any subset, the rest falls back to `js`.
 *
 * Weight layouts: standard/grouped conv [KH, KW, C_in/groups, C_out]; depthwise [KH, KW, C*M] (output channel
 * c*M + m reads input channel c); pointwise and linear [C_in, C_out].
 */

/** Everything a convolution kernel needs to know; built by `convGeometry` in ops/conv.ts. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  /** Zero rows above / columns left of the input; the bottom/right padding is implied by outH/outW. */
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  /** 1 for a standard conv, inC for depthwise (then outC = inC * multiplier). */
  groups: number;
}

/** Pooling window geometry; built by the pooling ops. */
/**
 * Whether a convolution runs as depthwise (one filter group per input channel). A one-channel input has
 * groups === inC too, but it is an ordinary convolution: the GEMM path runs it about 8x faster than a depthwise
 * kernel with multiplier C_out, over the same weight bytes ([KH, KW, 1, C_out] is [KH, KW, 1 * M]).
 */
export function isDepthwise(g: Pick<ConvGeometry, 'groups' | 'inC'>): boolean {
  return g.groups === g.inC && g.inC > 1;
}

export interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** Element-wise activations with one kernel pair each; `alpha` is the slope of leakyRelu. */
export type UnaryKind =
  | 'relu'
  | 'relu6'
  | 'hardSwish'
  | 'swish'
  | 'sigmoid'
  | 'hardSigmoid'
  | 'tanh'
  | 'leakyRelu';

export interface Kernels {
  /** Grouped 2-D convolution. x [N,H,W,C_in], w [KH,KW,C_in/groups,C_out], bias [C_out] or null. */
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: ConvGeometry): Float32Array;
  /** dL/dx of conv2d given dL/dy [N,OH,OW,C_out]. */
  conv2dBackwardInput(dy: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array;
  /** dL/dw of conv2d. */
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array;

  /** Depthwise convolution (isDepthwise(g)). w [KH,KW,C*M]. */
  depthwiseConv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: ConvGeometry): Float32Array;
  depthwiseConv2dBackwardInput(dy: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array;
  depthwiseConv2dBackwardFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array;

  /**
   * C[M,N] = op(A) op(B) (+ bias[N]), op transposing when asked. A is [M,K] (or [K,M] if transA), B is [K,N]
   * (or [N,K] if transB). Pointwise convs, linear layers and their gradients all land here.
   */
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number,
    transA: boolean, transB: boolean): Float32Array;

  unary(kind: UnaryKind, x: Float32Array, alpha: number): Float32Array;
  /** dL/dx given x, dL/dy. */
  unaryBackward(kind: UnaryKind, x: Float32Array, dy: Float32Array, alpha: number): Float32Array;

  /** Max pooling; also returns, for each output, the flat input index it came from (for the backward pass). */
  maxPool2d(x: Float32Array, g: PoolGeometry): { y: Float32Array; argmax: Int32Array };
  maxPool2dBackward(dy: Float32Array, argmax: Int32Array, g: PoolGeometry): Float32Array;
  /** Average pooling; padded cells count in the divisor only if countIncludePad. */
  avgPool2d(x: Float32Array, g: PoolGeometry, countIncludePad: boolean): Float32Array;
  avgPool2dBackward(dy: Float32Array, g: PoolGeometry, countIncludePad: boolean): Float32Array;

  /** Per-channel mean and biased variance of x viewed as [P, channels] (batch-norm statistics). */
  channelMoments(x: Float32Array, channels: number): { mean: Float32Array; variance: Float32Array };
  /** Batch norm forward: y = gamma[c] * (x - mean[c]) * invStd[c] + beta[c] over x viewed as [P, channels]. */
  batchNormForward(x: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array, beta: Float32Array): Float32Array;
  /**
   * Batch norm backward. With `training`, dx includes the paths through the batch mean and variance
   * (dx = gamma*invStd * (dy - mean(dy) - xhat * mean(dy*xhat))); otherwise dx = gamma*invStd*dy.
   */
  batchNormBackward(x: Float32Array, dy: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array,
    training: boolean): { dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array };
}

export type KernelName = keyof Kernels;

export interface Backend {
  readonly name: string;
  readonly kernels: Partial<Kernels>;
}
