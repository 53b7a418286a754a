/**
 * From a model to the plan's graph: one forward pass in eval mode on the shape-only meta backend records every op
 * with its attributes; each op becomes a step. An op input that no earlier op produced is a constant: a parameter
 * or buffer (named by its state-dict key, found by tensor identity) or a tensor the forward pass made, its data
 * copied now. Ops whose inputs are all constants are folded (run once, eagerly, on real data). Each step lists the
 * state-dict keys of the weights it holds.
 */
import { isDepthwise, type ConvGeometry, type PoolGeometry, type UnaryKind } from '../backend/kernels.js';
import { getBackend, setBackend } from '../backend/registry.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import type { Module } from '../nn/module.js';
import { isChannelGate } from '../ops/broadcast.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/memory.js';
import { Tensor, sameShape, shapeSize } from '../tensor/tensor.js';
import { traceOps, type OpEvent } from '../tensor/trace.js';
import { eagerOp } from './eager_ops.js';
import { noEpilogue, type Activation, type PlanGraph, type PlanValue, type Step } from './ir.js';

/** An op the plan cannot reproduce; the caller falls back to running the whole model eagerly. */
export class Unplannable extends Error {
  constructor(readonly op: string, readonly scope: string, readonly reason: string) {
    super(`${op}${scope === '' ? '' : ` in '${scope}'`}: ${reason}`);
  }
}

const WEIGHTED_OPS: ReadonlySet<string> = new Set(['conv2d', 'depthwiseConv2d', 'pointwiseConv2d', 'linear', 'matmul']);

const UNARY_KINDS: ReadonlySet<string> = new Set<UnaryKind>(['relu', 'relu6', 'hardSwish', 'swish', 'sigmoid', 'hardSigmoid', 'tanh', 'leakyRelu']);

class GraphBuilder {
  readonly values: PlanValue[] = [];
  readonly steps: Step[] = [];
  private readonly ids = new Map<Tensor, number>();
  private readonly names: Map<Tensor, string>;
  readonly input: number;

  constructor(model: Module, x: Tensor, private readonly modules: ReadonlyMap<string, Module>) {
    this.names = new Map([...model.stateDict()].map(([k, t]) => [t, k]));
    this.input = this.activation(x);
  }

  private add(shape: readonly number[], constant: Float32Array | null): number {
    const id = this.values.length;
    this.values.push({ id, shape: [...shape], size: shapeSize(shape), constant });
    return id;
  }

  activation(t: Tensor): number {
    const id = this.add(t.shape, null);
    this.ids.set(t, id);
    return id;
  }

  /** The value of an op input: an earlier op's output, or a constant captured now. */
  valueOf(t: Tensor): number {
    const known = this.ids.get(t);
    if (known !== undefined) return known;
    const id = this.add(t.shape, t.data.slice());
    this.ids.set(t, id);
    return id;
  }

  /** State-dict keys of the op inputs that are model parameters or buffers. */
  private weightNames(tensors: readonly Tensor[]): string[] {
    return tensors.flatMap((t) => {
      const name = this.names.get(t);
      return name === undefined ? [] : [name];
    });
  }

  isConstant(id: number): boolean {
    return this.values[id].constant !== null;
  }

  constant(id: number): Float32Array {
    return this.values[id].constant!;
  }

  lower(e: OpEvent): void {
    const inputs = e.inputs.map((t) => this.valueOf(t));
    if (e.op === 'batchNorm2d') return this.batchNorm(e, inputs);
    if (inputs.every((id) => this.isConstant(id))) return this.fold(e, inputs);
    const step = this.step(e, inputs);
    this.steps.push(step ?? this.eager(e, inputs));
  }

  /** Runs an all-constant op now; its output becomes a constant. */
  private fold(e: OpEvent, inputs: number[]): void {
    const run = eagerOp(e);
    if (run === null) throw new Unplannable(e.op, e.scope, 'sepconv cannot re-run this op from its trace');
    let data = new Float32Array(0);
    tidy(() => {
      data = noGrad(() => run(inputs.map((id) => new Tensor(this.constant(id).slice(), this.values[id].shape)))).data.slice();
    });
    const id = this.add(e.output.shape, data);
    this.ids.set(e.output, id);
  }

  private eager(e: OpEvent, inputs: number[]): Step {
    const run = eagerOp(e);
    if (run === null) throw new Unplannable(e.op, e.scope, 'sepconv cannot re-run this op from its trace');
    return { kind: 'eager', op: e.op, inputs, run, reason: this.eagerReason(e), output: this.activation(e.output), scopes: [e.scope], fused: [],
      weights: this.weightNames(e.inputs) };
  }

  private eagerReason(e: OpEvent): string {
    if (WEIGHTED_OPS.has(e.op)) return 'its weight or bias is computed in the forward pass, not a constant';
    if (e.op === 'add' || e.op === 'mul') return `a ${e.op} with broadcasting or a constant operand has no fused kernel`;
    return 'no fused kernel for this op';
  }

  private batchNorm(e: OpEvent, inputs: number[]): void {
    const m = this.modules.get(e.scope);
    if (!(m instanceof BatchNorm2d) || m.weight !== e.inputs[1] || m.bias !== e.inputs[2])
      throw new Unplannable(e.op, e.scope, 'the batch norm does not come from a BatchNorm2d layer, whose running statistics the plan needs');
    const c = m.numFeatures;
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    // Rounded like the eager op (float32 invStd, then scale and shift), so an unfolded batch norm matches it exactly.
    for (let i = 0; i < c; i++) {
      scale[i] = m.weight.data[i] * Math.fround(1 / Math.sqrt(m.runningVar.data[i] + m.eps));
      shift[i] = m.bias.data[i] - m.runningMean.data[i] * scale[i];
    }
    const x = inputs[0];
    if (this.isConstant(x)) throw new Unplannable(e.op, e.scope, 'a batch norm of a constant');
    this.steps.push({ kind: 'batchNorm', x, scale, shift, output: this.activation(e.output), scopes: [e.scope], fused: [],
      weights: this.weightNames([m.weight, m.bias, m.runningMean, m.runningVar]) });
  }

  /** The planned step for an op, or null to run it eagerly. */
  private step(e: OpEvent, inputs: number[]): Step | null {
    const base = () => ({ output: this.activation(e.output), scopes: [e.scope], fused: [] as string[], weights: this.weightNames(e.inputs) });
    const [x, w, b] = inputs;
    // Weighted ops are planned when the weight and bias are constants and x is not.
    const weighted = w !== undefined && this.isConstant(w) && (b === undefined || this.isConstant(b)) && !this.isConstant(x);
    const bias = b === undefined ? null : this.values[b].constant;
    switch (e.op) {
      case 'conv2d':
      case 'depthwiseConv2d': {
        if (!weighted) return null;
        const g = { ...(e.attrs as unknown as ConvGeometry) };
        if (isDepthwise(g)) return { kind: 'depthwise', x, w: this.constant(w), bias, g, epilogue: noEpilogue(), ...base() };
        if (isPointwise(g))
          return { kind: 'gemm', x, w: this.constant(w), bias, m: g.batch * g.inH * g.inW, k: g.inC, n: g.outC, scale: null, scaleRows: 0, epilogue: noEpilogue(), ...base() };
        return { kind: 'conv', x, w: this.constant(w), bias, g, epilogue: noEpilogue(), ...base() };
      }
      case 'pointwiseConv2d':
      case 'linear':
      case 'matmul': {
        if (!weighted) return null;
        const a = e.attrs as { m: number; k: number; n: number };
        return { kind: 'gemm', x, w: this.constant(w), bias, m: a.m, k: a.k, n: a.n, scale: null, scaleRows: 0, epilogue: noEpilogue(), ...base() };
      }
      case 'add':
        if (this.isConstant(x) || this.isConstant(w) || !sameShape(this.values[x].shape, this.values[w].shape)) return null;
        return { kind: 'add', a: x, b: w, act: null, ...base() };
      case 'mul':
        if (this.channelScale(x, w)) return { kind: 'channelScale', x, gate: w, ...base() };
        return this.channelScale(w, x) ? { kind: 'channelScale', x: w, gate: x, ...base() } : null;
      case 'maxPool2d':
      case 'avgPool2d':
      case 'globalAvgPool2d':
        return { kind: e.op === 'maxPool2d' ? 'maxPool' : 'avgPool', x, g: { ...(e.attrs as unknown as PoolGeometry) },
          countIncludePad: e.attrs?.['countIncludePad'] === true, ...base() };
      case 'reshape':
        return { kind: 'reshape', x, ...base() };
      default: {
        const act = activationOf(e);
        return act === null ? null : { kind: 'unary', x, act, ...base() };
      }
    }
  }

  /** x [N, H, W, C] times a computed gate [N, 1, 1, C]. */
  private channelScale(x: number, gate: number): boolean {
    return !this.isConstant(x) && !this.isConstant(gate) && isChannelGate(this.values[x].shape, this.values[gate].shape);
  }

  finish(y: Tensor): PlanGraph {
    const output = this.ids.get(y);
    if (output === undefined || this.isConstant(output))
      throw new Unplannable('output', '', 'the model output does not depend on its input');
    return { values: this.values, steps: this.steps, input: this.input, output };
  }
}

/** A 1x1 stride-1 unpadded ungrouped conv is a matrix product. */
function isPointwise(g: ConvGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0 &&
    g.padBottom === 0 && g.padRight === 0 && g.groups === 1;
}

/** The activation an element-wise op applies, or null if it is not one. */
function activationOf(e: OpEvent): Activation | null {
  if (UNARY_KINDS.has(e.op)) return { kind: e.op as UnaryKind, alpha: e.op === 'leakyRelu' ? (e.attrs?.['alpha'] as number) : 0, beta: 0 };
  if (e.op === 'clip') return { kind: 'clip', alpha: e.attrs?.['min'] as number, beta: e.attrs?.['max'] as number };
  return null;
}

/** The graph of a model, or (when some op cannot be reproduced from its trace) one eager step running the model. */
export interface TracedGraph {
  graph: PlanGraph;
  /** Set when the graph is the whole-model fallback. */
  fallback: Unplannable | null;
}

/** One step that calls the model itself in eval mode: always right, never fused. */
function wholeModel(model: Module, inputShape: readonly number[], outputShape: readonly number[], why: Unplannable): PlanGraph {
  const value = (id: number, shape: readonly number[]): PlanValue => ({ id, shape: [...shape], size: shapeSize(shape), constant: null });
  const run = ([x]: Tensor[]): Tensor => {
    const modes = model.modules().map((m) => [m, m.training] as const);
    model.eval();
    try {
      return model.call(x);
    } finally {
      for (const [m, training] of modes) m.training = training;
    }
  };
  return {
    values: [value(0, inputShape), value(1, outputShape)], input: 0, output: 1,
    steps: [{ kind: 'eager', op: 'model', inputs: [0], run, reason: `the whole model runs eagerly: ${why.message}`, output: 1, scopes: [''], fused: [],
      weights: [] }],
  };
}

/**
 * Traces `model` on an input of `inputShape` (NHWC) and lowers every op to a plan step. The model runs in eval
 * mode on the meta backend; its training flags and the active backend are restored. When an op cannot be
 * reproduced from its trace, the result is the whole-model fallback, with the reason.
 */
export function traceGraph(model: Module, inputShape: readonly number[]): TracedGraph {
  const modes = model.modules().map((m) => [m, m.training] as const);
  const previous = getBackend();
  try {
    model.eval();
    let traced: TracedGraph | undefined;
    tidy(() => {
      const events: OpEvent[] = [];
      const x = Tensor.zeros(inputShape);
      let y: Tensor;
      setBackend('meta');
      try {
        y = noGrad(() => traceOps((e) => events.push(e), () => model.call(x)));
      } finally {
        setBackend(previous);
      }
      const builder = new GraphBuilder(model, x, new Map(model.namedModules()));
      try {
        for (const e of events) builder.lower(e);
        traced = { graph: builder.finish(y), fallback: null };
      } catch (err) {
        if (!(err instanceof Unplannable)) throw err;
        traced = { graph: wholeModel(model, inputShape, y.shape, err), fallback: err };
      }
    });
    return traced!;
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
}
