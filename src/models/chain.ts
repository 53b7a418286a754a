/**
 * Containers for the model builders. Their forward passes look children up by name on every call, so a child swapped
 * with `Module.replaceModule` (as `separabilize` does) is the one that runs.
 * `Chain` is a Sequential whose children keep the names of the reference implementation (Keras layer names such
 * as 'conv_dw_3_bn', or '0', '1', ... for torchvision's Sequentials), so state-dict keys map one-to-one onto the
 * reference's weights.
 */
import { ArgumentError } from '../errors.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/** A module that finds its children by name when it runs. */
export abstract class Container extends Module {
  /** The child registered as `name`, looked up now. */
  protected child(name: string): Module {
    const found = this.namedChildren().find(([n]) => n === name);
    if (found === undefined)
      throw new ArgumentError(`${this.constructor.name}: no child named '${name}'; children: ${this.namedChildren().map(([n]) => n).join(', ')}`);
    return found[1];
  }
}

/** Runs its named children in registration order. */
export class Chain extends Container {
  constructor(layers: readonly (readonly [string, Module])[] = []) {
    super();
    for (const [name, m] of layers) this.add(name, m);
  }

  /** Appends a named child. */
  add(name: string, module: Module): this {
    this.registerModule(name, module);
    return this;
  }

  /** Appends a child named by its position ('0', '1', ...), as in torchvision's Sequentials. */
  append(module: Module): this {
    return this.add(String(this.namedChildren().length), module);
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const [, m] of this.namedChildren()) y = m.call(y);
    return y;
  }
}
