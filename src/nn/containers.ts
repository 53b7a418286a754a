/** Structural modules: Sequential, Residual, Identity, Flatten. */
import { ArgumentError, ShapeError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { flatten } from '../ops/shape.js';
import { Tensor, shapeToString } from '../tensor/tensor.js';
import { Module } from './module.js';

/** Runs its children in order; they are named '0', '1', ... (so state-dict keys read 'features.3.weight'). */
export class Sequential extends Module {
  /** The children in order (read from the registry, so `replaceModule` takes effect). */
  private get layers(): Module[] {
    return this.children();
  }

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end. */
  append(module: Module): this {
    if (!(module instanceof Module))
      throw new ArgumentError(`Sequential: item ${this.layers.length} is not a Module (got ${typeof module}); ` +
        'wrap functions in a Module subclass');
    this.registerModule(String(this.layers.length), module);
    return this;
  }

  get length(): number {
    return this.layers.length;
  }

  /** The i-th module (negative counts from the end). */
  at(index: number): Module {
    const m = this.layers.at(index);
    if (m === undefined) throw new ArgumentError(`Sequential.at: index ${index} is out of range for ${this.layers.length} modules`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.call(y);
    return y;
  }
}

/** out = body(x) + shortcut(x), with the identity as the default shortcut (ResNet, MobileNetV2 inverted residuals). */
export class Residual extends Module {
  readonly body: Module;
  readonly shortcut: Module | null;

  constructor(body: Module, shortcut: Module | null = null) {
    super();
    this.body = this.registerModule('body', body);
    this.shortcut = shortcut === null ? null : this.registerModule('shortcut', shortcut);
  }

  forward(x: Tensor): Tensor {
    const y = this.body.call(x);
    const s = this.shortcut === null ? x : this.shortcut.call(x);
    if (y.rank !== s.rank || y.shape.some((d, i) => d !== s.shape[i]))
      throw new ShapeError(`residual add: body output ${shapeToString(y.shape)} does not match ` +
        `${this.shortcut === null ? 'the input (identity shortcut)' : 'shortcut output'} ${shapeToString(s.shape)}; ` +
        'make the body keep the shape (stride 1, same padding, equal channels) or give a projection shortcut');
    return add(y, s);
  }
}

/** Returns its input (a placeholder where a layer is optional). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** [N, ...] -> [N, prod(...)]. */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return flatten(x);
  }
}
