/**
 * An imported TF.js model as an nn Module. The loaders (layers_model.ts, graph_model.ts) turn the file into a list of
 * steps, one per Keras layer call or TF node, whose weights live in real sepconv layers (Conv2d, DepthwiseConv2d,
 * PointwiseConv2d, SeparableConv2d, BatchNorm2d, Linear, PReLU) registered under the layer's or node's name. So the
 * model has parameters and a state dict, trains, is costed by `analyse` layer by layer and exports to ONNX.
 * TF.js is NHWC like sepconv: tensors go in and out as they are.
 */
import { ArgumentError, SepconvError, ShapeError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { Tensor, shapeToString } from '../../tensor/tensor.js';
import { inScope } from '../../tensor/trace.js';

/** A model input or output: its name and its shape with the batch (and other free sizes) as null. */
export interface TfjsTensorInfo {
  name: string;
  /** Declared shape (NHWC for images), null where any size goes; null when the file does not say. */
  shape: (number | null)[] | null;
}

/** One layer call or node: reads values by key, writes its outputs under their keys. */
export interface TfjsStep {
  /** Module path of the layer that holds the weights ('' for none); ops run in this scope. */
  scope: string;
  /** "layer 'conv1' (Conv2D)" or "node 'MobilenetV1/Conv2d_0' (_FusedConv2D)", for errors. */
  label: string;
  inputs: readonly string[];
  outputs: readonly string[];
  run(inputs: readonly Tensor[]): Tensor[];
}

/** What a loader builds: the steps in execution order, load-time constants, and the graph's inputs and outputs. */
export interface TfjsGraph {
  inputs: (TfjsTensorInfo & { key: string })[];
  outputs: (TfjsTensorInfo & { key: string })[];
  steps: TfjsStep[];
  constants: ReadonlyMap<string, Tensor>;
  /** Keras class name of each layer, or TF op of each node, in file order. */
  opTypes: string[];
}

export type TfjsFormat = 'layers-model' | 'graph-model';

/** Registers a layer on the model under `scope` (a name without dots) and returns it. */
export type RegisterLayer = <M extends Module>(scope: string, m: M) => M;

/**
 * An imported TF.js layers or graph model. `forward(x)` takes the single input (NHWC for images) and returns the
 * first output; `run` takes and returns every input and output by name. Starts in eval mode.
 */
export class TfjsModel extends Module {
  readonly format: TfjsFormat;
  /** The model.json's generatedBy / convertedBy ('' when absent). */
  readonly generatedBy: string;
  readonly convertedBy: string;
  readonly inputs: readonly TfjsTensorInfo[];
  readonly outputs: readonly TfjsTensorInfo[];
  /** Keras class name of each layer (layers models) or TF op of each node (graph models), in file order. */
  readonly opTypes: readonly string[];
  private readonly graph: TfjsGraph;

  /** Used by `loadTfjsModel`; `build` registers the layers it creates through `register`. */
  constructor(format: TfjsFormat, meta: { generatedBy: string; convertedBy: string }, build: (register: RegisterLayer) => TfjsGraph) {
    super();
    this.format = format;
    this.generatedBy = meta.generatedBy;
    this.convertedBy = meta.convertedBy;
    this.graph = build((scope, m) => this.registerModule(scope, m));
    this.inputs = this.graph.inputs.map(({ name, shape }) => ({ name, shape }));
    this.outputs = this.graph.outputs.map(({ name, shape }) => ({ name, shape }));
    this.opTypes = this.graph.opTypes;
    this.eval();
  }

  private checkFeed(info: TfjsTensorInfo, t: Tensor): void {
    if (!(t instanceof Tensor)) throw new ArgumentError(`TF.js model input "${info.name}" must be a Tensor`);
    const want = info.shape;
    if (want !== null && (want.length !== t.rank || want.some((d, i) => d !== null && d !== t.shape[i])))
      throw new ShapeError(`TF.js model input "${info.name}" expects shape [${want.map((d) => d ?? '?').join(', ')}] (NHWC for images), ` +
        `got ${shapeToString(t.shape)}`);
  }

  private execute(feeds: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
    const env = new Map<string, Tensor>([...this.graph.constants, ...feeds]);
    for (const step of this.graph.steps) {
      const xs = step.inputs.map((k) => env.get(k)!);
      let ys: Tensor[];
      try {
        ys = step.scope === '' ? step.run(xs) : inScope(step.scope, () => step.run(xs));
      } catch (err) {
        if (err instanceof SepconvError) err.message = `TF.js ${step.label}: ${err.message}`;
        throw err;
      }
      step.outputs.forEach((k, i) => env.set(k, ys[i]));
    }
    return env;
  }

  /** Runs the model on its single input (NHWC for images) and returns its first output. */
  forward(x: Tensor): Tensor {
    if (this.graph.inputs.length !== 1)
      throw new ArgumentError(`TfjsModel.forward: the model has ${this.graph.inputs.length} inputs ` +
        `(${this.graph.inputs.map((i) => i.name).join(', ')}); use run({ name: tensor, ... })`);
    const input = this.graph.inputs[0];
    this.checkFeed(input, x);
    return this.execute(new Map([[input.key, x]])).get(this.graph.outputs[0].key)!;
  }

  /** Runs the model on named inputs and returns every output by name. */
  run(feeds: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
    const names = this.graph.inputs.map((i) => `"${i.name}"`).join(', ');
    const unknown = Object.keys(feeds).filter((k) => !this.graph.inputs.some((i) => i.name === k));
    const missing = this.graph.inputs.filter((i) => !Object.hasOwn(feeds, i.name)).map((i) => `"${i.name}"`);
    if (unknown.length > 0 || missing.length > 0)
      throw new ArgumentError(`TfjsModel.run: ${[missing.length > 0 ? `missing ${missing.join(', ')}` : '', unknown.length > 0 ? `unknown ` +
        `${unknown.map((k) => `"${k}"`).join(', ')}` : ''].filter((s) => s !== '').join('; ')}; the model's inputs are ${names}`);
    for (const i of this.graph.inputs) this.checkFeed(i, feeds[i.name]);
    const env = this.execute(new Map(this.graph.inputs.map((i) => [i.key, feeds[i.name]])));
    return Object.fromEntries(this.graph.outputs.map((o) => [o.name, env.get(o.key)!]));
  }

  protected override extraRepr(): string {
    return `${this.format}, ${this.opTypes.length} ${this.format === 'layers-model' ? 'layers' : 'nodes'}`;
  }
}

/** A module name for a layer or node: its name with every character outside [A-Za-z0-9_] made '_', made unique. */
export function scopeName(name: string, fallback: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || fallback;
  let scope = base;
  for (let k = 2; taken.has(scope); k++) scope = `${base}_${k}`;
  taken.add(scope);
  return scope;
}
