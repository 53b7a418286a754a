/**
 * TF.js graph models (`format: graph-model`, as tfjs-converter writes a TensorFlow SavedModel or frozen graph): the
 * GraphDef nodes in `modelTopology.node`, Const values in the weights manifest under the node's name. Only the
 * nodes the outputs depend on are loaded (as TF.js executes them); they run in an order where every input exists
 * first, nodes whose inputs are all constant are computed once at load.
 *
 * Every problem is found at load: one FormatError lists each node that cannot be loaded (unsupported op or
 * attribute, input that must be constant and is not) with the supported ops; a dangling input or a cycle is an
 * error too.
 */
import { FormatError, SepconvError, previewValue } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import { noGrad } from '../../tensor/autograd.js';
import { keep, tidy } from '../../tensor/memory.js';
import { Tensor } from '../../tensor/tensor.js';
import { GRAPH_OPS, SUPPORTED_GRAPH_OPS, type ConstValue, type GraphOpContext } from './graph_ops.js';
import { JsonFields, isObject, type Json, type JsonObject } from './json.js';
import { TfjsModel, scopeName, type TfjsStep, type TfjsTensorInfo } from './model.js';
import { NodeAttrs } from './node_attrs.js';
import type { TfjsWeight } from './weights.js';

interface GraphNode {
  name: string;
  op: string;
  /** Data inputs as value keys "node:output" (control inputs "^node" dropped). */
  inputs: string[];
  attr: Json | undefined;
}

/** "node" -> "node:0", "node:1" stays; null for a control input "^node". */
function valueKey(ref: string): string | null {
  if (ref.startsWith('^')) return null;
  return /:\d+$/.test(ref) ? ref : `${ref}:0`;
}

const nodeOf = (key: string): string => key.slice(0, key.lastIndexOf(':'));

function readNodes(topology: Json | undefined): GraphNode[] {
  if (!isObject(topology) || !Array.isArray(topology['node']))
    throw new FormatError(`TF.js graph model: modelTopology must be a GraphDef {node: [...]}, got ${previewValue(topology)}`);
  const seen = new Set<string>();
  return topology['node'].map((n, i) => {
    if (!isObject(n)) throw new FormatError(`TF.js graph model: node ${i} must be an object {name, op, input, attr}, got ${previewValue(n)}`);
    const f = new JsonFields(n, `TF.js graph model: node ${i}`);
    const name = f.string('name');
    const op = f.string('op');
    if (name === '' || seen.has(name)) throw new FormatError(`TF.js graph model: node ${i} has ${name === '' ? 'an empty' : 'a duplicate'} name "${name}"`);
    seen.add(name);
    const raw = f.has('input') ? f.array('input') : [];
    const inputs = raw.map((r) => {
      if (typeof r !== 'string' || r === '') throw new FormatError(`TF.js graph model: node '${name}' has an input ${previewValue(r)} that is not a node name`);
      return valueKey(r);
    }).filter((k): k is string => k !== null);
    return { name, op, inputs, attr: n['attr'] };
  });
}

/** Names of signature entries ({key: {name: "node:0", ...}}) as value keys, or null without a signature. */
function signatureKeys(json: JsonObject, which: 'inputs' | 'outputs'): string[] | null {
  const sig = json['signature'];
  if (!isObject(sig) || !isObject(sig[which]) || Object.keys(sig[which]).length === 0) return null;
  return Object.values(sig[which]).map((e) => {
    if (!isObject(e) || typeof e['name'] !== 'string') throw new FormatError(`TF.js graph model: signature ${which} entry ${previewValue(e)} has no name`);
    return valueKey(e['name']) ?? e['name'];
  });
}

/** The nodes `outputs` depend on, in an order where each runs after its inputs (stable, Kahn's algorithm). */
function neededInOrder(nodes: readonly GraphNode[], byName: ReadonlyMap<string, GraphNode>, outputs: readonly string[]): GraphNode[] {
  const needed = new Set<GraphNode>();
  const stack = outputs.map((k) => byName.get(nodeOf(k))!);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (needed.has(n)) continue;
    needed.add(n);
    for (const k of n.inputs) stack.push(byName.get(nodeOf(k))!);
  }
  const done = new Set<string>();
  const order: GraphNode[] = [];
  let pending = nodes.filter((n) => needed.has(n));
  while (pending.length > 0) {
    const ready = pending.filter((n) => n.inputs.every((k) => done.has(nodeOf(k))));
    if (ready.length === 0)
      throw new FormatError(`TF.js graph model: the nodes contain a cycle (${pending.slice(0, 5).map((n) => `'${n.name}' (${n.op})`).join(', ')} can never run)`);
    for (const n of ready) done.add(n.name);
    order.push(...ready);
    pending = pending.filter((n) => !ready.includes(n));
  }
  return order;
}

function constOf(w: TfjsWeight): ConstValue {
  return { shape: w.shape, data: w.data, kind: w.kind };
}

const describe = (n: GraphNode): string => `node '${n.name}' (${n.op})`;

/** Builds a TfjsModel from a graph-model model.json (already parsed) and its decoded weights. */
export function loadGraphModel(json: JsonObject, weights: ReadonlyMap<string, TfjsWeight>, meta: { generatedBy: string; convertedBy: string }): TfjsModel {
  const nodes = readNodes(json['modelTopology']);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const n of nodes)
    for (const k of n.inputs)
      if (!byName.has(nodeOf(k)))
        throw new FormatError(`TF.js graph model: ${describe(n)} reads "${k}", which no node produces (a dangling input)`);
  const read = new Set(nodes.flatMap((n) => n.inputs.map(nodeOf)));
  const outputKeys = signatureKeys(json, 'outputs') ??
    nodes.filter((n) => !read.has(n.name) && !['Const', 'Placeholder', 'NoOp'].includes(n.op)).map((n) => `${n.name}:0`);
  for (const k of outputKeys)
    if (!byName.has(nodeOf(k))) throw new FormatError(`TF.js graph model: output "${k}" is not a node of the graph`);
  if (outputKeys.length === 0) throw new FormatError('TF.js graph model: the graph has no outputs');
  const order = neededInOrder(nodes, byName, outputKeys);
  const signatureInputs = signatureKeys(json, 'inputs');

  return new TfjsModel('graph-model', meta, (register) => {
    const consts = new Map<string, ConstValue>();
    const inputs: (TfjsTensorInfo & { key: string })[] = [];
    const steps: TfjsStep[] = [];
    const problems: string[] = [];
    const broken = new Set<string>();
    const taken = new Set<string>();
    for (const node of order) {
      // A node fed by a node that failed is not reported again.
      if (node.inputs.some((k) => broken.has(nodeOf(k)))) {
        broken.add(node.name);
        continue;
      }
      try {
        const step = loadNode(node, weights, consts, inputs, register, taken);
        if (step !== null) steps.push(step);
      } catch (err) {
        if (!(err instanceof SepconvError)) throw err;
        problems.push(`${describe(node)}: ${err.message}`);
        broken.add(node.name);
      }
    }
    if (problems.length > 0)
      throw new FormatError(`TF.js graph model: ${problems.length} node${problems.length === 1 ? '' : 's'} cannot be loaded:\n  ` +
        `${problems.join('\n  ')}\nSupported ops: ${SUPPORTED_GRAPH_OPS.join(', ')}.`);
    if (signatureInputs !== null) {
      const unknown = signatureInputs.filter((k) => !inputs.some((i) => i.key === k));
      if (unknown.length > 0) throw new FormatError(`TF.js graph model: signature inputs ${unknown.join(', ')} are not Placeholders the outputs depend on`);
    }
    // Constants read at run time (by a step or as an output) become tensors once, kept alive with the model.
    const constants = new Map<string, Tensor>();
    for (const k of [...steps.flatMap((s) => s.inputs), ...outputKeys]) {
      const c = consts.get(k);
      if (c === undefined || constants.has(k)) continue;
      if (c.kind !== 'float') throw new FormatError(`TF.js graph model: "${k}" is an integer constant used as a float value`);
      constants.set(k, keep(new Tensor(Float32Array.from(c.data), c.shape)));
    }
    const outputs = outputKeys.map((k) => ({ name: k.endsWith(':0') ? nodeOf(k) : k, shape: null, key: k }));
    return { inputs, outputs, steps, constants, opTypes: nodes.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder').map((n) => n.op) };
  });
}

/** Loads one node: a Const or a Placeholder is recorded, a node of constants folded, anything else becomes a step. */
function loadNode(node: GraphNode, weights: ReadonlyMap<string, TfjsWeight>, consts: Map<string, ConstValue>,
  inputs: (TfjsTensorInfo & { key: string })[], register: <M extends Module>(scope: string, m: M) => M, taken: Set<string>): TfjsStep | null {
  const key = `${node.name}:0`;
  const attrs = new NodeAttrs(node.attr);
  if (node.op === 'Const') {
    const w = weights.get(node.name);
    if (w === undefined) throw new FormatError('its value is not in the weights manifest (a weight shard or manifest entry is missing)');
    consts.set(key, constOf(w));
    return null;
  }
  if (node.op === 'Placeholder') {
    const dtype = attrs.dtype('dtype', 'float32');
    if (dtype !== 'float32') throw new FormatError(`input dtype ${dtype} is not supported (only float32 inputs)`);
    inputs.push({ name: node.name, shape: attrs.shape('shape'), key });
    return null;
  }
  const importer = Object.hasOwn(GRAPH_OPS, node.op) ? GRAPH_OPS[node.op] : undefined;
  if (importer === undefined) throw new FormatError('op not supported');
  const scope = scopeName(node.name, node.op, taken);
  let hasLayer = false;
  const ctx: GraphOpContext = {
    attrs,
    inputCount: node.inputs.length,
    constant: (i) => consts.get(node.inputs[i] ?? ''),
    addModule: (m) => {
      hasLayer = true;
      return register(scope, m);
    },
  };
  const plan = importer(ctx);
  attrs.ignore('dtype');
  const unread = attrs.unread();
  if (unread.length > 0) throw new FormatError(`attribute${unread.length > 1 ? 's' : ''} ${unread.join(', ')} not supported`);
  const reads = plan.reads.map((i) => node.inputs[i]);
  for (const k of reads)
    if (consts.get(k)?.kind === 'int') throw new FormatError(`input "${k}" is an integer constant; only float values are computed at run time`);
  if (!hasLayer && reads.every((k) => consts.has(k))) {
    // The values are copied out so that every tensor of the computation is freed.
    tidy(() => noGrad(() => {
      const y = plan.run(reads.map((k) => new Tensor(Float32Array.from(consts.get(k)!.data), consts.get(k)!.shape)));
      consts.set(key, { shape: [...y.shape], data: y.data.slice(), kind: 'float' });
    }));
    return null;
  }
  return { scope, label: describe(node), inputs: reads, outputs: [key], run: (xs) => [plan.run(xs)] };
}
