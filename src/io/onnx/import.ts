/**
 * ONNX import: `importOnnx(bytes)` decodes a model, checks it, converts its weights to sepconv's layouts once, and
 * returns an {@link OnnxModel}, an nn Module that runs the graph with sepconv ops on any backend. Weighted nodes
 * become layers (Conv2d, DepthwiseConv2d, PointwiseConv2d, BatchNorm2d, Linear, PReLU), so the model has
 * parameters and a state dict, trains, and is costed by `analyse` node by node.
 *
 * Everything that can be checked without data is checked at load: one FormatError lists every node that cannot be
 * imported (unsupported op, attribute or input), with the opset and the supported ops.
 */
import { ArgumentError, FormatError, SepconvError, ShapeError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { noGrad } from '../../tensor/autograd.js';
import { keep } from '../../tensor/memory.js';
import { Tensor, shapeToString } from '../../tensor/tensor.js';
import { inScope } from '../../tensor/trace.js';
import { MAX_OPSET } from './builder.js';
import { FUSED_DOMAIN, fusePatterns } from './fuse.js';
import { checkLooksLikeOnnx, describe, topologicalOrder } from './graph.js';
import { Attributes, NodeProblem, type OpContext, type OpImporter, type Step } from './import_context.js';
import { ELEMENTWISE_IMPORTERS, FUSED_IMPORTERS } from './import_elementwise.js';
import { NN_IMPORTERS } from './import_nn.js';
import { SHAPE_IMPORTERS, dataTypeName, kindOfDataType, tensorValue } from './import_shape.js';
import { NHWC, identityPerm, permuteShape } from './layout.js';
import { decodeModel, type ModelProto, type NodeProto, type ValueInfoProto } from './proto.js';
import { floatValue, inLayout, plain, type Value, type ValueKind } from './values.js';

/** The oldest opset read: 6, the opset of ONNX's own PyTorch-operator conformance files (export writes 7 and newer). */
export const MIN_IMPORT_OPSET = 6;

/** Inputs every opset requires (onnx/defs); 1 for ops not listed. Opset-dependent ones are checked by their importer. */
const REQUIRED_INPUTS: Readonly<Record<string, number>> = {
  Constant: 0, Add: 2, Sub: 2, Mul: 2, Div: 2, MatMul: 2, Gemm: 2, Conv: 2, PRelu: 2, Gather: 2, BatchNormalization: 5,
};

const IMPORTERS: Readonly<Record<string, OpImporter>> = { ...ELEMENTWISE_IMPORTERS, ...SHAPE_IMPORTERS, ...NN_IMPORTERS };

/** The ONNX ops (default domain) that `importOnnx` loads, sorted. */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(IMPORTERS).sort();

/** A graph input or output as the file declares it, in ONNX layout; a string dim is symbolic, null unknown. */
export interface OnnxValueInfo {
  name: string;
  dims: (number | string | null)[] | null;
}

/** In which layout `run` takes inputs and returns outputs. */
export type OnnxLayout = 'onnx' | 'sepconv';

interface PlanStep {
  node: NodeProto;
  scope: string;
  step: Step;
}

function valueInfo(v: ValueInfoProto): OnnxValueInfo {
  return { name: v.name, dims: v.shape === null ? null : v.shape.map((d) => d.dim_value ?? d.dim_param ?? null) };
}

/** A module name for a node: its name (or op and index) with every character outside [A-Za-z0-9_] made '_'. */
function moduleName(n: NodeProto, index: number, taken: Set<string>): string {
  const base = (n.name === '' ? `${n.op_type}_${index}` : n.name).replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') ||
    `${n.op_type}_${index}`;
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

/** A load-time value, stored in ONNX order so that importers can read weights' data directly. */
function asConstant(v: Value): Value {
  return v.kind === 'float' ? floatValue(keep(plain(v)), identityPerm(v.t.rank), true) : v;
}

/** The sepconv layout of a value of `rank` (NHWC for 4-D, ONNX order otherwise). */
function sepconvPerm(rank: number): readonly number[] {
  return rank === 4 ? NHWC : identityPerm(rank);
}

/**
 * An imported ONNX graph as a Module. `forward(x)` takes and returns sepconv layouts (4-D tensors NHWC; the ONNX
 * input is taken to be NCHW, as PyTorch and most exporters write it) and returns the first output; `run` handles
 * several inputs and outputs, in either layout. The model starts in eval mode.
 */
export class OnnxModel extends Module {
  /** Default-domain opset of the file. */
  readonly opset: number;
  readonly producer: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Op type of each node in the file, in file order (before constant folding and fusion). */
  readonly opTypes: readonly string[];
  private readonly plan: PlanStep[] = [];
  private readonly constants = new Map<string, Value>();

  /** Loads a decoded model; `importOnnx` is the usual entry point. Throws FormatError for anything it cannot load. */
  constructor(model: ModelProto) {
    super();
    const graph = model.graph;
    if (graph === null || (graph.node.length === 0 && graph.output.length === 0))
      throw new FormatError('ONNX: the file holds no graph (is it an ONNX model? a truncated or empty file decodes to nothing)');
    const opsetId = model.opset_import.find((o) => o.domain === '' || o.domain === 'ai.onnx');
    this.opset = opsetId?.version ?? 0;
    if (this.opset < MIN_IMPORT_OPSET || this.opset > MAX_OPSET)
      throw new FormatError(`ONNX: opset ${this.opset || '(none)'} is not supported; sepconv imports opsets ${MIN_IMPORT_OPSET} to ${MAX_OPSET} ` +
        '(re-export the model with a supported opset)');
    this.producer = model.producer_name;
    this.opTypes = graph.node.map((n) => n.op_type);

    const kinds = new Map<string, ValueKind>();
    for (const t of graph.initializer) {
      const kind = kindOfDataType(t.data_type);
      // Other types (e.g. BOOL) are an error only if a node reads them (reported there as an unusable input).
      if (kind === undefined) continue;
      kinds.set(t.name, kind);
      this.constants.set(t.name, asConstant(tensorValue(t)));
    }
    const realInputs = graph.input.filter((v) => !this.constants.has(v.name));
    for (const v of realInputs) {
      if (v.elem_type !== 0 && kindOfDataType(v.elem_type) !== 'float')
        throw new FormatError(`ONNX: graph input "${v.name}" has type ${dataTypeName(v.elem_type)}; only float inputs are supported`);
      kinds.set(v.name, 'float');
    }
    this.inputs = realInputs.map(valueInfo);
    this.outputs = graph.output.map(valueInfo);
    if (this.outputs.length === 0) throw new FormatError('ONNX: the graph declares no outputs');

    const available = new Set([...graph.initializer.map((t) => t.name), ...graph.input.map((v) => v.name)]);
    const order = fusePatterns(topologicalOrder(graph, available), graph, this.opset);
    this.compile(order, kinds, new Set(graph.output.map((o) => o.name)));
    this.eval();
  }

  private compile(order: readonly NodeProto[], kinds: Map<string, ValueKind>, graphOutputs: ReadonlySet<string>): void {
    const readers = new Map<string, number>();
    for (const n of order) for (const i of n.input) readers.set(i, (readers.get(i) ?? 0) + 1);
    const problems: string[] = [];
    const broken = new Set<string>();
    const taken = new Set<string>();
    order.forEach((node, index) => {
      if (node.input.some((i) => broken.has(i))) {
        for (const o of node.output) broken.add(o);
        return;
      }
      const scope = moduleName(node, index, taken);
      try {
        const step = this.compileNode(node, scope, kinds, (o) => graphOutputs.has(o) || (readers.get(o) ?? 0) > 0);
        node.output.forEach((o, i) => o !== '' && kinds.set(o, step.kinds[i] ?? 'float'));
      } catch (err) {
        if (!(err instanceof NodeProblem || err instanceof SepconvError)) throw err;
        problems.push(`node ${describe(node)}: ${err.message}`);
        for (const o of node.output) broken.add(o);
      }
    });
    if (problems.length > 0)
      throw new FormatError(`ONNX import (opset ${this.opset}${this.producer === '' ? '' : `, producer ${this.producer}`}): ` +
        `${problems.length} node${problems.length === 1 ? '' : 's'} cannot be loaded:\n  ${problems.join('\n  ')}\n` +
        `Supported ops: ${SUPPORTED_ONNX_OPS.join(', ')}.`);
  }

  /** Compiles one node: folds it into a constant when all its inputs are constants, else adds it to the plan. */
  private compileNode(node: NodeProto, scope: string, kinds: ReadonlyMap<string, ValueKind>, used: (o: string) => boolean): Step {
    const fused = node.domain === FUSED_DOMAIN;
    if (!fused && node.domain !== '' && node.domain !== 'ai.onnx')
      throw new NodeProblem(`domain "${node.domain}" is not supported (only the default ONNX domain)`);
    const importer = fused ? FUSED_IMPORTERS[node.op_type] : Object.hasOwn(IMPORTERS, node.op_type) ? IMPORTERS[node.op_type] : undefined;
    if (importer === undefined) throw new NodeProblem('op not supported');
    // Importers index their required inputs directly; a node that omits one is malformed, not a crash.
    const required = Object.hasOwn(REQUIRED_INPUTS, node.op_type) ? REQUIRED_INPUTS[node.op_type] : 1;
    for (let i = 0; i < required; i++)
      if ((node.input[i] ?? '') === '') throw new NodeProblem(`required input ${i} is missing (${node.op_type} needs ${required})`);
    node.input.forEach((name, i) => {
      if (name !== '' && !kinds.has(name)) throw new NodeProblem(`input ${i} "${name}" has a data type sepconv cannot compute with`);
    });
    const attrs = new Attributes(node);
    let hasLayer = false;
    const ctx: OpContext = {
      node, opset: this.opset, attrs,
      hasInput: (i) => (node.input[i] ?? '') !== '',
      constant: (i) => this.constants.get(node.input[i] ?? ''),
      kind: (i) => kinds.get(node.input[i] ?? ''),
      outputUsed: (i) => (node.output[i] ?? '') !== '' && used(node.output[i]),
      addModule: (m) => {
        hasLayer = true;
        return this.registerModule(scope, m);
      },
    };
    const step = importer(ctx);
    node.output.forEach((o, i) => {
      if (i >= step.kinds.length && o !== '' && used(o))
        throw new NodeProblem(`output ${i} "${o}" is read, but ${node.op_type} has ${step.kinds.length} output${step.kinds.length === 1 ? '' : 's'}`);
    });
    const unread = attrs.unread();
    if (unread.length > 0) throw new NodeProblem(`attribute${unread.length > 1 ? 's' : ''} ${unread.join(', ')} not supported`);
    const inputs = node.input.map((n) => (n === '' ? undefined : this.constants.get(n)));
    if (!hasLayer && inputs.every((v, i) => v !== undefined || node.input[i] === '')) {
      const outs = noGrad(() => step.run(inputs));
      node.output.forEach((o, i) => o !== '' && outs[i] !== undefined && this.constants.set(o, asConstant(outs[i])));
    } else this.plan.push({ node, scope, step });
    return step;
  }

  /** Runs the plan on `feeds` (graph input name -> value) and returns every value. */
  private execute(feeds: ReadonlyMap<string, Value>): Map<string, Value> {
    const env = new Map<string, Value>([...this.constants, ...feeds]);
    for (const { node, scope, step } of this.plan) {
      const inputs = node.input.map((n) => (n === '' ? undefined : env.get(n)));
      let outs: Value[];
      try {
        outs = inScope(scope, () => step.run(inputs));
      } catch (err) {
        if (err instanceof SepconvError) err.message = `ONNX node ${describe(node)}: ${err.message}`;
        throw err;
      }
      node.output.forEach((o, i) => o !== '' && outs[i] !== undefined && env.set(o, outs[i]));
    }
    return env;
  }

  private checkFeed(info: OnnxValueInfo, t: Tensor, layout: OnnxLayout): Value {
    const perm = layout === 'sepconv' ? sepconvPerm(t.rank) : identityPerm(t.rank);
    const dims = permuteShape(t.shape, perm.map((_, i) => perm.indexOf(i)));
    const want = info.dims;
    if (want !== null && (want.length !== dims.length || want.some((d, i) => typeof d === 'number' && d !== dims[i])))
      throw new ShapeError(`ONNX model input "${info.name}" expects dims [${want.map((d) => d ?? '?').join(', ')}] (ONNX layout), ` +
        `got a tensor of shape ${shapeToString(t.shape)}` + (layout === 'sepconv' && t.rank === 4 ? ` (NHWC, i.e. NCHW [${dims.join(', ')}])` : ''));
    return floatValue(t, perm);
  }

  private output(env: ReadonlyMap<string, Value>, name: string, layout: OnnxLayout): Tensor {
    const v = env.get(name)!;
    if (v.kind === 'int') return new Tensor(Float32Array.from(v.data), v.dims);
    return layout === 'sepconv' ? inLayout(v, sepconvPerm(v.t.rank)) : plain(v);
  }

  /**
   * Runs the model on one sepconv-layout input (NHWC for a 4-D image batch) and returns the first output, 4-D
   * outputs as NHWC.
   */
  forward(x: Tensor): Tensor {
    if (this.inputs.length !== 1)
      throw new ArgumentError(`OnnxModel.forward: the model has ${this.inputs.length} inputs (${this.inputs.map((i) => i.name).join(', ')}); ` +
        'use run({ name: tensor, ... })');
    const info = this.inputs[0];
    const env = this.execute(new Map([[info.name, this.checkFeed(info, x, 'sepconv')]]));
    return this.output(env, this.outputs[0].name, 'sepconv');
  }

  /**
   * Runs the model on named inputs and returns every graph output by name. With layout 'onnx' (default) tensors are
   * in the file's layout (NCHW); with 'sepconv', 4-D tensors are NHWC.
   */
  run(feeds: Readonly<Record<string, Tensor>>, layout: OnnxLayout = 'onnx'): Record<string, Tensor> {
    const unknown = Object.keys(feeds).filter((k) => !this.inputs.some((i) => i.name === k));
    const missing = this.inputs.filter((i) => !Object.hasOwn(feeds, i.name));
    if (unknown.length > 0 || missing.length > 0)
      throw new ArgumentError(`OnnxModel.run: ${missing.length > 0 ? `missing input${missing.length > 1 ? 's' : ''} ${missing.map((i) => `"${i.name}"`).join(', ')}` : ''}` +
        `${missing.length > 0 && unknown.length > 0 ? '; ' : ''}${unknown.length > 0 ? `unknown input${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}` : ''}; ` +
        `the model's inputs are ${this.inputs.map((i) => `"${i.name}"`).join(', ')}`);
    const env = this.execute(new Map(this.inputs.map((i) => [i.name, this.checkFeed(i, feeds[i.name], layout)])));
    return Object.fromEntries(this.outputs.map((o) => [o.name, this.output(env, o.name, layout)]));
  }

  /** Nodes in the file. */
  get nodeCount(): number {
    return this.opTypes.length;
  }

  protected override extraRepr(): string {
    return `opset ${this.opset}, ${this.nodeCount} nodes, ${this.inputs.length} input${this.inputs.length === 1 ? '' : 's'}`;
  }
}

/**
 * Loads an ONNX model (the bytes of a `.onnx` file). Bad files fail fast with a FormatError: not ONNX, truncated,
 * lengths that run past the end, tensors whose data does not match their dims, dangling inputs, cycles, and every
 * unsupported op or attribute (listed together).
 */
export function importOnnx(bytes: Uint8Array): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('importOnnx: expected the file contents as a Uint8Array (e.g. fs.readFileSync(path))');
  checkLooksLikeOnnx(bytes);
  return new OnnxModel(decodeModel(bytes));
}
