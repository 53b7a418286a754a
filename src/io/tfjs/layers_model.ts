/**
 * TF.js layers models (`format: layers-model`, as `model.save()` and the Keras converter write them): the Keras
 * topology in `modelTopology` (Sequential, or a functional Model whose layers name their inputs in
 * `inbound_nodes`) becomes a list of steps, one per layer call, in an order where each input exists before it is
 * read. Nested models (a Sequential or Model used as a layer) become child TfjsModels.
 *
 * Every problem is found at load: one FormatError lists every layer that cannot be loaded (unsupported class,
 * config value or weight) with the supported layers; a dangling input, a cycle or a missing output is an error too.
 */
import { FormatError, SepconvError, previewValue } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { JsonFields, isObject, type Json, type JsonObject } from './json.js';
import { SUPPORTED_KERAS_LAYERS, kerasConverter, type KerasLayerContext, type LayerWeight } from './keras_layers.js';
import { TfjsModel, scopeName, type RegisterLayer, type TfjsGraph, type TfjsStep, type TfjsTensorInfo } from './model.js';
import type { TfjsWeight } from './weights.js';

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/** Config keys that do not change inference (names, dtypes, initializers, regularizers, constraints, input shapes). */
const INERT_KEYS = /^(name|trainable|dtype|batch_input_shape|batch_shape|input_shape|input_dim|input_dtype|dynamic|autocast|sparse|ragged|activity_regularizer|.+_(initializer|regularizer|constraint))$/;

interface LayerSpec {
  name: string;
  className: string;
  config: JsonObject;
  /** Each call: its node index (the key of its output) and its inputs as value keys "layer:node:tensor". */
  calls: { node: number; inputs: string[] }[];
}

const key = (layer: string, node: number, tensor: number): string => `${layer}:${node}:${tensor}`;

/** Where a layer's weights are: "layer/attr" (any prefix of enclosing models, ":0" suffix dropped) -> manifest names. */
class WeightIndex {
  private readonly byTail = new Map<string, string[]>();

  constructor(readonly weights: ReadonlyMap<string, TfjsWeight>) {
    for (const name of weights.keys()) {
      const parts = name.replace(/:\d+$/, '').split('/');
      if (parts.length < 2) continue;
      const tail = parts.slice(-2).join('/');
      this.byTail.set(tail, [...(this.byTail.get(tail) ?? []), name]);
    }
  }

  find(layer: string, attr: string): TfjsWeight {
    const exact = this.weights.get(`${layer}/${attr}`);
    if (exact !== undefined) return exact;
    const found = this.byTail.get(`${layer}/${attr}`) ?? [];
    if (found.length === 1) return this.weights.get(found[0])!;
    if (found.length > 1) throw new FormatError(`weight "${layer}/${attr}" is ambiguous: the manifest has ${found.join(', ')}`);
    throw new FormatError(`weight "${layer}/${attr}" is not in the weights manifest (is a weight shard missing from model.json?)`);
  }
}

/** [name, node, tensor] references: `input_layers` / `output_layers` hold one or a list of them. */
function layerRefs(v: Json | undefined, what: string): [string, number, number][] {
  if (!Array.isArray(v)) throw new FormatError(`TF.js layers model: ${what} must be a list of [layer, node, tensor], got ${previewValue(v)}`);
  const list = typeof v[0] === 'string' ? [v] : v;
  return list.map((r) => {
    if (!Array.isArray(r) || typeof r[0] !== 'string' || !Number.isInteger(r[1]) || !Number.isInteger(r[2]))
      throw new FormatError(`TF.js layers model: ${what} entry ${previewValue(r)} is not [layer, node, tensor]`);
    return [r[0], r[1] as number, r[2] as number];
  });
}

/** The tensors an inbound node reads: Keras 2 / TF.js [[layer, node, tensor, kwargs], ...] or Keras 3 {args: [...]}. */
function nodeInputs(node: Json, where: string): string[] {
  if (Array.isArray(node)) {
    return node.map((r) => {
      if (!Array.isArray(r) || typeof r[0] !== 'string' || !Number.isInteger(r[1]) || !Number.isInteger(r[2]))
        throw new FormatError(`${where}: inbound entry ${previewValue(r)} is not [layer, node, tensor, kwargs]`);
      return key(r[0], r[1] as number, r[2] as number);
    });
  }
  if (isObject(node) && Array.isArray(node['args'])) {
    const out: string[] = [];
    const visit = (v: Json): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (isObject(v) && v['class_name'] === '__keras_tensor__' && isObject(v['config'])) {
        const h = v['config']['keras_history'];
        if (!Array.isArray(h) || typeof h[0] !== 'string' || !Number.isInteger(h[1]) || !Number.isInteger(h[2]))
          throw new FormatError(`${where}: keras_history ${previewValue(h)} is not [layer, node, tensor]`);
        out.push(key(h[0], h[1] as number, h[2] as number));
      }
    };
    visit(node['args']);
    return out;
  }
  throw new FormatError(`${where}: inbound node ${previewValue(node)} is neither [[layer, node, tensor, kwargs], ...] nor {args: [...]}`);
}

function readLayer(v: Json, i: number): { name: string; className: string; config: JsonObject; raw: JsonObject } {
  if (!isObject(v)) throw new FormatError(`TF.js layers model: layer ${i} must be an object {class_name, config}, got ${previewValue(v)}`);
  const f = new JsonFields(v, `TF.js layers model: layer ${i}`);
  const className = f.string('class_name');
  const config = f.has('config') ? f.object('config') : {};
  const name = typeof v['name'] === 'string' ? v['name'] : typeof config['name'] === 'string' ? config['name'] : `${className}_${i}`;
  return { name, className, config, raw: v };
}

/** The [null, H, W, C]-style shape an input layer (or a Sequential's first layer) declares, or null. */
function declaredShape(config: JsonObject): (number | null)[] | null {
  const raw = config['batch_input_shape'] ?? config['batch_shape'] ??
    (Array.isArray(config['input_shape']) ? [null, ...config['input_shape']] : undefined);
  if (!Array.isArray(raw) || !raw.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d > 0))) return null;
  return raw as (number | null)[];
}

/**
 * Whether a layer is a nested model created with its own input (a functional model, or a Sequential whose first
 * layer is an InputLayer or declares its input shape): Keras and TF.js then number its calls from 1.
 */
function ownsFirstNode(className: string, config: JsonObject): boolean {
  if (className === 'Model' || className === 'Functional') return true;
  if (className !== 'Sequential') return false;
  const layers = Array.isArray(config) ? config : config['layers'];
  const first = Array.isArray(layers) ? layers[0] : undefined;
  return isObject(first) && (first['class_name'] === 'InputLayer' || (isObject(first['config']) && declaredShape(first['config']) !== null));
}

interface Topology {
  layers: LayerSpec[];
  inputs: (TfjsTensorInfo & { key: string })[];
  /** Output value keys with the name of the layer that computes each. */
  outputs: { layer: string; key: string }[];
}

function sequentialTopology(config: Json): Topology {
  const list = Array.isArray(config) ? config : isObject(config) ? new JsonFields(config, 'TF.js Sequential config').array('layers') : null;
  if (list === null) throw new FormatError(`TF.js Sequential: config must hold a list of layers, got ${previewValue(config)}`);
  const all = list.map(readLayer);
  if (all.length === 0) throw new FormatError('TF.js Sequential: the model has no layers');
  const first = all[0];
  const explicit = first.className === 'InputLayer';
  const inputName = explicit ? first.name : `${first.name}_input`;
  const input = { name: inputName, shape: declaredShape(first.config), key: key(inputName, 0, 0) };
  const layers: LayerSpec[] = [];
  let previous = input.key;
  for (const l of explicit ? all.slice(1) : all) {
    layers.push({ ...l, calls: [{ node: 0, inputs: [previous] }] });
    previous = key(l.name, 0, 0);
  }
  return { layers, inputs: [input], outputs: [{ layer: all[all.length - 1].name, key: previous }] };
}

function functionalTopology(config: Json): Topology {
  if (!isObject(config)) throw new FormatError(`TF.js functional model: config must be an object, got ${previewValue(config)}`);
  const f = new JsonFields(config, 'TF.js functional model config');
  const layers: LayerSpec[] = [];
  const inputLayers = new Map<string, JsonObject>();
  f.array('layers').forEach((v, i) => {
    const l = readLayer(v, i);
    if (l.className === 'InputLayer') {
      inputLayers.set(l.name, l.config);
      return;
    }
    const inbound = l.raw['inbound_nodes'] ?? [];
    if (!Array.isArray(inbound)) throw new FormatError(`TF.js layer '${l.name}': inbound_nodes must be a list, got ${previewValue(inbound)}`);
    // A nested model built on its own input owns node 0 (linking that input to its output); calls start at 1.
    const first = ownsFirstNode(l.className, l.config) ? 1 : 0;
    layers.push({ ...l, calls: inbound.map((n, j) => ({ node: first + j, inputs: nodeInputs(n, `TF.js layer '${l.name}'`) })) });
  });
  const inputs = layerRefs(f.raw('input_layers'), 'input_layers').map(([name, node, tensor]) => {
    const cfg = inputLayers.get(name);
    if (cfg === undefined) throw new FormatError(`TF.js functional model: input "${name}" is not an InputLayer of the model`);
    return { name, shape: declaredShape(cfg), key: key(name, node, tensor) };
  });
  const outputs = layerRefs(f.raw('output_layers'), 'output_layers').map(([layer, node, tensor]) => ({ layer, key: key(layer, node, tensor) }));
  return { layers, inputs, outputs };
}

/** Keras-converted files wrap the model in {keras_version, backend, model_config}; TF.js' own saves do not. */
function modelConfig(topology: Json): { className: string; config: Json } {
  let t = topology;
  if (isObject(t) && isObject(t['model_config'])) t = t['model_config'];
  if (!isObject(t) || typeof t['class_name'] !== 'string')
    throw new FormatError(`TF.js layers model: modelTopology must be a Keras model config {class_name, config}, got ${previewValue(t)}`);
  return { className: t['class_name'], config: t['config'] ?? null };
}

function topologyOf(className: string, config: Json): Topology {
  if (className === 'Sequential') return sequentialTopology(config);
  if (className === 'Model' || className === 'Functional') return functionalTopology(config);
  throw new FormatError(`TF.js layers model: model class "${className}" is not supported (Sequential, Model or Functional)`);
}

/** One step per layer call, ordered so that every input is computed first (Kahn's algorithm, stable). */
function orderCalls(layers: readonly LayerSpec[], available: ReadonlySet<string>): { layer: LayerSpec; node: number; inputs: string[] }[] {
  const calls = layers.flatMap((layer) => layer.calls.map(({ node, inputs }) => ({ layer, node, inputs })));
  const producers = new Set(calls.map((c) => key(c.layer.name, c.node, 0)));
  for (const c of calls)
    for (const i of c.inputs)
      if (!available.has(i) && !producers.has(i))
        throw new FormatError(`TF.js layers model: layer '${c.layer.name}' reads "${i}", which no layer or input produces ` +
          '(a dangling input: only the first output of each layer call is supported)');
  const done = new Set(available);
  const order: typeof calls = [];
  let pending = calls;
  while (pending.length > 0) {
    const ready = pending.filter((c) => c.inputs.every((i) => done.has(i)));
    if (ready.length === 0)
      throw new FormatError(`TF.js layers model: the layers form a cycle (${pending.slice(0, 5).map((c) => `'${c.layer.name}'`).join(', ')} can never run)`);
    for (const c of ready) done.add(key(c.layer.name, c.node, 0));
    order.push(...ready);
    pending = pending.filter((c) => !ready.includes(c));
  }
  return order;
}

function checkConfigRead(f: JsonFields): void {
  const left = f.unread().filter((k) => {
    const v = f.obj[k];
    const empty = v === null || v === false || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
    return !INERT_KEYS.test(k) && !empty;
  });
  if (left.length > 0)
    throw new FormatError(`config ${left.map((k) => `${k}=${previewValue(f.obj[k])}`).join(', ')} not supported`);
}

function floatWeight(w: TfjsWeight, rank: number | undefined): LayerWeight {
  if (w.kind !== 'float') throw new FormatError(`weight "${w.name}" is an integer tensor; layers need float weights`);
  if (rank !== undefined && w.shape.length !== rank)
    throw new FormatError(`weight "${w.name}" has shape [${w.shape.join(', ')}], expected ${rank} axes`);
  return { shape: w.shape, data: w.data };
}

/**
 * Builds the steps of a Keras topology (the `modelTopology` of model.json, or a nested model's config), registering
 * each layer that holds weights through `register`.
 */
function buildKerasGraph(topology: Json, weights: WeightIndex, register: RegisterLayer, meta: { generatedBy: string; convertedBy: string }): TfjsGraph {
  const { className, config } = modelConfig(topology);
  const topo = topologyOf(className, config);
  if (topo.inputs.length === 0) throw new FormatError('TF.js layers model: the model declares no inputs');
  if (topo.outputs.length === 0) throw new FormatError('TF.js layers model: the model declares no outputs');
  const available = new Set(topo.inputs.map((i) => i.key));
  const order = orderCalls(topo.layers, available);
  for (const o of topo.outputs)
    if (!available.has(o.key) && !order.some((c) => key(c.layer.name, c.node, 0) === o.key))
      throw new FormatError(`TF.js layers model: output "${o.key}" is produced by no layer call`);

  const taken = new Set<string>();
  const scopes = new Map(topo.layers.map((l) => [l, scopeName(l.name, l.className, taken)]));
  const runs = new Map<LayerSpec, (xs: readonly Tensor[]) => Tensor>();
  const problems: string[] = [];
  for (const layer of topo.layers) {
    const scope = scopes.get(layer)!;
    try {
      if (MODEL_CLASSES.has(layer.className)) {
        const child = register(scope, new TfjsModel('layers-model', meta, (r) => buildKerasGraph({ class_name: layer.className, config: layer.config }, weights, r, meta)));
        runs.set(layer, ([x]) => child.forward(x));
        continue;
      }
      const convert = kerasConverter(layer.className);
      if (convert === undefined) throw new FormatError('layer class not supported');
      const fields = new JsonFields(layer.config, 'config');
      const ctx: KerasLayerContext = {
        config: fields,
        inputCount: layer.calls[0]?.inputs.length ?? 1,
        weight: (attr, rank) => floatWeight(weights.find(layer.name, attr), rank),
        addModule: <M extends Module>(m: M): M => register(scope, m),
      };
      runs.set(layer, convert(ctx));
      checkConfigRead(fields);
    } catch (err) {
      if (!(err instanceof SepconvError)) throw err;
      problems.push(`layer '${layer.name}' (${layer.className}): ${err.message}`);
    }
  }
  if (problems.length > 0)
    throw new FormatError(`TF.js layers model: ${problems.length} layer${problems.length === 1 ? '' : 's'} cannot be loaded:\n  ` +
      `${problems.join('\n  ')}\nSupported layers: ${SUPPORTED_KERAS_LAYERS.join(', ')} (and nested Sequential / functional models).`);

  const steps: TfjsStep[] = order.map(({ layer, node, inputs }) => ({
    scope: scopes.get(layer)!,
    label: `layer '${layer.name}' (${layer.className})`,
    inputs,
    outputs: [key(layer.name, node, 0)],
    run: (xs) => [runs.get(layer)!(xs)],
  }));
  // Output names: the layer's name (with the call's node and tensor when a layer gives several outputs).
  const outputs = topo.outputs.map(({ layer, key: k }) => {
    const name = topo.outputs.filter((o) => o.layer === layer).length > 1 ? k : layer;
    return { name, shape: null, key: k };
  });
  return { inputs: topo.inputs, outputs, steps, constants: new Map(), opTypes: topo.layers.map((l) => l.className) };
}

/** Builds a TfjsModel from a layers-model model.json (already parsed) and its decoded weights. */
export function loadLayersModel(json: JsonObject, weights: ReadonlyMap<string, TfjsWeight>, meta: { generatedBy: string; convertedBy: string }): TfjsModel {
  if (!Object.hasOwn(json, 'modelTopology')) throw new FormatError('TF.js layers model: model.json has no modelTopology');
  const index = new WeightIndex(weights);
  return new TfjsModel('layers-model', meta, (register) => buildKerasGraph(json['modelTopology'], index, register, meta));
}
