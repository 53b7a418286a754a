/**
 * The graph under construction during export: ONNX nodes, initializers, and which ONNX value stands for each sepconv
 * tensor. Activations are NCHW in ONNX: a 4-D sepconv tensor (NHWC) is the ONNX value transpose(t, NCHW); tensors of
 * other ranks keep their order. Weights are converted to ONNX layouts as they are added.
 */
import { ArgumentError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { attr, floatTensor, int64Tensor, node, type AttrValue } from './builder.js';
import { NCHW, identityPerm, isDataPreserving, isIdentity, permuteShape, transposeData } from './layout.js';
import type { NodeProto, TensorProto } from './proto.js';

/** The ONNX order of a sepconv tensor of `rank`: s axis ONNX_ORDER[i] is ONNX axis i. */
export function onnxOrder(rank: number): readonly number[] {
  return rank === 4 ? NCHW : identityPerm(rank);
}

/** ONNX dims of a sepconv shape. */
export function onnxDims(shape: readonly number[]): number[] {
  return permuteShape(shape, onnxOrder(shape.length));
}

/** The ONNX axis where sepconv axis `a` of a rank-`rank` tensor sits. */
export function onnxAxis(a: number, rank: number): number {
  const r = a < 0 ? a + rank : a;
  return onnxOrder(rank).indexOf(r);
}

export class GraphWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  /** ONNX value of each sepconv tensor already in the graph (input, op outputs, constants). */
  private readonly values = new Map<Tensor, string>();
  /** Initializers made from a tensor, by tensor and layout tag, so each conversion is written once. */
  private readonly weights = new Map<Tensor, Map<string, string>>();
  private readonly used = new Set<string>();
  /** Parameter and buffer names of the model, for initializer names. */
  private readonly paramNames: Map<Tensor, string>;

  constructor(model: Module, readonly opset: number) {
    this.paramNames = new Map([...model.namedParameters(), ...model.namedBuffers()].map(([n, t]) => [t, n]));
  }

  /** A name not used yet, from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node and returns its (first) output's name. */
  add(op: string, inputs: readonly string[], scope: string, attrs: Readonly<Record<string, AttrValue>> = {}, outputs = 1): string[] {
    const name = this.fresh(scope === '' ? op : `${scope}/${op}`);
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(`${name}_output_${i}`));
    this.nodes.push(node(op, inputs, outs, attrs, name));
    return outs;
  }

  one(op: string, inputs: readonly string[], scope: string, attrs: Readonly<Record<string, AttrValue>> = {}): string {
    return this.add(op, inputs, scope, attrs)[0];
  }

  bind(t: Tensor, name: string): void {
    this.values.set(t, name);
  }

  has(t: Tensor): boolean {
    return this.values.has(t);
  }

  paramName(t: Tensor): string | undefined {
    return this.paramNames.get(t);
  }

  /**
   * The ONNX value of tensor `t` as an activation. A tensor not computed in the graph (a parameter, buffer or a
   * constant made inside forward) becomes an initializer in ONNX order.
   */
  value(t: Tensor): string {
    const v = this.values.get(t);
    if (v !== undefined) return v;
    return this.weight(t, 'value', (d, s) => ({ data: t.rank === 4 ? transposeData(d, s, NCHW) : d, dims: onnxDims(s) }));
  }

  /** An initializer from `t` converted by `convert` (cached by `tag`), named after the parameter it comes from. */
  weight(t: Tensor, tag: string, convert: (data: Float32Array, shape: readonly number[]) => { data: Float32Array; dims: number[] }): string {
    let byTag = this.weights.get(t);
    if (byTag === undefined) this.weights.set(t, (byTag = new Map()));
    const cached = byTag.get(tag);
    if (cached !== undefined) return cached;
    const { data, dims } = convert(t.data, t.shape);
    const base = this.paramNames.get(t) ?? 'const';
    const name = this.initializer(floatTensor(this.fresh(tag === 'value' ? base : `${base}_${tag}`), dims, data));
    byTag.set(tag, name);
    return name;
  }

  /** Adds an initializer and returns its name (taken from the tensor). */
  initializer(t: TensorProto): string {
    this.used.add(t.name);
    this.initializers.push(t);
    return t.name;
  }

  floatConst(values: readonly number[], dims: readonly number[], base: string): string {
    return this.initializer(floatTensor(this.fresh(base), dims, values));
  }

  intConst(values: readonly number[], base: string): string {
    return this.initializer(int64Tensor(this.fresh(base), [values.length], values));
  }

  /**
   * `input` (ONNX dims `dims`) transposed by `perm` (output axis i is input axis perm[i]): nothing for the
   * identity, a Reshape when only size-1 axes move, else a Transpose.
   */
  transpose(input: string, dims: readonly number[], perm: readonly number[], scope: string): string {
    if (isIdentity(perm)) return input;
    if (isDataPreserving(dims, perm)) return this.reshape(input, permuteShape(dims, perm), scope);
    return this.one('Transpose', [input], scope, { perm: attr.ints(perm) });
  }

  reshape(input: string, dims: readonly number[], scope: string): string {
    return this.one('Reshape', [input, this.intConst(dims, 'shape')], scope);
  }

  /** Renames value `from` to `to` everywhere (for the graph output's name). */
  rename(from: string, to: string): void {
    if (this.used.has(to) && from !== to) throw new ArgumentError(`exportOnnx: the name '${to}' is already used in the graph; choose another`);
    for (const n of this.nodes) {
      n.input = n.input.map((i) => (i === from ? to : i));
      n.output = n.output.map((o) => (o === from ? to : o));
    }
    this.used.add(to);
  }
}
