/**
 * One emitter per sepconv op: given the op event recorded during the traced forward pass, it writes the ONNX nodes
 * that compute the same thing on NCHW values and returns the ONNX value holding the op's output.
 */
import { ArgumentError } from '../../errors.js';
import type { ConvGeometry, PoolGeometry } from '../../backend/kernels.js';
import { BatchNorm2d, type BnAffine } from '../../nn/batchnorm.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { OpEvent } from '../../tensor/trace.js';
import { attr, floatTensor } from './builder.js';
import { GraphWriter, onnxAxis, onnxDims, onnxOrder } from './export_writer.js';
import { hwioToOihw, identityPerm, invertPerm, isDataPreserving, permuteShape, transposeData } from './layout.js';

export interface ExportContext {
  /** Modules by dotted path (events name the scope that ran them). */
  modules: ReadonlyMap<string, Module>;
  /** Convolutions whose output feeds only a batch norm that is folded into them. */
  foldedInto: ReadonlyMap<OpEvent, BnAffine>;
}

type Emit = (e: OpEvent, w: GraphWriter, c: ExportContext) => string;

function attrOf<T>(e: OpEvent, key: string, what: string): T {
  const v = e.attrs?.[key];
  if (v === undefined)
    throw new ArgumentError(`exportOnnx: op '${e.op}'${e.scope === '' ? '' : ` in layer '${e.scope}'`} did not record its ${what} ` +
      `(attrs.${key}), which the ONNX node needs; record it in the op's record(...) call`);
  return v as T;
}

/** The BatchNorm2d module that ran a batchNorm2d event (its running statistics are not op inputs). */
export function batchNormModule(e: OpEvent, c: ExportContext): BatchNorm2d {
  const m = c.modules.get(e.scope);
  if (!(m instanceof BatchNorm2d) || m.weight !== e.inputs[1])
    throw new ArgumentError(`exportOnnx: batchNorm2d in '${e.scope || 'the root module'}' does not come from a BatchNorm2d layer; ` +
      'export needs the layer to read its running statistics (use nn.BatchNorm2d)');
  if (e.attrs?.['training'] === true) throw new ArgumentError(`exportOnnx: batch norm '${e.scope}' ran in training mode`);
  return m;
}

/** Conv weight (ONNX OIHW) and bias, with a folded batch norm applied when there is one. */
function convParams(e: OpEvent, w: GraphWriter, c: ExportContext, hwio: (s: readonly number[]) => number[]): string[] {
  const [, wt, b] = e.inputs;
  if (w.has(wt))
    throw new ArgumentError(`exportOnnx: ${e.op} in '${e.scope}' has a weight computed in the forward pass; only parameters and ` +
      'constants can be exported as conv weights');
  const toOihw = (d: Float32Array, s: readonly number[]) => {
    const dims = hwio(s);
    return { data: hwioToOihw(d, dims), dims: [dims[3], dims[2], dims[0], dims[1]] };
  };
  const fold = c.foldedInto.get(e);
  if (fold === undefined) return b === undefined ? [w.weight(wt, 'oihw', toOihw)] : [w.weight(wt, 'oihw', toOihw), w.value(b)];
  // Each output channel's filter and bias scaled by the batch norm: W' = W * scale, b' = b * scale + shift.
  const { data, dims } = toOihw(wt.data, wt.shape);
  const per = data.length / dims[0];
  for (let i = 0; i < data.length; i++) data[i] *= fold.scale[Math.floor(i / per)];
  const bias = Array.from(fold.shift, (shift, o) => (b === undefined ? 0 : b.data[o] * fold.scale[o]) + shift);
  const base = w.paramName(wt) ?? 'conv.weight';
  return [w.initializer(floatTensor(w.fresh(`${base}_bn_folded`), dims, data)), w.floatConst(bias, [bias.length], `${base}_bn_folded_bias`)];
}

const conv: Emit = (e, w, c) => {
  const g = e.attrs as unknown as ConvGeometry;
  const depthwise = e.op === 'depthwiseConv2d';
  const params = convParams(e, w, c, (s) => (depthwise ? [s[0], s[1], 1, s[2]] : [...s]));
  return w.one('Conv', [w.value(e.inputs[0]), ...params], e.scope, {
    kernel_shape: attr.ints([g.kH, g.kW]), strides: attr.ints([g.strideH, g.strideW]), dilations: attr.ints([g.dilationH, g.dilationW]),
    pads: attr.ints([g.padTop, g.padLeft, g.padBottom, g.padRight]), group: attr.int(g.groups),
  });
};

const pointwise: Emit = (e, w, c) => {
  const params = convParams(e, w, c, (s) => [1, 1, s[0], s[1]]);
  return w.one('Conv', [w.value(e.inputs[0]), ...params], e.scope, { kernel_shape: attr.ints([1, 1]) });
};

const linear: Emit = (e, w) => w.one('Gemm', e.inputs.map((t) => w.value(t)), e.scope);

const batchNorm: Emit = (e, w, c) => {
  const m = batchNormModule(e, c);
  const inputs = [e.inputs[0], m.weight, m.bias, m.runningMean, m.runningVar].map((t) => w.value(t));
  return w.one('BatchNormalization', inputs, e.scope, { epsilon: attr.float(m.eps) });
};

function clipNode(x: string, lo: number, hi: number, w: GraphWriter, scope: string): string {
  if (w.opset < 11) return w.one('Clip', [x], scope, { min: attr.float(lo), max: attr.float(hi) });
  return w.one('Clip', [x, w.floatConst([lo], [], 'clip_min'), w.floatConst([hi], [], 'clip_max')], scope);
}

/** relu6(x + 3) / 6 as ONNX HardSigmoid (native in every opset sepconv writes). */
function hardSigmoidNode(x: string, w: GraphWriter, scope: string): string {
  return w.one('HardSigmoid', [x], scope, { alpha: attr.float(1 / 6), beta: attr.float(0.5) });
}

function unary(op: string): Emit {
  return (e, w) => w.one(op, [w.value(e.inputs[0])], e.scope);
}

const relu6: Emit = (e, w) => clipNode(w.value(e.inputs[0]), 0, 6, w, e.scope);

const clip: Emit = (e, w) => clipNode(w.value(e.inputs[0]), attrOf<number>(e, 'min', 'lower bound'), attrOf<number>(e, 'max', 'upper bound'), w, e.scope);

const hardSwish: Emit = (e, w) => {
  const x = w.value(e.inputs[0]);
  if (w.opset >= 14) return w.one('HardSwish', [x], e.scope);
  return w.one('Mul', [x, hardSigmoidNode(x, w, e.scope)], e.scope);
};

/** x * sigmoid(x): ONNX has no Swish op. */
const swish: Emit = (e, w) => {
  const x = w.value(e.inputs[0]);
  return w.one('Mul', [x, w.one('Sigmoid', [x], e.scope)], e.scope);
};

const leakyRelu: Emit = (e, w) => w.one('LeakyRelu', [w.value(e.inputs[0])], e.scope, { alpha: attr.float(attrOf<number>(e, 'alpha', 'slope')) });

/**
 * The ONNX value of `t` broadcast-aligned to an output of rank `rank`: sepconv aligns shapes at the right in NHWC
 * order, so a lower-rank operand of a 4-D op is first lifted to 4-D NHWC and then put in NCHW order.
 */
function aligned(t: Tensor, rank: number, w: GraphWriter, scope: string): string {
  if (rank !== 4 || t.rank === 4) return w.value(t);
  const lifted = [...new Array<number>(4 - t.rank).fill(1), ...t.shape];
  if (!w.has(t))
    return w.weight(t, 'nchw', (d) => ({ data: transposeData(d, lifted, onnxOrder(4)), dims: onnxDims(lifted) }));
  return w.transpose(w.reshape(w.value(t), lifted, scope), lifted, onnxOrder(4), scope);
}

function binary(op: string): Emit {
  return (e, w) => {
    const rank = e.output.rank;
    return w.one(op, e.inputs.map((t) => aligned(t, rank, w, e.scope)), e.scope);
  };
}

const prelu: Emit = (e, w) => {
  const [x, slope] = e.inputs;
  const dims = x.rank === 4 && slope.size > 1 ? [slope.size, 1, 1] : [slope.size];
  const s = w.has(slope) ? w.reshape(w.value(slope), dims, e.scope) : w.weight(slope, `prelu${dims.length}`, (d) => ({ data: d, dims }));
  return w.one('PRelu', [w.value(x), s], e.scope);
};

function pool(op: 'MaxPool' | 'AveragePool'): Emit {
  return (e, w) => {
    const g = e.attrs as unknown as PoolGeometry;
    const attrs = {
      kernel_shape: attr.ints([g.kH, g.kW]), strides: attr.ints([g.strideH, g.strideW]),
      pads: attr.ints([g.padTop, g.padLeft, g.padBottom, g.padRight]),
      ...(op === 'AveragePool' ? { count_include_pad: attr.int(e.attrs?.['countIncludePad'] === true ? 1 : 0) } : {}),
    };
    return w.one(op, [w.value(e.inputs[0])], e.scope, attrs);
  };
}

const globalAvgPool: Emit = (e, w) => {
  const y = w.one('GlobalAveragePool', [w.value(e.inputs[0])], e.scope);
  return e.output.rank === 2 ? w.one('Flatten', [y], e.scope, { axis: attr.int(1) }) : y;
};

const affineScalar: Emit = (e, w) => {
  const s = attrOf<number>(e, 's', 'scale');
  const t = attrOf<number>(e, 't', 'offset');
  let y = w.value(e.inputs[0]);
  if (s !== 1) y = w.one('Mul', [y, w.floatConst([s], [], 'scale')], e.scope);
  if (t !== 0) y = w.one('Add', [y, w.floatConst([t], [], 'offset')], e.scope);
  return y;
};

const square: Emit = (e, w) => {
  const x = w.value(e.inputs[0]);
  return w.one('Mul', [x, x], e.scope);
};

/**
 * reshape (and flatten) act on sepconv's NHWC order: a 4-D input is put back in NHWC order first, and a 4-D result
 * is put in NCHW order after (each transpose left out when only size-1 axes move). [N, ...] -> [N, rest] is written
 * as Flatten, which keeps the file independent of the batch size.
 */
const reshape: Emit = (e, w) => {
  const x = e.inputs[0];
  const out = e.output.shape;
  const toSepconv = invertPerm(onnxOrder(x.rank));
  let y = w.value(x);
  if (!isDataPreserving(onnxDims(x.shape), toSepconv)) y = w.one('Transpose', [y], e.scope, { perm: attr.ints(toSepconv) });
  const toOnnx = onnxOrder(out.length);
  const after = !isDataPreserving(out, toOnnx);
  if (out.length === 2 && out[0] === x.shape[0]) y = w.one('Flatten', [y], e.scope, { axis: attr.int(1) });
  else y = w.reshape(y, after ? out : onnxDims(out), e.scope);
  return after ? w.one('Transpose', [y], e.scope, { perm: attr.ints(toOnnx) }) : y;
};

/** sepconv transpose(x, q) between ONNX layouts: ONNX perm P[i] = L_in^-1[q[L_out[i]]]. */
const transpose: Emit = (e, w) => {
  const q = attrOf<number[]>(e, 'perm', 'permutation');
  const x = e.inputs[0];
  const rank = x.rank;
  const inOrder = invertPerm(onnxOrder(rank));
  const perm = onnxOrder(rank).map((a) => inOrder[q[a] < 0 ? q[a] + rank : q[a]]);
  return w.transpose(w.value(x), onnxDims(x.shape), perm, e.scope);
};

/** The axis concat joined on: recorded, or the one axis where the output differs from the first input. */
function concatAxis(e: OpEvent): number {
  const recorded = e.attrs?.['axis'];
  if (typeof recorded === 'number') return recorded < 0 ? recorded + e.output.rank : recorded;
  const first = e.inputs[0];
  const a = e.output.shape.findIndex((d, i) => d !== first.shape[i]);
  return a < 0 ? e.output.rank - 1 : a;
}

const concat: Emit = (e, w) => {
  const rank = e.output.rank;
  return w.one('Concat', e.inputs.map((t) => w.value(t)), e.scope, { axis: attr.int(onnxAxis(concatAxis(e), rank)) });
};

const pad: Emit = (e, w) => {
  const p = ['top', 'bottom', 'left', 'right'].map((k) => attrOf<number>(e, k, `${k} padding`));
  const value = attrOf<number>(e, 'value', 'padding value');
  const pads = [0, 0, p[0], p[2], 0, 0, p[1], p[3]];
  const x = w.value(e.inputs[0]);
  if (w.opset < 11) return w.one('Pad', [x], e.scope, { pads: attr.ints(pads), value: attr.float(value) });
  return w.one('Pad', [x, w.intConst(pads, 'pads'), w.floatConst([value], [], 'pad_value')], e.scope);
};

/** mean / sum over sepconv axes; without keepDims the surviving axes are put back in sepconv order. */
function reduce(op: 'ReduceMean' | 'ReduceSum'): Emit {
  return (e, w) => {
    const x = e.inputs[0];
    const rank = x.rank;
    const given = e.attrs?.['axes'] as number[] | undefined;
    const keepDims = attrOf<boolean>(e, 'keepDims', 'keepDims flag');
    const axes = (given ?? identityPerm(rank)).map((a) => onnxAxis(a, rank)).sort((a, b) => a - b);
    // ReduceSum took axes as an input from opset 13, ReduceMean from 18.
    const asInput = w.opset >= (op === 'ReduceSum' ? 13 : 18);
    const inputs = asInput ? [w.value(x), w.intConst(axes, 'axes')] : [w.value(x)];
    const y = w.one(op, inputs, e.scope, { keepdims: attr.int(keepDims ? 1 : 0), ...(asInput ? {} : { axes: attr.ints(axes) }) });
    if (keepDims) return y;
    // ONNX keeps the surviving axes in ONNX order; sepconv keeps them in its own order, which the output's ONNX
    // layout then permutes again (for a 4-D result).
    const order = onnxOrder(rank);
    const left = identityPerm(rank).filter((i) => !axes.includes(i));
    const sepconvAxes = left.map((i) => order[i]);
    const sorted = [...sepconvAxes].sort((p, q) => p - q);
    const perm = onnxOrder(left.length).map((j) => sepconvAxes.indexOf(sorted[j]));
    return w.transpose(y, permuteShape(onnxDims(x.shape), left), perm, e.scope);
  };
}

function softmax(op: 'Softmax' | 'LogSoftmax'): Emit {
  return (e, w) => {
    const x = e.inputs[0];
    const rank = x.rank;
    const a = onnxAxis(attrOf<number>(e, 'axis', 'axis'), rank);
    const v = w.value(x);
    // Before opset 13 Softmax normalised over all axes from `axis` on: move the axis last first.
    if (w.opset >= 13 || a === rank - 1) return w.one(op, [v], e.scope, { axis: attr.int(a) });
    const last = [...identityPerm(rank).filter((i) => i !== a), a];
    const dims = onnxDims(x.shape);
    const y = w.one(op, [w.transpose(v, dims, last, e.scope)], e.scope, { axis: attr.int(rank - 1) });
    return w.transpose(y, permuteShape(dims, last), invertPerm(last), e.scope);
  };
}

const EMITTERS: Readonly<Record<string, Emit>> = {
  conv2d: conv,
  depthwiseConv2d: conv,
  pointwiseConv2d: pointwise,
  linear,
  matmul: (e, w) => w.one('MatMul', e.inputs.map((t) => w.value(t)), e.scope),
  batchNorm2d: batchNorm,
  relu: unary('Relu'),
  relu6,
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  hardSigmoid: (e, w) => hardSigmoidNode(w.value(e.inputs[0]), w, e.scope),
  hardSigmoidAffine: (e, w) => w.one('HardSigmoid', [w.value(e.inputs[0])], e.scope, {
    alpha: attr.float(attrOf<number>(e, 'alpha', 'slope')), beta: attr.float(attrOf<number>(e, 'beta', 'offset')),
  }),
  hardSwish,
  swish,
  leakyRelu,
  prelu,
  clip,
  maxPool2d: pool('MaxPool'),
  avgPool2d: pool('AveragePool'),
  globalAvgPool2d: globalAvgPool,
  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),
  div: binary('Div'),
  affineScalar,
  square,
  reshape,
  transpose,
  concat,
  pad2d: pad,
  mean: reduce('ReduceMean'),
  sum: reduce('ReduceSum'),
  softmax: softmax('Softmax'),
  logSoftmax: softmax('LogSoftmax'),
};

/** sepconv ops that `exportOnnx` can write. */
export const EXPORTABLE_OPS: readonly string[] = Object.keys(EMITTERS).sort();

/** Writes the nodes for one op event and returns the ONNX value of its output. */
export function emit(e: OpEvent, w: GraphWriter, c: ExportContext): string {
  const fn = Object.hasOwn(EMITTERS, e.op) ? EMITTERS[e.op] : undefined;
  if (fn === undefined)
    throw new ArgumentError(`exportOnnx: op '${e.op}'${e.scope === '' ? '' : ` in layer '${e.scope}'`} has no ONNX equivalent ` +
      `in sepconv's exporter (exportable: ${EXPORTABLE_OPS.join(', ')})`);
  return fn(e, w, c);
}
