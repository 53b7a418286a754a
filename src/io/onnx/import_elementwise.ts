/**
 * Importers of element-wise ONNX ops: activations (Relu, Clip, HardSigmoid, HardSwish, Sigmoid, Tanh, LeakyRelu,
 * PRelu), broadcasting arithmetic (Add, Sub, Mul, Div, also on integer shape values), Identity and Dropout. They keep
 * their input's layout, so chains of them never transpose.
 */
import { PReLU } from '../../nn/activation.js';
import { hardSigmoid, hardSwish, leakyRelu, relu, relu6, sigmoid, swish, tanh } from '../../ops/activation.js';
import { broadcastIndex, broadcastShapes } from '../../ops/broadcast.js';
import { add, div, mul, sub } from '../../ops/elementwise.js';
import { reshape } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { clip, hardSigmoidAffine } from './extra_ops.js';
import { floatStep, NodeProblem, type OpContext, type OpImporter, type Step } from './import_context.js';
import { NHWC, identityPerm, isIdentity } from './layout.js';
import {
  alignedTo, expectFloat, floatValue, inLayout, intValue, numbers, onnxDims, type FloatValue, type IntValue, type Value,
} from './values.js';

const FLOAT_MAX = 3.4028234663852886e38;

/** A float -> float op that works in any layout. */
function unary(fn: (x: Tensor) => Tensor): OpImporter {
  return () => floatStep(([x]) => {
    const v = expectFloat(x, 'input');
    return [floatValue(fn(v.t), v.perm)];
  });
}

function clipFn(lo: number, hi: number): (x: Tensor) => Tensor {
  if (lo === 0 && hi === 6) return relu6;
  if (lo === 0 && hi >= FLOAT_MAX) return relu;
  return (x) => clip(x, lo, hi);
}

/** One number from a constant input, e.g. Clip's min. */
function scalarInput(ctx: OpContext, i: number, what: string): number | undefined {
  if (!ctx.hasInput(i)) return undefined;
  const c = ctx.constant(i);
  if (c === undefined) throw new NodeProblem(`${what} (input ${i}) must be a constant (an initializer or Constant node)`);
  const v = numbers(c);
  if (v.length !== 1) throw new NodeProblem(`${what} (input ${i}) must hold one value, got ${v.length}`);
  return v[0];
}

const clipImporter: OpImporter = (ctx) => {
  // Opset 11 moved min and max from attributes to optional inputs.
  const lo = ctx.opset < 11 ? ctx.attrs.float('min', -FLOAT_MAX) : scalarInput(ctx, 1, 'min') ?? -FLOAT_MAX;
  const hi = ctx.opset < 11 ? ctx.attrs.float('max', FLOAT_MAX) : scalarInput(ctx, 2, 'max') ?? FLOAT_MAX;
  return unary(clipFn(lo, hi))(ctx);
};

/** max(0, min(1, alpha x + beta)); PyTorch exports its relu6(x + 3) / 6 with alpha = 1/6 (ONNX's default is 0.2). */
const hardSigmoidImporter: OpImporter = (ctx) => {
  const alpha = ctx.attrs.float('alpha', 0.2);
  const beta = ctx.attrs.float('beta', 0.5);
  if (Math.abs(alpha - 1 / 6) < 1e-6 && beta === 0.5) return unary(hardSigmoid)(ctx);
  return unary((x) => hardSigmoidAffine(x, alpha, beta))(ctx);
};

/**
 * PRelu: the slope broadcasts against x the ONNX way. The usual per-channel slope [C, 1, 1] (or a single one) becomes
 * a PReLU layer on NHWC data; any other shape runs as relu(x) + slope * (x - relu(x)).
 */
const preluImporter: OpImporter = (ctx) => {
  const slope = ctx.constant(1);
  if (slope === undefined || slope.kind !== 'float') throw new NodeProblem('slope (input 1) must be a float constant');
  const dims = onnxDims(slope);
  const size = slope.t.size;
  const perChannel = size > 1 && (dims.length === 3 || dims.length === 4) && dims.at(-3) === size;
  const layer = size === 1 || perChannel
    ? ctx.addModule(new PReLU({ numParameters: size }))
    : null;
  layer?.weight.assign(slope.t.data);
  return floatStep(([x]) => {
    const v = expectFloat(x, 'X');
    if (layer !== null && size === 1 && dims.length <= v.t.rank) return [floatValue(layer.forward(v.t), v.perm)];
    if (layer !== null && perChannel && v.t.rank === 4) return [floatValue(layer.forward(inLayout(v, NHWC)), NHWC)];
    const s = layer === null ? slope : floatValue(reshape(layer.weight, dims));
    const r = Math.max(v.t.rank, s.t.rank);
    const perm = v.t.rank === r ? v.perm : identityPerm(r);
    const xt = alignedTo(v, r, perm);
    const pos = relu(xt);
    return [floatValue(add(pos, mul(alignedTo(s, r, perm), sub(xt, pos))), perm)];
  });
};

type Arith = 'Add' | 'Sub' | 'Mul' | 'Div';

const FLOAT_OPS: Record<Arith, (a: Tensor, b: Tensor) => Tensor> = { Add: add, Sub: sub, Mul: mul, Div: div };

/** Integer arithmetic as ONNX defines it for int64 (Div truncates toward zero). */
const INT_OPS: Record<Arith, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => Math.trunc(a / b),
};

function intBinary(a: IntValue, b: IntValue, f: (x: number, y: number) => number, op: string): IntValue {
  const dims = broadcastShapes(a.dims, b.dims, op);
  const ia = broadcastIndex(a.dims, dims);
  const ib = broadcastIndex(b.dims, dims);
  return intValue(dims, Array.from(ia, (k, i) => f(a.data[k], b.data[ib[i]])));
}

/**
 * Element-wise arithmetic with ONNX (NumPy) broadcasting. The operands are brought to one layout: that of the
 * full-rank run-time operand (so a conv output plus a bias-like constant stays NHWC); constants are converted once.
 */
function arithmetic(op: Arith): OpImporter {
  return (ctx) => {
    const kinds = [ctx.kind(0), ctx.kind(1)];
    if (kinds[0] !== kinds[1])
      throw new NodeProblem(`mixes a float and an integer operand (${kinds.join(' and ')}); insert a Cast`);
    if (kinds[0] === 'int') {
      const step: Step = {
        kinds: ['int'],
        run: ([a, b]) => [intBinary(a as IntValue, b as IntValue, INT_OPS[op], op)],
      };
      return step;
    }
    return floatStep(([a, b]) => {
      const x = expectFloat(a, 'A');
      const y = expectFloat(b, 'B');
      const r = Math.max(x.t.rank, y.t.rank);
      const perm = layoutFor([x, y], r);
      return [floatValue(FLOAT_OPS[op](alignedTo(x, r, perm), alignedTo(y, r, perm)), perm)];
    });
  };
}

/** The layout of the first full-rank operand that is not a constant in ONNX order, else ONNX order. */
export function layoutFor(values: readonly FloatValue[], rank: number): readonly number[] {
  const full = values.filter((v) => v.t.rank === rank);
  const chosen = full.find((v) => !v.constant) ?? full.find((v) => !isIdentity(v.perm));
  return chosen?.perm ?? identityPerm(rank);
}

const identityImporter: OpImporter = (ctx) => ({ kinds: [ctx.kind(0) ?? 'float'], run: ([x]) => [x as Value] });

/** Dropout is the identity at inference; its mask output and training mode are not supported. */
const dropoutImporter: OpImporter = (ctx) => {
  if (ctx.opset < 12) ctx.attrs.ignore('ratio', 'is_test');
  ctx.attrs.ignore('seed');
  if (ctx.outputUsed(1)) throw new NodeProblem('the mask output is not supported (only inference-mode Dropout)');
  const training = ctx.opset >= 12 && ctx.hasInput(2) ? ctx.constant(2) : undefined;
  if (ctx.hasInput(2) && (training === undefined || numbers(training).some((t) => t !== 0)))
    throw new NodeProblem('training_mode must be a constant false (only inference-mode Dropout is supported)');
  return { kinds: ['float', 'float'], run: ([x]) => [x as Value] };
};

export const ELEMENTWISE_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  Relu: unary(relu),
  Sigmoid: unary(sigmoid),
  Tanh: unary(tanh),
  HardSwish: unary(hardSwish),
  HardSigmoid: hardSigmoidImporter,
  LeakyRelu: (ctx) => {
    const alpha = ctx.attrs.float('alpha', 0.01);
    return unary((x) => leakyRelu(x, alpha))(ctx);
  },
  Clip: clipImporter,
  PRelu: preluImporter,
  Add: arithmetic('Add'),
  Sub: arithmetic('Sub'),
  Mul: arithmetic('Mul'),
  Div: arithmetic('Div'),
  Identity: identityImporter,
  Dropout: dropoutImporter,
};

/** Internal ops the pattern matcher (fuse.ts) rewrites primitive subgraphs into. */
export const FUSED_IMPORTERS: Readonly<Record<string, OpImporter>> = {
  Swish: unary(swish),
  HardSwish: unary(hardSwish),
};
