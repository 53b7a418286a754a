/**
 * Re-running a traced op eagerly from its recorded attributes: the plan's fallback for ops it has no fused kernel
 * for (they run through sepconv's ops on tensors copied out of the plan's memory), and its constant folder (ops
 * whose inputs are all constants run once at compile time). An op missing here cannot be planned at all.
 */
import type { ConvGeometry, PoolGeometry } from '../backend/kernels.js';
import { clip, hardSigmoidAffine } from '../io/onnx/extra_ops.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { OpEvent } from '../tensor/trace.js';

export type EagerRun = (inputs: Tensor[]) => Tensor;

type Attrs = Readonly<Record<string, unknown>>;
type Maker = (attrs: Attrs, outShape: readonly number[]) => EagerRun;

const num = (a: Attrs, key: string): number => a[key] as number;

function convOptions(a: Attrs): ops.Conv2dOptions {
  const g = a as unknown as ConvGeometry;
  return {
    stride: [g.strideH, g.strideW], dilation: [g.dilationH, g.dilationW],
    padding: [g.padTop, g.padBottom, g.padLeft, g.padRight], groups: g.groups,
  };
}

function poolOptions(a: Attrs): ops.PoolOptions {
  const g = a as unknown as PoolGeometry;
  return { kernelSize: [g.kH, g.kW], stride: [g.strideH, g.strideW], padding: [g.padTop, g.padBottom, g.padLeft, g.padRight] };
}

const unary = (f: (x: Tensor) => Tensor): Maker => () => ([x]) => f(x);
const binary = (f: (a: Tensor, b: Tensor) => Tensor): Maker => () => ([a, b]) => f(a, b);

const MAKERS: Readonly<Record<string, Maker>> = {
  conv2d: (a) => ([x, w, b]) => ops.conv2d(x, w, b ?? null, convOptions(a)),
  depthwiseConv2d: (a) => ([x, w, b]) => ops.depthwiseConv2d(x, w, b ?? null, convOptions(a)),
  pointwiseConv2d: () => ([x, w, b]) => ops.pointwiseConv2d(x, w, b ?? null),
  linear: () => ([x, w, b]) => ops.linear(x, w, b ?? null),
  matmul: binary(ops.matmul),
  relu: unary(ops.relu),
  relu6: unary(ops.relu6),
  hardSwish: unary(ops.hardSwish),
  swish: unary(ops.swish),
  sigmoid: unary(ops.sigmoid),
  hardSigmoid: unary(ops.hardSigmoid),
  tanh: unary(ops.tanh),
  leakyRelu: (a) => ([x]) => ops.leakyRelu(x, num(a, 'alpha')),
  prelu: binary(ops.prelu),
  clip: (a) => ([x]) => clip(x, num(a, 'min'), num(a, 'max')),
  hardSigmoidAffine: (a) => ([x]) => hardSigmoidAffine(x, num(a, 'alpha'), num(a, 'beta')),
  maxPool2d: (a) => ([x]) => ops.maxPool2d(x, poolOptions(a)),
  avgPool2d: (a) => ([x]) => ops.avgPool2d(x, { ...poolOptions(a), countIncludePad: a['countIncludePad'] === true }),
  globalAvgPool2d: (_a, out) => ([x]) => ops.globalAvgPool2d(x, out.length === 4),
  add: binary(ops.add),
  sub: binary(ops.sub),
  mul: binary(ops.mul),
  div: binary(ops.div),
  affineScalar: (a) => ([x]) => ops.affineScalar(x, num(a, 's'), num(a, 't')),
  square: unary(ops.square),
  reshape: (_a, out) => ([x]) => ops.reshape(x, out),
  transpose: (a) => ([x]) => ops.transpose(x, a['perm'] as number[]),
  concat: (a) => (xs) => ops.concat(xs, num(a, 'axis')),
  pad2d: (a) => ([x]) => ops.pad2d(x, { top: num(a, 'top'), bottom: num(a, 'bottom'), left: num(a, 'left'), right: num(a, 'right') },
    num(a, 'value')),
  mean: (a) => ([x]) => ops.mean(x, a['axes'] as number[] | undefined, a['keepDims'] === true),
  sum: (a) => ([x]) => ops.sum(x, a['axes'] as number[] | undefined, a['keepDims'] === true),
  softmax: (a) => ([x]) => ops.softmax(x, num(a, 'axis')),
  logSoftmax: (a) => ([x]) => ops.logSoftmax(x, num(a, 'axis')),
};

/** The eager re-run of a traced op, or null when sepconv cannot rebuild the op from its trace. */
export function eagerOp(e: OpEvent): EagerRun | null {
  const make = Object.hasOwn(MAKERS, e.op) ? MAKERS[e.op] : undefined;
  return make === undefined ? null : make(e.attrs ?? {}, e.output.shape);
}
