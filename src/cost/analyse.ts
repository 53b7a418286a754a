/**
 * Cost analysis: parameters, multiply-accumulates, memory traffic and arithmetic intensity of a model, per op, per
 * layer and in total, found by running the model once on the shape-only `meta` backend and listening to every op
 * it records (so functional ops such as residual adds and the squeeze-and-excitation multiply count too).
 *
 * Conventions (docs/cost.md explains which published figures each reproduces):
 * - **MAC** = one multiply-add. Only convolutions and matrix products have MACs:
 *   conv2d / depthwiseConv2d: KH·KW·(C_in/groups)·C_out·OH·OW per image (so depthwise: KH·KW·C·M·OH·OW);
 *   pointwiseConv2d: C_in·C_out·H·W per image; linear / matmul: in·out per row (M·K·N for a matmul).
 *   Bias additions are not counted. `totals.macs` therefore is the "mult-adds" of the MobileNet papers.
 * - **FLOPs** = 2 × MACs (a multiply and an add), nothing else: the "FLOPs" of torchvision-style tables that count
 *   2 per MAC. (Many papers, EfficientNet's included, call MACs "FLOPs"; compare those with `macs`.)
 * - **Elementwise ops** are counted apart from MACs: one per output element for batch norm (its per-channel scale
 *   and shift, as folded at inference), activations, add, mul (the SE gate), sub, div, affineScalar and square;
 *   one per window tap (padding included) per output element for max/avg pooling; one per input element for global
 *   average pooling, sum, mean, softmax, logSoftmax and crossEntropy; none for layout ops (reshape, transpose,
 *   concat, pad2d) and dropout.
 * - **Bytes** are fp32: every input of an op (activations, weights, biases, BN scale and shift) read once and its
 *   output written once, with no cache reuse between ops. reshape is a view and moves no bytes.
 * - **Arithmetic intensity** = (FLOPs + elementwise ops) / bytes: all arithmetic per byte moved (the x axis of a
 *   roofline plot).
 * - **Parameters**: each parameter tensor is counted once, on the first op that reads it (the weight, bias, BN
 *   gamma/beta inputs of conv, linear and batch-norm ops), so it lands in the layer that owns it. BN running
 *   statistics are buffers, not parameters.
 * Counts are for the batch in the input shape (N = 1 when a 3-D [H, W, C] shape is given).
 */
import { ArgumentError } from '../errors.js';
import { isDepthwise, type ConvGeometry, type PoolGeometry } from '../backend/kernels.js';
import { getBackend, setBackend } from '../backend/registry.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import { traceOps, type OpEvent } from '../tensor/trace.js';

const BYTES_PER_VALUE = 4;

/** What an op (or a layer, after its dominant op) is, for reports and the depthwise / pointwise / other split. */
export type CostKind = 'conv' | 'depthwise' | 'pointwise' | 'linear' | 'bn' | 'activation' | 'pool' | 'se-multiply' | 'add' | 'other';

export const COST_KINDS: readonly CostKind[] = ['conv', 'depthwise', 'pointwise', 'linear', 'bn', 'activation', 'pool', 'se-multiply', 'add', 'other'];

/** Counts shared by ops, layers and totals. */
export interface CostCounts {
  /** Parameter values first read here. */
  params: number;
  /** Multiply-accumulates (convolutions and matrix products only). */
  macs: number;
  /** 2 × macs. */
  flops: number;
  /** Non-MAC arithmetic (see the module comment for what counts). */
  elementwiseOps: number;
  /** fp32 bytes of all inputs read. */
  bytesRead: number;
  /** The part of bytesRead that is parameters and buffers (weights, biases, BN scale and shift). */
  weightBytes: number;
  /** fp32 bytes of outputs written. */
  bytesWritten: number;
  /** bytesRead + bytesWritten. */
  bytes: number;
  /** (flops + elementwiseOps) / bytes; 0 when nothing moves. */
  intensity: number;
}

/** One recorded op. */
export interface OpCost extends CostCounts {
  op: string;
  /** Dotted path of the module that ran it ('' for ops in the root module's own forward). */
  scope: string;
  kind: CostKind;
  inputShapes: number[][];
  outputShape: number[];
}

/** The ops of one module scope, merged. */
export interface LayerCost extends CostCounts {
  /** The scope: dotted module path ('' for the root module's own ops). */
  name: string;
  /** The kind of the op with the most MACs, or else of the most telling op (bn, se-multiply, add, pool, activation). */
  kind: CostKind;
  /** Op names in the order they ran. */
  ops: string[];
  /** Output shape of the last op. */
  outputShape: number[];
}

export interface CostTotals extends CostCounts {
  /** params and macs per kind (e.g. for the depthwise / pointwise share). */
  byKind: Record<CostKind, { params: number; macs: number }>;
}

export interface CostReport {
  /** The input shape analysed, [N, H, W, C]. */
  input: number[];
  /** Output shape of the model. */
  output: number[];
  ops: OpCost[];
  layers: LayerCost[];
  totals: CostTotals;
  /** Parameters no op read during the forward pass (not in totals.params): names and sizes. */
  unusedParameters: { name: string; size: number }[];
}

export interface AnalyseOptions {
  /**
   * Backend to run on (default 'meta', which skips the arithmetic). Counts depend only on shapes, so any backend
   * gives the same report; a real one just takes longer.
   */
  backend?: string;
}

const ACTIVATIONS = new Set(['relu', 'relu6', 'hardSwish', 'swish', 'silu', 'sigmoid', 'hardSigmoid', 'tanh', 'leakyRelu', 'prelu']);
const ELEMENTWISE_OTHER = new Set(['sub', 'div', 'affineScalar', 'square']);
const PER_INPUT_ELEMENT = new Set(['sum', 'mean', 'softmax', 'logSoftmax', 'crossEntropy']);
const LAYOUT = new Set(['reshape', 'transpose', 'concat', 'pad2d', 'dropout']);

function convKind(g: ConvGeometry): CostKind {
  if (isDepthwise(g)) return 'depthwise';
  if (g.groups === 1 && g.kH === 1 && g.kW === 1) return 'pointwise';
  return 'conv';
}

/** The cost kind of one op event (conv, depthwise, pointwise, linear, bn, pool, add, activation, ...). */
export const opCostKind = (e: OpEvent): CostKind => classify(e).kind;

/** Kind, MACs and elementwise ops of one event. */
function classify(e: OpEvent): { kind: CostKind; macs: number; elementwiseOps: number } {
  const outSize = e.output.size;
  const inSize = e.inputs[0]?.size ?? 0;
  switch (e.op) {
    case 'conv2d':
    case 'depthwiseConv2d': {
      const g = e.attrs as unknown as ConvGeometry;
      const macs = g.batch * g.outH * g.outW * g.outC * g.kH * g.kW * (g.inC / g.groups);
      return { kind: e.op === 'depthwiseConv2d' ? 'depthwise' : convKind(g), macs, elementwiseOps: 0 };
    }
    case 'pointwiseConv2d':
    case 'linear':
    case 'matmul': {
      const { m, k, n } = e.attrs as { m: number; k: number; n: number };
      return { kind: e.op === 'pointwiseConv2d' ? 'pointwise' : 'linear', macs: m * k * n, elementwiseOps: 0 };
    }
    case 'batchNorm2d':
      return { kind: 'bn', macs: 0, elementwiseOps: outSize };
    case 'maxPool2d':
    case 'avgPool2d': {
      const g = e.attrs as unknown as PoolGeometry;
      return { kind: 'pool', macs: 0, elementwiseOps: outSize * g.kH * g.kW };
    }
    case 'globalAvgPool2d':
      return { kind: 'pool', macs: 0, elementwiseOps: inSize };
    case 'add':
      return { kind: 'add', macs: 0, elementwiseOps: outSize };
    case 'mul':
      return { kind: 'se-multiply', macs: 0, elementwiseOps: outSize };
  }
  if (ACTIVATIONS.has(e.op)) return { kind: 'activation', macs: 0, elementwiseOps: outSize };
  if (ELEMENTWISE_OTHER.has(e.op)) return { kind: 'other', macs: 0, elementwiseOps: outSize };
  if (PER_INPUT_ELEMENT.has(e.op)) return { kind: 'other', macs: 0, elementwiseOps: inSize };
  if (LAYOUT.has(e.op)) return { kind: 'other', macs: 0, elementwiseOps: 0 };
  // An op this table does not know yet: count its traffic, and one op per output element as a floor.
  return { kind: 'other', macs: 0, elementwiseOps: outSize };
}

function finish<T extends Omit<CostCounts, 'flops' | 'bytes' | 'intensity'>>(c: T): T & CostCounts {
  const flops = 2 * c.macs;
  const bytes = c.bytesRead + c.bytesWritten;
  return { ...c, flops, bytes, intensity: bytes === 0 ? 0 : (flops + c.elementwiseOps) / bytes };
}

function zeroCounts(): Omit<CostCounts, 'flops' | 'bytes' | 'intensity'> {
  return { params: 0, macs: 0, elementwiseOps: 0, bytesRead: 0, weightBytes: 0, bytesWritten: 0 };
}

function accumulate(into: Omit<CostCounts, 'flops' | 'bytes' | 'intensity'>, c: CostCounts): void {
  into.params += c.params;
  into.macs += c.macs;
  into.elementwiseOps += c.elementwiseOps;
  into.bytesRead += c.bytesRead;
  into.weightBytes += c.weightBytes;
  into.bytesWritten += c.bytesWritten;
}

const LAYER_KIND_PRIORITY: readonly CostKind[] = ['bn', 'se-multiply', 'add', 'pool', 'activation', 'other'];

function layerKind(ops: readonly OpCost[]): CostKind {
  let best: OpCost | undefined;
  for (const o of ops) if (o.macs > 0 && (best === undefined || o.macs > best.macs)) best = o;
  if (best !== undefined) return best.kind;
  return LAYER_KIND_PRIORITY.find((k) => ops.some((o) => o.kind === k)) ?? 'other';
}

function groupLayers(ops: readonly OpCost[]): LayerCost[] {
  const byScope = new Map<string, OpCost[]>();
  for (const o of ops) {
    const list = byScope.get(o.scope);
    if (list === undefined) byScope.set(o.scope, [o]);
    else list.push(o);
  }
  return [...byScope].map(([name, list]) => {
    const c = zeroCounts();
    for (const o of list) accumulate(c, o);
    return finish({ name, kind: layerKind(list), ops: list.map((o) => o.op), outputShape: list[list.length - 1].outputShape, ...c });
  });
}

function checkInputShape(shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || (shape.length !== 3 && shape.length !== 4) || shape.some((d) => !Number.isInteger(d) || d < 1))
    throw new ArgumentError(`analyse: input shape must be [H, W, C] or [N, H, W, C] of positive integers, got ${JSON.stringify(shape)}`);
  return shape.length === 3 ? [1, ...shape] : [...shape];
}

/**
 * Runs `model` once on an all-zero input of `inputShape` ([H, W, C] or [N, H, W, C]) and reports what every op
 * costs. The model runs in eval mode without gradients on the `meta` backend; its training flag and the active
 * backend are restored afterwards (each module's own flag), even if the forward pass throws (e.g. an input too small for the model's strides).
 */
export function analyse(model: Module, inputShape: readonly number[], opts: AnalyseOptions = {}): CostReport {
  const input = checkInputShape(inputShape);
  const named = model.namedParameters();
  const paramTensors = new Set(named.map(([, t]) => t));
  const weights = new Set<Tensor>([...paramTensors, ...model.buffers()]);
  const counted = new Set<Tensor>();
  const ops: OpCost[] = [];

  const listener = (e: OpEvent): void => {
    const { kind, macs, elementwiseOps } = classify(e);
    let params = 0;
    let bytesRead = 0;
    let weightBytes = 0;
    for (const t of e.inputs) {
      bytesRead += BYTES_PER_VALUE * t.size;
      if (weights.has(t)) weightBytes += BYTES_PER_VALUE * t.size;
      if (paramTensors.has(t) && !counted.has(t)) {
        counted.add(t);
        params += t.size;
      }
    }
    let bytesWritten = BYTES_PER_VALUE * e.output.size;
    if (e.op === 'reshape') bytesRead = bytesWritten = weightBytes = 0;
    ops.push(finish({
      op: e.op, scope: e.scope, kind, inputShapes: e.inputs.map((t) => [...t.shape]), outputShape: [...e.output.shape],
      params, macs, elementwiseOps, bytesRead, weightBytes, bytesWritten,
    }));
  };

  const previousBackend = getBackend();
  // Per module, since a caller may have frozen some layers (e.g. batch norm in eval while the rest trains).
  const modes = model.modules().map((m) => [m, m.training] as const);
  let output: number[] = [];
  setBackend(opts.backend ?? 'meta');
  try {
    model.eval();
    tidy(() => {
      const y = noGrad(() => traceOps(listener, () => model.call(Tensor.zeros(input))));
      output = [...y.shape];
    });
  } finally {
    for (const [m, training] of modes) m.training = training;
    setBackend(previousBackend);
  }

  const layers = groupLayers(ops);
  const sums = zeroCounts();
  const byKind = Object.fromEntries(COST_KINDS.map((k) => [k, { params: 0, macs: 0 }])) as CostTotals['byKind'];
  for (const o of ops) {
    accumulate(sums, o);
    byKind[o.kind].params += o.params;
    byKind[o.kind].macs += o.macs;
  }
  const unusedParameters = named.filter(([, t]) => !counted.has(t)).map(([name, t]) => ({ name, size: t.size }));
  return { input, output, ops, layers, totals: { ...finish(sums), byKind }, unusedParameters };
}
