/**
 * Importers of the TensorFlow ops found in tfjs-converter graph models of the MobileNet family. Convolutions,
 * matrix products with constant weights and fused batch norms become sepconv layers (Conv2d, PointwiseConv2d,
 * DepthwiseConv2d, Linear, BatchNorm2d, PReLU) holding the constant weights; the rest run as sepconv ops. TF graphs
 * are NHWC and TF filters HWIO ([KH, KW, C, M] for depthwise), sepconv's own layouts.
 */
import { FormatError, ShapeError } from '../../errors.js';
import { PReLU } from '../../nn/activation.js';
import { BatchNorm2d } from '../../nn/batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../../nn/conv.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import { leakyRelu, prelu, relu, relu6, sigmoid, tanh } from '../../ops/activation.js';
import { add, div, mul, sub } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linear.js';
import type { Padding } from '../../ops/padding.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../ops/pool.js';
import { mean } from '../../ops/reduce.js';
import { concat, pad2d, reshape, transpose } from '../../ops/shape.js';
import { softmax } from '../../ops/softmax.js';
import { keep } from '../../tensor/memory.js';
import { Random } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { clip } from '../onnx/extra_ops.js';
import type { Activation } from './activations.js';
import type { NodeAttrs } from './node_attrs.js';

/** A constant input's values (from the weights manifest, or folded at load). */
export interface ConstValue {
  shape: readonly number[];
  data: Float32Array | Int32Array;
  kind: 'float' | 'int';
}

/** What an op importer sees of its node at load time. */
export interface GraphOpContext {
  readonly attrs: NodeAttrs;
  /** Number of data inputs (control inputs "^name" excluded). */
  readonly inputCount: number;
  /** Input `i`'s value if it is a constant, else undefined. */
  constant(i: number): ConstValue | undefined;
  /** Registers the layer holding this node's weights (named after the node) and returns it. */
  addModule<M extends Module>(m: M): M;
}

/** How a node runs: which inputs it reads at run time (in that order) and what it computes from them. */
export interface GraphOpPlan {
  reads: readonly number[];
  run(xs: readonly Tensor[]): Tensor;
}

export type GraphOpImporter = (ctx: GraphOpContext) => GraphOpPlan;

const initRng = (): Random => new Random(0);

/** Constant input `i` of float type, optionally of `rank` axes; FormatError naming it otherwise. */
function floatConst(ctx: GraphOpContext, i: number, what: string, rank?: number): ConstValue & { data: Float32Array } {
  const c = ctx.constant(i);
  if (c === undefined || c.kind !== 'float') throw new FormatError(`${what} (input ${i}) must be a float constant`);
  if (rank !== undefined && c.shape.length !== rank) throw new FormatError(`${what} (input ${i}) must have ${rank} axes, got [${c.shape.join(', ')}]`);
  return c as ConstValue & { data: Float32Array };
}

/** Constant input `i` of integer type (shapes, axes, paddings). */
function intConst(ctx: GraphOpContext, i: number, what: string): number[] {
  const c = ctx.constant(i);
  if (c === undefined || c.kind !== 'int')
    throw new FormatError(`${what} (input ${i}) must be an integer constant (values computed at run time are not supported)`);
  return Array.from(c.data);
}

function inputs(ctx: GraphOpContext, n: number): void {
  if (ctx.inputCount !== n) throw new FormatError(`expected ${n} input${n === 1 ? '' : 's'}, got ${ctx.inputCount}`);
}

function nhwc(ctx: GraphOpContext): void {
  ctx.attrs.choice('data_format', ['NHWC'], 'NHWC');
}

function expect4d(x: Tensor, op: string): void {
  if (x.rank !== 4) throw new ShapeError(`${op} expects a 4-D NHWC input, got shape [${x.shape.join(', ')}]`);
}

/** [1, h, w, 1] -> [h, w] (batch and channel entries must be 1). */
function spatial(v: number[], name: string): [number, number] {
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) throw new FormatError(`${name} [${v.join(', ')}] must be [1, h, w, 1] (NHWC)`);
  return [v[1], v[2]];
}

/** The padding attribute of a conv or pool: SAME, VALID or EXPLICIT (explicit_paddings [0, 0, t, b, l, r, 0, 0]). */
function paddingOf(a: NodeAttrs): Padding {
  const mode = a.choice('padding', ['SAME', 'VALID', 'EXPLICIT']);
  const explicit = a.ints('explicit_paddings', []);
  if (mode !== 'EXPLICIT') return mode === 'SAME' ? 'same' : 'valid';
  if (explicit.length !== 8 || explicit[0] !== 0 || explicit[1] !== 0 || explicit[6] !== 0 || explicit[7] !== 0 || explicit.some((p) => p < 0))
    throw new FormatError(`explicit_paddings [${explicit.join(', ')}] must be [0, 0, top, bottom, left, right, 0, 0]`);
  return [explicit[2], explicit[3], explicit[4], explicit[5]];
}

function convWindow(ctx: GraphOpContext): { stride: [number, number]; dilation: [number, number]; padding: Padding } {
  nhwc(ctx);
  const a = ctx.attrs;
  return { stride: spatial(a.ints('strides'), 'strides'), dilation: spatial(a.ints('dilations', [1, 1, 1, 1]), 'dilations'), padding: paddingOf(a) };
}

/** A fused activation by its fused_ops name; Prelu takes the constant slope that follows the bias. */
function fusedActivation(ctx: GraphOpContext, name: string | undefined, slopeInput: number): Activation {
  ctx.attrs.ignore('epsilon');
  const alpha = ctx.attrs.float('leakyrelu_alpha', 0.2);
  switch (name) {
    case undefined: return (x) => x;
    case 'Relu': return relu;
    case 'Relu6': return relu6;
    case 'Sigmoid': return sigmoid;
    case 'Tanh': return tanh;
    case 'LeakyRelu': return (x) => leakyRelu(x, alpha);
    case 'Prelu': {
      const s = floatConst(ctx, slopeInput, 'Prelu slope');
      // Kept: a model loaded inside tidy() must not lose it.
      const slope = keep(new Tensor(Float32Array.from(s.data), [s.data.length]));
      return (x) => prelu(x, slope);
    }
    default: throw new FormatError(`fused activation "${name}" is not supported (supported: Relu, Relu6, Sigmoid, Tanh, LeakyRelu, Prelu)`);
  }
}

/**
 * The fused ops of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul: ["BiasAdd", activation?] with the bias
 * (and a Prelu slope) as extra inputs, or an activation alone.
 */
function fusedOps(ctx: GraphOpContext, first: number): { bias: Float32Array | null; act: Activation } {
  const ops = ctx.attrs.strings('fused_ops');
  const numArgs = ctx.attrs.int('num_args', 0);
  if (ctx.inputCount !== first + numArgs) throw new FormatError(`num_args is ${numArgs} but the node has ${ctx.inputCount - first} extra inputs`);
  if (ops[0] === 'BiasAdd' && ops.length <= 2) {
    const b = floatConst(ctx, first, 'bias', 1);
    return { bias: b.data, act: fusedActivation(ctx, ops[1], first + 1) };
  }
  if (ops.length === 1 && ops[0] !== 'BiasAdd') return { bias: null, act: fusedActivation(ctx, ops[0], first) };
  throw new FormatError(`fused_ops [${ops.join(', ')}] is not supported (supported: [BiasAdd], [BiasAdd, activation], [activation])`);
}

function conv(fused: boolean): GraphOpImporter {
  return (ctx) => {
    if (!fused) inputs(ctx, 2);
    const win = convWindow(ctx);
    const f = floatConst(ctx, 1, 'filter', 4);
    const [kh, kw, cin, cout] = f.shape;
    const { bias, act } = fused ? fusedOps(ctx, 2) : { bias: null, act: (x: Tensor) => x };
    if (bias !== null && bias.length !== cout) throw new FormatError(`bias has ${bias.length} values for ${cout} filters`);
    const unpadded = typeof win.padding === 'string' || (Array.isArray(win.padding) && win.padding.every((p) => p === 0));
    const pointwise = kh === 1 && kw === 1 && win.stride[0] === 1 && win.stride[1] === 1 && unpadded;
    const layer = ctx.addModule(pointwise
      ? new PointwiseConv2d({ inChannels: cin, outChannels: cout, bias: bias !== null, rng: initRng() })
      : new Conv2d({ inChannels: cin, outChannels: cout, kernelSize: [kh, kw], ...win, bias: bias !== null, rng: initRng() }));
    layer.weight.assign(f.data);
    if (bias !== null) layer.bias!.assign(bias);
    return { reads: [0], run: ([x]) => act(layer.forward(x)) };
  };
}

/** Depthwise filter [KH, KW, C, M]: output channel c*M + m, sepconv's [KH, KW, C*M] memory layout. */
function depthwise(fused: boolean): GraphOpImporter {
  return (ctx) => {
    if (!fused) inputs(ctx, 2);
    const win = convWindow(ctx);
    const f = floatConst(ctx, 1, 'filter', 4);
    const [kh, kw, c, m] = f.shape;
    const { bias, act } = fused ? fusedOps(ctx, 2) : { bias: null, act: (x: Tensor) => x };
    if (bias !== null && bias.length !== c * m) throw new FormatError(`bias has ${bias.length} values for ${c * m} output channels`);
    const layer = ctx.addModule(new DepthwiseConv2d({
      channels: c, kernelSize: [kh, kw], ...win, depthMultiplier: m, bias: bias !== null, rng: initRng(),
    }));
    layer.weight.assign(f.data);
    if (bias !== null) layer.bias!.assign(bias);
    return { reads: [0], run: ([x]) => act(layer.forward(x)) };
  };
}

function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** MatMul / _FusedMatMul: a constant right operand makes a Linear layer; two activations multiply as they are. */
function matMul(fused: boolean): GraphOpImporter {
  return (ctx) => {
    if (!fused) inputs(ctx, 2);
    const ta = ctx.attrs.bool('transpose_a', false);
    const tb = ctx.attrs.bool('transpose_b', false);
    const { bias, act } = fused ? fusedOps(ctx, 2) : { bias: null, act: (x: Tensor) => x };
    const b = ctx.constant(1);
    if (b === undefined || b.kind !== 'float' || ta) {
      if (bias !== null) throw new FormatError('a fused bias needs a constant right operand');
      const t2 = (x: Tensor, t: boolean): Tensor => (t ? transpose(x, [1, 0]) : x);
      return { reads: [0, 1], run: ([x, y]) => act(matmul(t2(x, ta), t2(y, tb))) };
    }
    if (b.shape.length !== 2) throw new FormatError(`the right operand must be 2-D, got [${b.shape.join(', ')}]`);
    const [rows, cols] = b.shape;
    const [k, n] = tb ? [cols, rows] : [rows, cols];
    if (bias !== null && bias.length !== n) throw new FormatError(`bias has ${bias.length} values for ${n} columns`);
    const layer = ctx.addModule(new Linear({ inFeatures: k, outFeatures: n, bias: bias !== null, rng: initRng() }));
    const w = Float32Array.from(b.data);
    layer.weight.assign(tb ? transposed(w, rows, cols) : w);
    if (bias !== null) layer.bias!.assign(bias);
    return { reads: [0], run: ([x]) => act(layer.forward(x)) };
  };
}

function binary(f: (a: Tensor, b: Tensor) => Tensor): GraphOpImporter {
  return (ctx) => {
    inputs(ctx, 2);
    return { reads: [0, 1], run: ([a, b]) => f(a, b) };
  };
}

const biasAdd: GraphOpImporter = (ctx) => {
  nhwc(ctx);
  return binary(add)(ctx);
};

/** Maximum / Minimum with a one-value constant: a clip (relu for max(x, 0)). */
function minMax(kind: 'max' | 'min'): GraphOpImporter {
  return (ctx) => {
    inputs(ctx, 2);
    const side = ctx.constant(1) !== undefined ? 1 : 0;
    const c = ctx.constant(side);
    if (c === undefined || c.data.length !== 1)
      throw new FormatError(`only ${kind === 'max' ? 'Maximum' : 'Minimum'} with a one-value constant (a clip) is supported`);
    const v = c.data[0];
    const run: Activation = kind === 'max' ? (v === 0 ? relu : (x) => clip(x, v, Infinity)) : (x) => clip(x, -Infinity, v);
    return { reads: [1 - side], run: ([x]) => run(x) };
  };
}

function unary(f: Activation): GraphOpImporter {
  return (ctx) => {
    inputs(ctx, 1);
    return { reads: [0], run: ([x]) => f(x) };
  };
}

const leakyReluOp: GraphOpImporter = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 0.2);
  return unary((x) => leakyRelu(x, alpha))(ctx);
};

/** Prelu with a constant slope that varies only over channels ([C], [1, 1, C], ...) is a PReLU layer. */
const preluOp: GraphOpImporter = (ctx) => {
  inputs(ctx, 2);
  const s = floatConst(ctx, 1, 'alpha');
  if (!s.shape.slice(0, -1).every((d) => d === 1))
    throw new FormatError(`alpha of shape [${s.shape.join(', ')}] is not supported (only one slope per channel, [C] or [1, 1, C])`);
  const layer = ctx.addModule(new PReLU({ numParameters: s.data.length }));
  layer.weight.assign(s.data);
  return { reads: [0], run: ([x]) => layer.forward(x) };
};

const softmaxOp: GraphOpImporter = (ctx) => unary((x) => softmax(x, -1))(ctx);

/** Mean over constant axes; over H and W of a 4-D tensor it is a global average pool. */
const meanOp: GraphOpImporter = (ctx) => {
  inputs(ctx, 2);
  const keepDims = ctx.attrs.bool('keep_dims', false);
  const raw = intConst(ctx, 1, 'reduction_indices');
  return {
    reads: [0],
    run: ([x]) => {
      const axes = [...new Set(raw.map((a) => (a < 0 ? a + x.rank : a)))].sort((p, q) => p - q);
      if (x.rank === 4 && axes.length === 2 && axes[0] === 1 && axes[1] === 2) return globalAvgPool2d(x, keepDims);
      return mean(x, axes, keepDims);
    },
  };
};

/** Pad / PadV2 of the H and W axes of a 4-D tensor with a constant. */
function padOp(v2: boolean): GraphOpImporter {
  return (ctx) => {
    inputs(ctx, v2 ? 3 : 2);
    const p = intConst(ctx, 1, 'paddings');
    const value = v2 ? floatConst(ctx, 2, 'constant_values').data[0] ?? 0 : 0;
    if (p.length !== 8 || p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0 || p.some((v) => v < 0))
      throw new FormatError(`paddings [${p.join(', ')}] are not supported (only non-negative padding of H and W of a 4-D NHWC tensor)`);
    return {
      reads: [0],
      run: ([x]) => {
        expect4d(x, 'Pad');
        return pad2d(x, { top: p[2], bottom: p[3], left: p[4], right: p[5] }, value);
      },
    };
  };
}

const reshapeOp: GraphOpImporter = (ctx) => {
  inputs(ctx, 2);
  const shape = intConst(ctx, 1, 'shape');
  return { reads: [0], run: ([x]) => reshape(x, shape) };
};

const squeezeOp: GraphOpImporter = (ctx) => {
  inputs(ctx, 1);
  const a = ctx.attrs;
  const axes = a.has('squeeze_dims') ? a.ints('squeeze_dims') : a.ints('axis', []);
  return {
    reads: [0],
    run: ([x]) => {
      const drop = new Set(axes.map((d) => (d < 0 ? d + x.rank : d)));
      for (const d of drop)
        if (x.shape[d] !== 1) throw new ShapeError(`Squeeze: axis ${d} of shape [${x.shape.join(', ')}] is not 1`);
      const kept = x.shape.filter((d, i) => (drop.size === 0 ? d !== 1 : !drop.has(i)));
      return reshape(x, kept);
    },
  };
};

const expandDimsOp: GraphOpImporter = (ctx) => {
  inputs(ctx, 2);
  const [axis] = intConst(ctx, 1, 'axis');
  return {
    reads: [0],
    run: ([x]) => {
      const at = axis < 0 ? axis + x.rank + 1 : axis;
      return reshape(x, [...x.shape.slice(0, at), 1, ...x.shape.slice(at)]);
    },
  };
};

const concatOp: GraphOpImporter = (ctx) => {
  const n = ctx.attrs.int('N', ctx.inputCount - 1);
  if (n !== ctx.inputCount - 1) throw new FormatError(`N is ${n} but the node has ${ctx.inputCount - 1} tensor inputs`);
  const [axis] = intConst(ctx, n, 'axis');
  return { reads: Array.from({ length: n }, (_, i) => i), run: (xs) => concat(xs, axis) };
};

function pool(kind: 'max' | 'avg'): GraphOpImporter {
  return (ctx) => {
    inputs(ctx, 1);
    nhwc(ctx);
    const a = ctx.attrs;
    const kernelSize = spatial(a.ints('ksize'), 'ksize');
    const stride = spatial(a.ints('strides'), 'strides');
    const padding = a.choice('padding', ['SAME', 'VALID']) === 'SAME' ? 'same' : 'valid';
    if (kind === 'max' && a.ints('explicit_paddings', []).length > 0) throw new FormatError('explicit_paddings are not supported for MaxPool');
    return {
      reads: [0],
      run: ([x]) => (kind === 'max' ? maxPool2d(x, { kernelSize, stride, padding }) : avgPool2d(x, { kernelSize, stride, padding, countIncludePad: false })),
    };
  };
}

/** FusedBatchNorm / FusedBatchNormV3 in inference mode as a BatchNorm2d layer. */
const fusedBatchNorm: GraphOpImporter = (ctx) => {
  inputs(ctx, 5);
  nhwc(ctx);
  if (ctx.attrs.bool('is_training', false)) throw new FormatError('is_training=true is not supported (inference graphs only)');
  const eps = ctx.attrs.float('epsilon', 1e-4);
  const [scale, offset, m, v] = [1, 2, 3, 4].map((i) => floatConst(ctx, i, ['scale', 'offset', 'mean', 'variance'][i - 1], 1));
  const c = scale.data.length;
  if ([offset, m, v].some((p) => p.data.length !== c)) throw new FormatError('scale, offset, mean and variance must all have C values');
  const layer = ctx.addModule(new BatchNorm2d({ numFeatures: c, eps }));
  layer.weight.assign(scale.data);
  layer.bias.assign(offset.data);
  layer.runningMean.assign(m.data);
  layer.runningVar.assign(v.data);
  return { reads: [0], run: ([x]) => layer.forward(x) };
};

const identity: GraphOpImporter = (ctx) => unary((x) => x)(ctx);

/** The importers by TF op name (Const and Placeholder are handled by the loader). */
export const GRAPH_OPS: Readonly<Record<string, GraphOpImporter>> = {
  Conv2D: conv(false),
  _FusedConv2D: conv(true),
  DepthwiseConv2dNative: depthwise(false),
  FusedDepthwiseConv2dNative: depthwise(true),
  MatMul: matMul(false),
  _FusedMatMul: matMul(true),
  BiasAdd: biasAdd,
  Add: binary(add),
  AddV2: binary(add),
  Sub: binary(sub),
  Mul: binary(mul),
  RealDiv: binary(div),
  Maximum: minMax('max'),
  Minimum: minMax('min'),
  Relu: unary(relu),
  Relu6: unary(relu6),
  Sigmoid: unary(sigmoid),
  Tanh: unary(tanh),
  LeakyRelu: leakyReluOp,
  Prelu: preluOp,
  Softmax: softmaxOp,
  Mean: meanOp,
  Pad: padOp(false),
  PadV2: padOp(true),
  Reshape: reshapeOp,
  Squeeze: squeezeOp,
  ExpandDims: expandDimsOp,
  ConcatV2: concatOp,
  MaxPool: pool('max'),
  AvgPool: pool('avg'),
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
  Identity: identity,
  StopGradient: identity,
  Snapshot: identity,
};

/** Supported TF ops, sorted (with the Const and Placeholder nodes the loader reads). */
export const SUPPORTED_GRAPH_OPS: readonly string[] = ['Const', 'Placeholder', ...Object.keys(GRAPH_OPS)].sort();
