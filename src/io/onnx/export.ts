/**
 * ONNX export: `exportOnnx(model, inputShape)` traces one forward pass (eval mode, no gradients, on the shape-only
 * meta backend) and writes one ONNX node, or a few, per recorded op. Parameters and buffers become initializers in
 * ONNX layouts (OIHW conv weights, depthwise as Conv with group = C); activations are NCHW, so the file takes an
 * NCHW input like a PyTorch export. Batch norm is written as BatchNormalization or folded into the preceding conv.
 */
import { ArgumentError } from '../../errors.js';
import { getBackend, setBackend } from '../../backend/registry.js';
import type { BnAffine } from '../../nn/batchnorm.js';
import type { Module } from '../../nn/module.js';
import { noGrad } from '../../tensor/autograd.js';
import { tidy } from '../../tensor/memory.js';
import { Tensor } from '../../tensor/tensor.js';
import { traceOps, type OpEvent } from '../../tensor/trace.js';
import { MAX_OPSET, MIN_OPSET, graph, model as modelProto, valueInfo } from './builder.js';
import { encodeModel } from './encode.js';
import { batchNormModule, emit, type ExportContext } from './export_ops.js';
import { GraphWriter, onnxDims } from './export_writer.js';

export interface ExportOptions {
  /** Default-domain opset to write, 7 to 21 (default 13). HardSwish is native from 14, decomposed before. */
  opset?: number;
  /** Fold each batch norm that follows a convolution into the convolution's weights and bias (default false). */
  foldBatchNorm?: boolean;
  /** Name of the graph input (default 'input'). */
  inputName?: string;
  /** Name of the graph output (default 'output'). */
  outputName?: string;
}

const CONV_OPS = new Set(['conv2d', 'depthwiseConv2d', 'pointwiseConv2d']);

function checkOptions(inputShape: readonly number[], o: ExportOptions): { shape: number[]; opset: number; input: string; output: string } {
  const opset = o.opset ?? 13;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new ArgumentError(`exportOnnx: opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`);
  if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1))
    throw new ArgumentError(`exportOnnx: inputShape must be [H, W, C] or [N, H, W, C] (sepconv's NHWC) of positive integers, ` +
      `got ${JSON.stringify(inputShape)}`);
  const input = o.inputName ?? 'input';
  const output = o.outputName ?? 'output';
  if (input === '' || output === '' || input === output)
    throw new ArgumentError(`exportOnnx: inputName and outputName must be distinct non-empty names, got '${input}' and '${output}'`);
  // As in `analyse`, a 3-D shape is one image.
  return { shape: inputShape.length === 3 ? [1, ...inputShape] : [...inputShape], opset, input, output };
}

/** The batch norms to fold: each one whose input is a conv output that nothing else reads. */
function foldPlan(events: readonly OpEvent[], output: Tensor, ctx: ExportContext): { foldedInto: Map<OpEvent, BnAffine>; folded: Set<OpEvent> } {
  const producer = new Map<Tensor, OpEvent>();
  const uses = new Map<Tensor, number>([[output, 1]]);
  for (const e of events) {
    producer.set(e.output, e);
    for (const t of e.inputs) uses.set(t, (uses.get(t) ?? 0) + 1);
  }
  const foldedInto = new Map<OpEvent, BnAffine>();
  const folded = new Set<OpEvent>();
  for (const e of events) {
    if (e.op !== 'batchNorm2d') continue;
    const conv = producer.get(e.inputs[0]);
    if (conv === undefined || !CONV_OPS.has(conv.op) || uses.get(e.inputs[0]) !== 1 || producer.has(conv.inputs[1])) continue;
    foldedInto.set(conv, batchNormModule(e, ctx).evalAffine());
    folded.add(e);
  }
  return { foldedInto, folded };
}

function build(model: Module, events: readonly OpEvent[], x: Tensor, y: Tensor, o: ReturnType<typeof checkOptions>, fold: boolean): Uint8Array {
  const w = new GraphWriter(model, o.opset);
  w.bind(x, w.fresh(o.input));
  const modules = new Map(model.namedModules());
  const plan = fold ? foldPlan(events, y, { modules, foldedInto: new Map() }) : { foldedInto: new Map(), folded: new Set() };
  const ctx: ExportContext = { modules, foldedInto: plan.foldedInto };
  for (const e of events) w.bind(e.output, plan.folded.has(e) ? w.value(e.inputs[0]) : emit(e, w, ctx));
  let out = w.value(y);
  // The output must come out of a node (a model that returns its input or a constant gets an Identity).
  if (!w.nodes.some((n) => n.output.includes(out))) out = w.one('Identity', [out], '');
  w.rename(out, o.output);
  const g = graph({
    name: model.constructor.name, nodes: w.nodes, initializers: w.initializers,
    inputs: [valueInfo(o.input, onnxDims(x.shape))], outputs: [valueInfo(o.output, onnxDims(y.shape))],
  });
  return encodeModel(modelProto(g, { opset: o.opset }));
}

/**
 * Exports `model` to ONNX for an input of `inputShape` (sepconv's NHWC, [H, W, C] or [N, H, W, C]); the file's input
 * is the NCHW [N, C, H, W]. Returns the bytes of the `.onnx` file. The model runs once in eval mode on the meta
 * backend (no arithmetic); its training flags and the active backend are restored afterwards.
 */
export function exportOnnx(model: Module, inputShape: readonly number[], opts: ExportOptions = {}): Uint8Array {
  const o = checkOptions(inputShape, opts);
  const modes = model.modules().map((m) => [m, m.training] as const);
  const previousBackend = getBackend();
  let bytes: Uint8Array = new Uint8Array(0);
  setBackend('meta');
  try {
    model.eval();
    tidy(() => {
      const events: OpEvent[] = [];
      const x = Tensor.zeros(o.shape);
      const y = noGrad(() => traceOps((e) => events.push(e), () => model.call(x)));
      bytes = build(model, events, x, y, o, opts.foldBatchNorm ?? false);
    });
  } finally {
    for (const [m, training] of modes) m.training = training;
    setBackend(previousBackend);
  }
  return bytes;
}
