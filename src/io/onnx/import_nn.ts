/**
 * Importers of the network ops: Conv (standard, grouped, depthwise, pointwise), BatchNormalization, Gemm and MatMul
 * become sepconv layers holding the converted weights (so the imported model has parameters, a state dict and
 * trains); pools, Pad, ReduceMean and Softmax run as ops. Spatial ops read and write NHWC.
 */
import { ShapeError } from '../../errors.js';
import { BatchNorm2d } from '../../nn/batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../../nn/conv.js';
import { Linear } from '../../nn/linear.js';
import { add, mulScalar } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linear.js';
import type { Padding } from '../../ops/padding.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../ops/pool.js';
import { mean, sum } from '../../ops/reduce.js';
import { pad2d, reshape, transpose } from '../../ops/shape.js';
import { logSoftmax, softmax } from '../../ops/softmax.js';
import { Random } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { floatStep, NodeProblem, type OpContext, type OpImporter } from './import_context.js';
import { axisOf, dropAxes } from './import_shape.js';
import { NHWC, identityPerm, invertPerm, oihwToHwio } from './layout.js';
import {
  expectFloat, expectInt, floatValue, inLayout, numbers, onnxDims, plain, type FloatValue, type Value,
} from './values.js';

/** Layers get their values from the file: a private generator keeps their throwaway init off the global stream. */
const initRng = (): Random => new Random(0);

/** A float constant input (weights), or a NodeProblem. */
function weight(ctx: OpContext, i: number, what: string, rank?: number): FloatValue {
  const c = ctx.constant(i);
  if (c === undefined || c.kind !== 'float') throw new NodeProblem(`${what} (input ${i}) must be a float initializer or Constant`);
  if (rank !== undefined && c.t.rank !== rank)
    throw new NodeProblem(`${what} (input ${i}) must be ${rank}-D, got dims [${onnxDims(c)}]`);
  return c;
}

function nhwcInput(x: Value | undefined, op: string): Tensor {
  const v = expectFloat(x, `${op} input`);
  if (v.t.rank !== 4) throw new ShapeError(`${op}: expected a 4-D NCHW input, got dims [${onnxDims(v)}]; only 2-D ${op} is supported`);
  return inLayout(v, NHWC);
}

/** [before, after] padding of ONNX auto_pad SAME_UPPER (extra cell after) or SAME_LOWER (extra cell before). */
function samePads(size: number, k: number, stride: number, dilation: number, lower: boolean): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0);
  const small = Math.floor(total / 2);
  return lower ? [total - small, small] : [small, total - small];
}

type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  autoPad: AutoPad;
  /** ONNX order [top, left, bottom, right]. */
  pads: readonly number[];
}

/** The window attributes shared by Conv and the pools (2-D only). */
function windowAttributes(ctx: OpContext, kernel: readonly number[], dilations: readonly number[] = [1, 1]): Window {
  const a = ctx.attrs;
  const strides = a.ints('strides', [1, 1]);
  const pads = a.ints('pads', [0, 0, 0, 0]);
  const autoPad = a.choice<AutoPad>('auto_pad', 'NOTSET', ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']);
  if (kernel.length !== 2 || strides.length !== 2 || dilations.length !== 2 || pads.length !== 4)
    throw new NodeProblem(`only 2-D windows are supported (kernel [${kernel}], strides [${strides}], dilations [${dilations}], pads [${pads}])`);
  if (pads.some((p) => p < 0)) throw new NodeProblem(`negative pads [${pads}] are not supported`);
  return { kernel: [kernel[0], kernel[1]], strides: [strides[0], strides[1]], dilations: [dilations[0], dilations[1]], autoPad, pads };
}

/** Explicit [top, bottom, left, right] padding of a window on an input of h x w. */
function resolvePads(w: Window, h: number, wd: number): [number, number, number, number] {
  if (w.autoPad === 'VALID') return [0, 0, 0, 0];
  if (w.autoPad === 'NOTSET') return [w.pads[0], w.pads[2], w.pads[1], w.pads[3]];
  const lower = w.autoPad === 'SAME_LOWER';
  const [t, b] = samePads(h, w.kernel[0], w.strides[0], w.dilations[0], lower);
  const [l, r] = samePads(wd, w.kernel[1], w.strides[1], w.dilations[1], lower);
  return [t, b, l, r];
}

/**
 * Conv with group = 1 (Conv2d, or PointwiseConv2d for an unpadded stride-1 1x1), group = C_in with one input channel
 * per group (DepthwiseConv2d, any multiplier) or any other group count (grouped Conv2d). Weights [O, I/g, KH, KW]
 * become [KH, KW, I/g, O] once, here. SAME_LOWER, whose padding depends on the input size, pads before a valid conv.
 */
const convImporter: OpImporter = (ctx) => {
  const w = weight(ctx, 1, 'weight W', 4);
  const [outC, inPerGroup, kh, kw] = onnxDims(w);
  const bias = ctx.hasInput(2) ? weight(ctx, 2, 'bias B', 1) : null;
  if (bias !== null && bias.t.size !== outC) throw new NodeProblem(`bias B has ${bias.t.size} values for ${outC} output channels`);
  const a = ctx.attrs;
  const group = a.int('group', 1);
  const kernel = a.ints('kernel_shape', [kh, kw]);
  if (kernel[0] !== kh || kernel[1] !== kw) throw new NodeProblem(`kernel_shape [${kernel}] does not match the weight dims [${onnxDims(w)}]`);
  const win = windowAttributes(ctx, kernel, a.ints('dilations', [1, 1]));
  const inC = inPerGroup * group;
  if (group < 1 || outC % group !== 0) throw new NodeProblem(`group ${group} does not divide the ${outC} output channels`);
  const padding: Padding = win.autoPad === 'VALID' || win.autoPad === 'SAME_LOWER' ? 'valid'
    : win.autoPad === 'SAME_UPPER' ? 'same' : [win.pads[0], win.pads[2], win.pads[1], win.pads[3]];
  const hasBias = bias !== null;
  const common = { stride: win.strides, dilation: win.dilations, padding, bias: hasBias, rng: initRng() };
  // A stride-1 1x1 window gets no padding from auto_pad.
  const unpadded = win.autoPad !== 'NOTSET' || win.pads.every((p) => p === 0);
  let layer: Conv2d | DepthwiseConv2d | PointwiseConv2d;
  if (group === 1 && kh === 1 && kw === 1 && win.strides[0] === 1 && win.strides[1] === 1 && unpadded)
    layer = new PointwiseConv2d({ inChannels: inC, outChannels: outC, bias: hasBias, rng: initRng() });
  else if (group === 1 || inPerGroup !== 1)
    layer = new Conv2d({ ...common, inChannels: inC, outChannels: outC, kernelSize: [kh, kw], groups: group });
  else layer = new DepthwiseConv2d({ ...common, channels: inC, kernelSize: [kh, kw], depthMultiplier: outC / inC });
  ctx.addModule(layer);
  // [KH, KW, I/g, O] has the memory layout of depthwise [KH, KW, C*M] (I/g = 1) and pointwise [I, O] (KH = KW = 1).
  layer.weight.assign(oihwToHwio(w.t.data, [outC, inPerGroup, kh, kw]));
  if (bias !== null) layer.bias!.assign(bias.t.data);
  const lower = win.autoPad === 'SAME_LOWER';
  return floatStep(([x]) => {
    let t = nhwcInput(x, 'Conv');
    if (lower) {
      const [top, bottom, left, right] = resolvePads(win, t.shape[1], t.shape[2]);
      t = pad2d(t, { top, bottom, left, right });
    }
    return [floatValue(layer.forward(t), NHWC)];
  });
};

/**
 * Explicit pool padding for an input of h x w, with ceil_mode's extra bottom/right cells (a last window that would
 * start in the padding is dropped, as PyTorch and ONNX Runtime do).
 */
function poolPads(win: Window, ceil: boolean, h: number, wd: number): { pads: [number, number, number, number]; extra: boolean } {
  const pads = resolvePads(win, h, wd);
  if (!ceil) return { pads, extra: false };
  let extra = false;
  const grow = (size: number, before: number, after: number, k: number, s: number): number => {
    let out = Math.ceil((size + before + after - k) / s) + 1;
    if ((out - 1) * s >= size + before) out--;
    const more = Math.max((out - 1) * s + k - (size + before + after), 0);
    if (more > 0) extra = true;
    return after + more;
  };
  pads[1] = grow(h, pads[0], pads[1], win.kernel[0], win.strides[0]);
  pads[3] = grow(wd, pads[2], pads[3], win.kernel[1], win.strides[1]);
  return { pads, extra };
}

function poolImporter(kind: 'max' | 'avg'): OpImporter {
  return (ctx) => {
    const a = ctx.attrs;
    const kernel = a.ints('kernel_shape');
    const dilations = a.ints('dilations', [1, 1]);
    if (dilations.some((d) => d !== 1)) throw new NodeProblem(`dilations [${dilations}] are not supported for pooling`);
    const win = windowAttributes(ctx, kernel, dilations);
    const ceil = ctx.opset >= 10 && a.int('ceil_mode', 0) !== 0;
    const countIncludePad = kind === 'avg' && a.int('count_include_pad', 0) !== 0;
    if (kind === 'max') {
      a.ignore('storage_order');
      if (ctx.outputUsed(1)) throw new NodeProblem('the Indices output is not supported');
    }
    return floatStep(([x]) => {
      const t = nhwcInput(x, kind === 'max' ? 'MaxPool' : 'AveragePool');
      const { pads, extra } = poolPads(win, ceil, t.shape[1], t.shape[2]);
      if (extra && countIncludePad)
        throw new ShapeError('AveragePool: ceil_mode with count_include_pad is not supported where the last window overhangs');
      const opts = { kernelSize: win.kernel, stride: win.strides, padding: pads };
      return [floatValue(kind === 'max' ? maxPool2d(t, opts) : avgPool2d(t, { ...opts, countIncludePad }), NHWC)];
    }, kind === 'max' ? 2 : 1);
  };
}

const globalAveragePoolImporter: OpImporter = () =>
  floatStep(([x]) => [floatValue(globalAvgPool2d(nhwcInput(x, 'GlobalAveragePool'), true), NHWC)]);

/**
 * BatchNormalization (inference form) as a BatchNorm2d layer. Inputs of rank 2 ([N, C]) or 3 ([N, C, L]) run as
 * [N, 1, L, C] images.
 */
const batchNormImporter: OpImporter = (ctx) => {
  const a = ctx.attrs;
  const eps = a.float('epsilon', 1e-5);
  a.ignore('momentum');
  if (ctx.opset < 7 && a.int('is_test', 0) === 0) throw new NodeProblem('is_test=0 (training mode) is not supported');
  if (ctx.opset < 9 && a.int('spatial', 1) !== 1) throw new NodeProblem('spatial=0 is not supported');
  if (ctx.opset >= 14 && a.int('training_mode', 0) !== 0) throw new NodeProblem('training_mode=1 is not supported');
  if ([1, 2, 3, 4].some((i) => ctx.outputUsed(i))) throw new NodeProblem('only the Y output is supported (inference mode)');
  const [scale, b, m, v] = [1, 2, 3, 4].map((i) => weight(ctx, i, ['scale', 'B', 'mean', 'var'][i - 1], 1));
  const c = scale.t.size;
  if ([b, m, v].some((p) => p.t.size !== c)) throw new NodeProblem('scale, B, mean and var must all have C values');
  const layer = ctx.addModule(new BatchNorm2d({ numFeatures: c, eps }));
  layer.weight.assign(scale.t.data);
  layer.bias.assign(b.t.data);
  layer.runningMean.assign(m.t.data);
  layer.runningVar.assign(v.t.data);
  return floatStep(([x]) => {
    const val = expectFloat(x, 'X');
    const rank = val.t.rank;
    if (rank === 4) return [floatValue(layer.forward(inLayout(val, NHWC)), NHWC)];
    if (rank < 2) throw new ShapeError(`BatchNormalization: input must have a channel axis, got dims [${onnxDims(val)}]`);
    const channelsLast = [0, ...identityPerm(rank).slice(2), 1];
    const t = inLayout(val, channelsLast);
    const y = layer.forward(reshape(t, [t.shape[0], 1, t.size / (t.shape[0] * c), c]));
    return [floatValue(reshape(y, t.shape), channelsLast)];
  }, 5);
};

/** Rows of a 2-D constant transposed (for Gemm's transB). */
function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

function plain2d(v: Value | undefined, what: string, trans: boolean): Tensor {
  const t = plain(expectFloat(v, what));
  if (t.rank !== 2) throw new ShapeError(`Gemm: ${what} must be 2-D, got [${t.shape}]`);
  return trans ? transpose(t, [1, 0]) : t;
}

/**
 * Gemm: Y = alpha A' B' + beta C. With a constant B and a C that is a per-column bias (or absent) it becomes a
 * Linear layer with alpha and beta folded in; otherwise it runs as matmul, scale and add.
 */
const gemmImporter: OpImporter = (ctx) => {
  const a = ctx.attrs;
  const alpha = a.float('alpha', 1);
  const beta = a.float('beta', 1);
  const transA = a.int('transA', 0) !== 0;
  const transB = a.int('transB', 0) !== 0;
  // Opset 6's broadcast flag only allowed what later opsets always do.
  if (ctx.opset < 7) a.ignore('broadcast');
  const b = ctx.constant(1);
  const c = ctx.hasInput(2) ? ctx.constant(2) : null;
  const cDims = c === undefined || c === null || c.kind !== 'float' ? null : onnxDims(c);
  const biasLike = c === null || (cDims !== null && cDims.length <= 2 && (cDims.length < 2 || cDims[0] === 1));
  if (b !== undefined && b.kind === 'float' && b.t.rank === 2 && biasLike) {
    const [rows, cols] = onnxDims(b);
    const [k, n] = transB ? [cols, rows] : [rows, cols];
    const cValues = c === null || c === undefined ? null : numbers(c);
    if (cValues !== null && cValues.length !== 1 && cValues.length !== n)
      throw new NodeProblem(`C has ${cValues.length} values for ${n} output columns`);
    const layer = ctx.addModule(new Linear({ inFeatures: k, outFeatures: n, bias: cValues !== null, rng: initRng() }));
    const wData = transB ? transpose2d(b.t.data, rows, cols) : Float32Array.from(b.t.data);
    for (let i = 0; i < wData.length; i++) wData[i] *= alpha;
    layer.weight.assign(wData);
    if (cValues !== null) layer.bias!.assign(Float32Array.from({ length: n }, (_, j) => beta * cValues[cValues.length === 1 ? 0 : j]));
    return floatStep(([x]) => [floatValue(layer.forward(plain2d(x, 'A', transA)))]);
  }
  return floatStep(([x, y, z]) => {
    let out = matmul(plain2d(x, 'A', transA), plain2d(y, 'B', transB));
    if (alpha !== 1) out = mulScalar(out, alpha);
    if (z !== undefined) out = add(out, mulScalar(plain(expectFloat(z, 'C')), beta));
    return [floatValue(out)];
  });
};

/** MatMul with a constant 2-D right operand is a Linear layer (any leading dims of A); two activations need 2-D. */
const matmulImporter: OpImporter = (ctx) => {
  const b = ctx.constant(1);
  if (b !== undefined && b.kind === 'float' && b.t.rank === 2) {
    const [k, n] = onnxDims(b);
    const layer = ctx.addModule(new Linear({ inFeatures: k, outFeatures: n, bias: false, rng: initRng() }));
    layer.weight.assign(b.t.data);
    return floatStep(([x]) => {
      const t = plain(expectFloat(x, 'A'));
      const lead = t.shape.slice(0, -1);
      if (t.rank === 2) return [floatValue(layer.forward(t))];
      const y = layer.forward(reshape(t, [lead.reduce((p, d) => p * d, 1), t.shape[t.rank - 1]]));
      return [floatValue(reshape(y, [...lead, n]))];
    });
  }
  return floatStep(([x, y]) => {
    const [p, q] = [plain(expectFloat(x, 'A')), plain(expectFloat(y, 'B'))];
    if (p.rank !== 2 || q.rank !== 2)
      throw new ShapeError(`MatMul: batched products of two activations are not supported (got [${p.shape}] x [${q.shape}])`);
    return [floatValue(matmul(p, q))];
  });
};

/** Pad (constant mode) on the H and W axes of a 4-D tensor. */
const padImporter: OpImporter = (ctx) => {
  ctx.attrs.choice('mode', 'constant', ['constant']);
  const attrPads = ctx.opset < 11 ? ctx.attrs.ints('pads') : null;
  const value = ctx.opset < 11 ? ctx.attrs.float('value', 0) : constantValue(ctx);
  return floatStep((inputs) => {
    const v = expectFloat(inputs[0], 'data');
    const rank = v.t.rank;
    const pads = attrPads ?? expectInt(inputs[1], 'pads').data;
    const axes = ctx.opset >= 18 && inputs[3] !== undefined
      ? expectInt(inputs[3], 'axes').data.map((a) => axisOf(a, rank, 'Pad'))
      : identityPerm(rank);
    if (pads.length !== 2 * axes.length) throw new ShapeError(`Pad: ${pads.length} pads for ${axes.length} axes`);
    const before = new Array<number>(rank).fill(0);
    const after = new Array<number>(rank).fill(0);
    axes.forEach((a, i) => {
      before[a] = pads[i];
      after[a] = pads[i + axes.length];
    });
    if ([...before, ...after].every((p) => p === 0)) return [v];
    if (rank !== 4 || [...before, ...after].some((p) => p < 0) || before[0] + after[0] + before[1] + after[1] !== 0)
      throw new ShapeError(`Pad: only non-negative padding of the H and W axes of a 4-D tensor is supported, got pads [${pads}] for dims [${onnxDims(v)}]`);
    const t = pad2d(inLayout(v, NHWC), { top: before[2], bottom: after[2], left: before[3], right: after[3] }, value);
    return [floatValue(t, NHWC)];
  });
};

/** Pad's constant_value input (opset 11+), 0 when omitted. */
function constantValue(ctx: OpContext): number {
  if (!ctx.hasInput(2)) return 0;
  const c = ctx.constant(2);
  if (c === undefined) throw new NodeProblem('constant_value (input 2) must be a constant');
  return numbers(c)[0] ?? 0;
}

/**
 * ReduceMean / ReduceSum over ONNX axes, mapped to wherever those axes sit in the value's layout. The axes moved
 * from an attribute to an input in opset 18 (ReduceMean) and 13 (ReduceSum).
 */
function reduceImporter(fn: typeof mean, op: string, axesInputFrom: number): OpImporter {
  return (ctx) => {
    const keepDims = ctx.attrs.int('keepdims', 1) !== 0;
    const asInput = ctx.opset >= axesInputFrom;
    const attrAxes = !asInput && ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : null;
    const noopEmpty = asInput && ctx.attrs.int('noop_with_empty_axes', 0) !== 0;
    return floatStep((inputs) => {
      const v = expectFloat(inputs[0], 'data');
      const rank = v.t.rank;
      const given = !asInput ? attrAxes : inputs[1] === undefined ? null : expectInt(inputs[1], 'axes').data;
      if ((given === null || given.length === 0) && noopEmpty) return [v];
      const axes = given === null || given.length === 0 ? identityPerm(rank) : given.map((a) => axisOf(a, rank, op));
      const inv = invertPerm(v.perm);
      const kept = floatValue(fn(v.t, axes.map((a) => inv[a]), true), v.perm);
      return [keepDims ? kept : dropAxes(kept, new Set(axes))];
    });
  };
}

/**
 * Softmax / LogSoftmax. From opset 13 along one axis; before, over the flattened axes from `axis` on (the same thing
 * when axis is the last one, the usual case).
 */
function softmaxImporter(log: boolean): OpImporter {
  return (ctx) => {
    const legacy = ctx.opset < 13;
    const axis = ctx.attrs.int('axis', legacy ? 1 : -1);
    const fn = log ? logSoftmax : softmax;
    return floatStep(([x]) => {
      const v = expectFloat(x, 'input');
      const rank = v.t.rank;
      const a = axisOf(axis, rank, log ? 'LogSoftmax' : 'Softmax');
      if (!legacy || a === rank - 1) return [floatValue(fn(v.t, invertPerm(v.perm)[a]), v.perm)];
      const t = plain(v);
      const outer = t.shape.slice(0, a).reduce((p, d) => p * d, 1);
      return [floatValue(reshape(fn(reshape(t, [outer, t.size / outer]), -1), t.shape))];
    });
  };
}

export const NN_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  Conv: convImporter,
  MaxPool: poolImporter('max'),
  AveragePool: poolImporter('avg'),
  GlobalAveragePool: globalAveragePoolImporter,
  BatchNormalization: batchNormImporter,
  Gemm: gemmImporter,
  MatMul: matmulImporter,
  Pad: padImporter,
  ReduceMean: reduceImporter(mean, 'ReduceMean', 18),
  ReduceSum: reduceImporter(sum, 'ReduceSum', 13),
  Softmax: softmaxImporter(false),
  LogSoftmax: softmaxImporter(true),
};
