/**
 * Convolutions over NHWC activations: standard/grouped, depthwise and pointwise (1x1), forward and backward.
 *
 * Weight layouts: conv2d [KH, KW, C_in/groups, C_out]; depthwiseConv2d [KH, KW, C*M] where output channel c*M + m
 * reads input channel c (the same order as ONNX/PyTorch grouped conv with groups = C); pointwiseConv2d [C_in, C_out].
 * Every op records its full ConvGeometry as trace attrs (pointwise records {m, k, n}, as a matrix product).
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { isDepthwise, type ConvGeometry } from '../backend/kernels.js';
import { kernel } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { Tensor, shapeToString, type Shape } from '../tensor/tensor.js';
import { biasGradient, checkBias, gemmOp } from './gemm.js';
import { pair, resolvePadding, windowOutput, type Padding } from './padding.js';

/** Window options shared by every spatial convolution. */
export interface ConvOptions {
  /** Step between windows (default 1). */
  stride?: number | readonly [number, number];
  /** Default 'valid'. See ops/padding.ts for 'same' and explicit forms. */
  padding?: Padding;
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly [number, number];
}

export interface Conv2dOptions extends ConvOptions {
  /** Input and output channels are split into this many independent groups (default 1). */
  groups?: number;
}

/** What `convGeometry` needs besides the input shape: the kernel and channel counts, and the window options. */
export interface ConvGeometrySpec extends Conv2dOptions {
  kernelSize: number | readonly [number, number];
  outChannels: number;
}

function checkNhwcInput(op: string, shape: Shape): void {
  if (shape.length !== 4)
    throw new ShapeError(`${op}: input must be 4-D NHWC [N, H, W, C], got shape ${shapeToString(shape)}; ` +
      'add a batch axis or convert from NCHW (channels go last)');
}

function checkGroups(op: string, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1)
    throw new ArgumentError(`${op}: groups must be an integer >= 1, got ${groups}`);
}

/**
 * Validates a convolution's arguments against an NHWC input shape and resolves padding and output size. Throws
 * ShapeError (wrong rank, channels not divisible by groups, kernel larger than the padded input) or ArgumentError
 * (stride, dilation, kernel size or groups not a positive integer, bad padding). Layers use it to infer output
 * shapes; for depthwise pass groups = C and outChannels = C * multiplier.
 */
export function convGeometry(inputShape: Shape, spec: ConvGeometrySpec, op = 'conv2d'): ConvGeometry {
  checkNhwcInput(op, inputShape);
  const [batch, inH, inW, inC] = inputShape;
  const [kH, kW] = pair(spec.kernelSize, `${op} kernelSize`);
  const [strideH, strideW] = pair(spec.stride ?? 1, `${op} stride`);
  const [dilationH, dilationW] = pair(spec.dilation ?? 1, `${op} dilation`);
  const groups = spec.groups ?? 1;
  checkGroups(op, groups);
  const outC = spec.outChannels;
  if (!Number.isInteger(outC) || outC < 1)
    throw new ArgumentError(`${op}: outChannels must be an integer >= 1, got ${outC}`);
  if (inC % groups !== 0)
    throw new ShapeError(`${op}: input ${shapeToString(inputShape)} has ${inC} channels, not divisible by groups=${groups}; ` +
      'choose groups that divides the input channels');
  if (outC % groups !== 0)
    throw new ShapeError(`${op}: ${outC} output channels are not divisible by groups=${groups}; ` +
      'choose groups that divides both channel counts');
  const pads = resolvePadding(spec.padding ?? 'valid', inH, inW, kH, kW, strideH, strideW, dilationH, dilationW, op);
  const outH = windowOutput(inH, pads.top, pads.bottom, kH, strideH, dilationH, op, 'height');
  const outW = windowOutput(inW, pads.left, pads.right, kW, strideW, dilationW, op, 'width');
  return {
    batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilationH, dilationW,
    padTop: pads.top, padLeft: pads.left, padBottom: pads.bottom, padRight: pads.right, groups,
  };
}

/**
 * Runs a conv kernel family and records the op. The depthwise family serves the geometries `isDepthwise` accepts
 * (its weight [KH, KW, C*M] has the same memory layout as [KH, KW, 1, C*M]); the conv2d family handles the rest.
 */
function convOp(op: string, x: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry): Tensor {
  const depthwise = isDepthwise(g);
  const xd = x.data;
  const wd = w.data;
  const forward = depthwise ? kernel('depthwiseConv2d') : kernel('conv2d');
  const y = forward(xd, wd, bias === null ? null : bias.data, g);
  const inputs = bias === null ? [x, w] : [x, w, bias];
  const needX = x.requiresGrad;
  const needW = w.requiresGrad;
  const needBias = bias !== null && bias.requiresGrad;
  return record(new Tensor(y, [g.batch, g.outH, g.outW, g.outC]), op, inputs, (dy) => {
    const backwardInput = depthwise ? kernel('depthwiseConv2dBackwardInput') : kernel('conv2dBackwardInput');
    const backwardFilter = depthwise ? kernel('depthwiseConv2dBackwardFilter') : kernel('conv2dBackwardFilter');
    const dx = needX ? backwardInput(dy, wd, g) : null;
    const dw = needW ? backwardFilter(xd, dy, g) : null;
    return bias === null ? [dx, dw] : [dx, dw, needBias ? biasGradient(dy, g.outC) : null];
  }, { ...g });
}

/**
 * 2-D convolution (cross-correlation, as in PyTorch/TensorFlow) of x [N, H, W, C_in] with w [KH, KW, C_in/groups,
 * C_out], plus bias [C_out] when given. Output [N, OH, OW, C_out]. With groups = C_in this is a depthwise conv
 * (and runs the depthwise kernel).
 */
export function conv2d(x: Tensor, w: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  checkNhwcInput('conv2d', x.shape);
  if (w.rank !== 4)
    throw new ShapeError(`conv2d: weight must be 4-D [KH, KW, C_in/groups, C_out], got shape ${shapeToString(w.shape)}` +
      (w.rank === 3 ? '; for a [KH, KW, C*M] depthwise weight use depthwiseConv2d' : ''));
  const groups = options.groups ?? 1;
  checkGroups('conv2d', groups);
  const inC = x.shape[3];
  const [kH, kW, cinPerGroup, outC] = w.shape;
  if (cinPerGroup * groups !== inC)
    throw new ShapeError(`conv2d: input has ${inC} channels but the weight ${shapeToString(w.shape)} expects ` +
      `${cinPerGroup} x groups(${groups}) = ${cinPerGroup * groups} input channels; the weight layout is ` +
      '[KH, KW, C_in/groups, C_out]: fix the weight\'s third dimension or groups');
  checkBias('conv2d', bias, outC, 'output channels');
  const g = convGeometry(x.shape, { ...options, kernelSize: [kH, kW], outChannels: outC, groups }, 'conv2d');
  return convOp('conv2d', x, w, bias, g);
}

/**
 * Depthwise convolution: each input channel c is convolved with its own M filters (M = depth multiplier =
 * w.shape[2] / C), giving output channels c*M .. c*M + M-1. x [N, H, W, C], w [KH, KW, C*M], bias [C*M].
 */
export function depthwiseConv2d(x: Tensor, w: Tensor, bias: Tensor | null = null, options: ConvOptions = {}): Tensor {
  checkNhwcInput('depthwiseConv2d', x.shape);
  if (w.rank !== 3)
    throw new ShapeError(`depthwiseConv2d: weight must be 3-D [KH, KW, C*M], got shape ${shapeToString(w.shape)}` +
      (w.rank === 4 ? '; for a [KH, KW, C_in/groups, C_out] weight use conv2d' : ''));
  const channels = x.shape[3];
  const [kH, kW, outC] = w.shape;
  if (outC % channels !== 0 || outC === 0)
    throw new ShapeError(`depthwiseConv2d: weight ${shapeToString(w.shape)} has ${outC} output channels, not a positive ` +
      `multiple of the input's ${channels} channels; the weight is [KH, KW, C*M] with an integer depth multiplier M ` +
      `(e.g. [${kH}, ${kW}, ${channels}] for M = 1)`);
  checkBias('depthwiseConv2d', bias, outC, 'output channels (C*M)');
  const g = convGeometry(x.shape, { ...options, kernelSize: [kH, kW], outChannels: outC, groups: channels }, 'depthwiseConv2d');
  return convOp('depthwiseConv2d', x, w, bias, g);
}

/**
 * 1x1 convolution: a matrix product of the pixels [N*H*W, C_in] with w [C_in, C_out] (+ bias [C_out]).
 * Output [N, H, W, C_out]. Records attrs {m: N*H*W, k: C_in, n: C_out}.
 */
export function pointwiseConv2d(x: Tensor, w: Tensor, bias: Tensor | null = null): Tensor {
  checkNhwcInput('pointwiseConv2d', x.shape);
  if (w.rank !== 2)
    throw new ShapeError(`pointwiseConv2d: weight must be 2-D [C_in, C_out], got shape ${shapeToString(w.shape)}` +
      (w.rank === 4 ? '; reshape a [1, 1, C_in, C_out] weight to [C_in, C_out] or use conv2d' : ''));
  const [n, h, wd, inC] = x.shape;
  const [wIn, outC] = w.shape;
  if (wIn !== inC)
    throw new ShapeError(`pointwiseConv2d: input has ${inC} channels but the weight ${shapeToString(w.shape)} expects ${wIn}; ` +
      `the weight layout is [C_in, C_out] = [${inC}, ${outC}]`);
  checkBias('pointwiseConv2d', bias, outC, 'output channels');
  return gemmOp('pointwiseConv2d', x, w, bias, n * h * wd, inC, outC, [n, h, wd, outC]);
}
