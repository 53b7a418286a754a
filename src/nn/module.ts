/**
 * The module tree. A Module owns parameters (trainable tensors), buffers (state such as batch-norm running
 * statistics) and child modules, all registered by name; registration order is state-dict order. `call` is the
 * public entry: it runs `forward` inside the module's scope, so op events and errors say which layer ran them.
 */
import { ArgumentError, SepconvError, StateDictError } from '../errors.js';
import { keep } from '../tensor/memory.js';
import { Tensor, sameShape, shapeToString } from '../tensor/tensor.js';
import { currentScope, inScope } from '../tensor/trace.js';

/** Errors that already carry a layer prefix: the innermost module annotates, the ones around it leave it be. */
const annotated = new WeakSet<Error>();

/** A value `loadStateDict` copies from: a Tensor, or float32 data with its shape. */
export interface StateValue {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** What `loadStateDict` skipped when `strict` is false. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** Training mode (batch statistics in BatchNorm2d, active Dropout); switch with `train()` / `eval()`. */
  training = true;
  /** This module's name in its parent ('' for a root), used as its scope in op events and error messages. */
  private scopeName = '';
  private readonly params = new Map<string, Tensor>();
  private readonly bufs = new Map<string, Tensor>();
  private readonly mods = new Map<string, Module>();

  /** The layer's computation. Call modules through `call`, which adds scope and error context. */
  abstract forward(x: Tensor): Tensor;

  /**
   * Runs `forward` in this module's scope. A SepconvError thrown inside gets the layer path and class prepended
   * once, by the innermost module, e.g. "layer 'features.3.dw' (DepthwiseConv2d): depthwiseConv2d: ...".
   */
  call(x: Tensor): Tensor {
    const run = (): Tensor => {
      try {
        return this.forward(x);
      } catch (err) {
        if (err instanceof SepconvError && !annotated.has(err)) this.annotate(err);
        throw err;
      }
    };
    return this.scopeName === '' ? run() : inScope(this.scopeName, run);
  }

  private annotate(err: SepconvError): void {
    annotated.add(err);
    const path = currentScope();
    const where = path === '' ? `${this.constructor.name}` : `layer '${path}' (${this.constructor.name})`;
    // Messages that already name the layer (the numerics check does) are left as they are.
    if (path !== '' && err.message.includes(`layer '${path}'`)) return;
    const old = err.message;
    // Reading the stack first fixes its header (V8 formats it lazily), so the prefix goes in exactly once.
    const stack = err.stack;
    err.message = `${where}: ${old}`;
    if (stack !== undefined) err.stack = stack.replace(old, err.message);
  }

  // ---- registration ----

  /**
   * Adds a trainable tensor: sets `requiresGrad` and `name`, and keeps it out of any enclosing `tidy` scope
   * (a model built inside `tidy` must survive it).
   */
  registerParameter(name: string, tensor: Tensor): Tensor {
    this.checkNewName(name, 'registerParameter');
    tensor.requiresGrad = true;
    tensor.name = name;
    this.params.set(name, keep(tensor));
    return tensor;
  }

  /** Adds non-trainable state that belongs in the state dict (running statistics, counters). */
  registerBuffer(name: string, tensor: Tensor): Tensor {
    this.checkNewName(name, 'registerBuffer');
    tensor.requiresGrad = false;
    tensor.name = name;
    this.bufs.set(name, keep(tensor));
    return tensor;
  }

  /** Adds a child; its parameters and buffers are renamed with the `name.` prefix (names end up fully dotted). */
  registerModule<M extends Module>(name: string, module: M): M {
    this.checkNewName(name, 'registerModule');
    module.scopeName = name;
    for (const [key, t] of module.stateDict()) t.name = `${name}.${key}`;
    this.mods.set(name, module);
    return module;
  }

  /**
   * Swaps the registered child `name` for `module` in place (same position, scope and state-dict prefix) and returns
   * the old child. Fields of this module that pointed at the old child point at the new one afterwards, so a
   * layer's `this.body`-style shortcuts and its registry never disagree (in PyTorch they are one and the same).
   */
  replaceModule<M extends Module>(name: string, module: M): Module {
    const old = this.mods.get(name);
    if (old === undefined)
      throw new ArgumentError(`${this.constructor.name}.replaceModule: no child named '${name}'; children: ` +
        ([...this.mods.keys()].join(', ') || 'none'));
    module.scopeName = name;
    for (const [key, t] of module.stateDict()) t.name = `${name}.${key}`;
    this.mods.set(name, module);
    const fields = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (fields[key] === old) fields[key] = module;
    return old;
  }

  private checkNewName(name: string, where: string): void {
    if (name === '' || name.includes('.'))
      throw new ArgumentError(`${this.constructor.name}.${where}: name '${name}' must be non-empty and contain no '.' ` +
        '(dots separate the levels of state-dict keys)');
    if (this.params.has(name) || this.bufs.has(name) || this.mods.has(name))
      throw new ArgumentError(`${this.constructor.name}.${where}: '${name}' is already registered; choose another name`);
  }

  // ---- traversal ----

  /** Direct children with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.mods];
  }

  children(): Module[] {
    return [...this.mods.values()];
  }

  /** This module ('') and all descendants with dotted paths, parents before children. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.mods) out.push(...m.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** All parameters with dotted names; a tensor shared by two layers appears once (under its first name). */
  namedParameters(): [string, Tensor][] {
    return unique(this.collect('params'));
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    return unique(this.collect('bufs'));
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  private collect(kind: 'params' | 'bufs', prefix = '', out: [string, Tensor][] = []): [string, Tensor][] {
    for (const [name, t] of this[kind]) out.push([prefix + name, t]);
    for (const [name, m] of this.mods) m.collect(kind, `${prefix}${name}.`, out);
    return out;
  }

  /** Number of parameter values (each shared tensor counted once). */
  numParameters(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  // ---- modes and gradients ----

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Inference mode: BatchNorm2d uses running statistics, Dropout passes inputs through. */
  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (disposing it), so the next backward pass starts from zero. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  // ---- state dicts ----

  /**
   * Parameters and buffers by dotted name (per module: parameters, then buffers, then children), PyTorch order.
   * The values are the live tensors, not copies: clone them to keep a snapshot while training continues.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const walk = (m: Module, prefix: string): void => {
      for (const [name, t] of m.params) out.set(prefix + name, t);
      for (const [name, t] of m.bufs) out.set(prefix + name, t);
      for (const [name, c] of m.mods) walk(c, `${prefix}${name}.`);
    };
    walk(this, '');
    return out;
  }

  /**
   * Copies values from `state` into this module's tensors (the tensor objects stay the same, so optimizers holding
   * them keep working). Shapes must match exactly. With `strict` (default), missing and unexpected keys are errors
   * too; every problem is listed in one StateDictError and nothing is copied. Without `strict`, keys present on
   * one side only are skipped and returned. Values are tensors or any `{ data, shape }`, e.g. the tensors of a
   * decoded safetensors file or checkpoint, which load without being wrapped in tensors first.
   */
  loadStateDict(state: ReadonlyMap<string, StateValue>, options: { strict?: boolean } = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !state.has(k));
    const unexpectedKeys = [...state.keys()].filter((k) => !own.has(k));
    const misShaped = [...own].filter(([k, t]) => state.has(k) && !sameShape(t.shape, state.get(k)!.shape));

    const problems: string[] = [];
    if (strict && missingKeys.length > 0)
      problems.push(`${count(missingKeys.length, 'missing key')}: ` +
        missingKeys.map((k) => `${k} ${shapeToString(own.get(k)!.shape)}`).join(', '));
    if (strict && unexpectedKeys.length > 0)
      problems.push(`${count(unexpectedKeys.length, 'unexpected key')}: ` +
        unexpectedKeys.map((k) => `${k} ${shapeToString(state.get(k)!.shape)}`).join(', '));
    if (misShaped.length > 0)
      problems.push(`${count(misShaped.length, 'mis-shaped key')}: ` +
        misShaped.map(([k, t]) => `${k} (module ${shapeToString(t.shape)}, state dict ${shapeToString(state.get(k)!.shape)})`).join(', '));
    if (problems.length > 0) {
      const hint = misShaped.length > 0
        ? 'build the model with the configuration the state dict was saved from'
        : 'build the model with the configuration the state dict was saved from, or pass { strict: false } to load the keys that match';
      throw new StateDictError(`${this.constructor.name}.loadStateDict: ${problems.join('; ')}. Fix: ${hint}`);
    }
    for (const [k, t] of own) {
      const src = state.get(k);
      if (src !== undefined) t.assign(src.data);
    }
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing ----

  /** One line of layer settings for `toString` (e.g. "3 -> 16, kernelSize=3, stride=2"). */
  protected extraRepr(): string {
    return '';
  }

  /** The module tree, one layer per line, in the style of PyTorch's repr. */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (this.mods.size === 0) return `${head})`;
    const lines = [...this.mods].map(([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

function unique(entries: [string, Tensor][]): [string, Tensor][] {
  const seen = new Set<Tensor>();
  return entries.filter(([, t]) => (seen.has(t) ? false : (seen.add(t), true)));
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

