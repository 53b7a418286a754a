/**
 * What an op importer sees of its node at load time (attributes, constant inputs, opset) and what it returns (a
 * step that runs the node on run-time values). Problems found at load are thrown as {@link NodeProblem}; the
 * loader collects those of every node into one FormatError.
 */
import type { Module } from '../../nn/module.js';
import { AttributeType, type AttributeProto, type NodeProto, type TensorProto } from './proto.js';
import type { Value, ValueKind } from './values.js';

/** A node the importer cannot load (unsupported op, attribute or value, or a malformed node). */
export class NodeProblem extends Error {}

const TYPE_NAMES: Record<number, string> = {
  [AttributeType.FLOAT]: 'FLOAT', [AttributeType.INT]: 'INT', [AttributeType.STRING]: 'STRING',
  [AttributeType.TENSOR]: 'TENSOR', [AttributeType.GRAPH]: 'GRAPH', [AttributeType.FLOATS]: 'FLOATS',
  [AttributeType.INTS]: 'INTS', [AttributeType.STRINGS]: 'STRINGS',
};

const utf8 = new TextDecoder();

/**
 * Typed access to a node's attributes. Every attribute the node carries must be read (or explicitly ignored): one
 * left unread is an attribute the importer does not understand, and the loader reports it instead of silently
 * computing something else.
 */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();
  private readonly read = new Set<string>();

  constructor(node: NodeProto) {
    for (const a of node.attribute) this.byName.set(a.name, a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: number): AttributeProto | undefined {
    this.read.add(name);
    const a = this.byName.get(name);
    // Old exporters sometimes leave `type` unset (0); the value field then decides.
    if (a !== undefined && a.type !== type && a.type !== AttributeType.UNDEFINED)
      throw new NodeProblem(`attribute ${name} has type ${TYPE_NAMES[a.type] ?? a.type}, expected ${TYPE_NAMES[type]}`);
    return a;
  }

  private required<T>(name: string, fallback: T | undefined): T {
    if (fallback === undefined) throw new NodeProblem(`required attribute ${name} is missing`);
    return fallback;
  }

  int(name: string, fallback?: number): number {
    const a = this.get(name, AttributeType.INT);
    return a === undefined ? this.required(name, fallback) : a.i;
  }

  float(name: string, fallback?: number): number {
    const a = this.get(name, AttributeType.FLOAT);
    return a === undefined ? this.required(name, fallback) : a.f;
  }

  ints(name: string, fallback?: readonly number[]): readonly number[] {
    const a = this.get(name, AttributeType.INTS);
    return a === undefined ? this.required(name, fallback) : a.ints;
  }

  floats(name: string, fallback?: readonly number[]): readonly number[] {
    const a = this.get(name, AttributeType.FLOATS);
    return a === undefined ? this.required(name, fallback) : a.floats;
  }

  string(name: string, fallback?: string): string {
    const a = this.get(name, AttributeType.STRING);
    return a === undefined ? this.required(name, fallback) : utf8.decode(a.s);
  }

  tensor(name: string): TensorProto | undefined {
    return this.get(name, AttributeType.TENSOR)?.t ?? undefined;
  }

  /** A string attribute that must be one of `allowed`. */
  choice<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const v = this.string(name, fallback);
    if (!(allowed as readonly string[]).includes(v))
      throw new NodeProblem(`${name}="${v}" is not supported (supported: ${allowed.map((a) => `"${a}"`).join(', ')})`);
    return v as T;
  }

  /** Marks attributes that do not change inference results (e.g. BatchNormalization's momentum). */
  ignore(...names: string[]): void {
    for (const n of names) this.read.add(n);
  }

  unread(): string[] {
    return [...this.byName.keys()].filter((n) => !this.read.has(n));
  }
}

export interface OpContext {
  readonly node: NodeProto;
  /** Version of the default-domain opset the model imports. */
  readonly opset: number;
  readonly attrs: Attributes;
  /** Whether optional input `i` is given (non-empty name). */
  hasInput(i: number): boolean;
  /** Input `i`'s value if it is known at load time (initializer, Constant, folded), else undefined. */
  constant(i: number): Value | undefined;
  /** Input `i`'s kind (float or integer tensor), undefined if absent. */
  kind(i: number): ValueKind | undefined;
  /** Whether anything reads output `i`. */
  outputUsed(i: number): boolean;
  /** Registers a layer holding this node's weights (named after the node) and returns it. */
  addModule<M extends Module>(m: M): M;
}

export interface Step {
  /** Runs the node: inputs in node order (undefined where omitted), one value per output. */
  run(inputs: readonly (Value | undefined)[]): Value[];
  /** Kinds of the outputs. */
  readonly kinds: readonly ValueKind[];
}

/** Compiles a node into a step, validating it; throws NodeProblem for what it cannot handle. */
export type OpImporter = (ctx: OpContext) => Step;

/** A step with float outputs. */
export function floatStep(run: Step['run'], outputs = 1): Step {
  return { run, kinds: new Array<ValueKind>(outputs).fill('float') };
}
