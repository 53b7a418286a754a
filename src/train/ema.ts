/**
 * Exponential moving average of a model's weights (as timm's ModelEmaV2 and the EfficientNet recipe): after each
 * step, shadow = decay * shadow + (1 - decay) * weight; BN running statistics are copied. Evaluate with the
 * averaged weights by loading `stateDict()` into a copy of the model, or swap them in with `swapInto`.
 */
import type { Module } from '../nn/module.js';
import { ArgumentError } from '../errors.js';

export class ModelEMA {
  private readonly shadow = new Map<string, Float32Array>();

  constructor(private readonly model: Module, readonly decay = 0.999) {
    if (!(decay > 0 && decay < 1)) throw new ArgumentError(`ModelEMA: decay must be in (0, 1), got ${decay}`);
    for (const [name, t] of model.stateDict()) this.shadow.set(name, t.data.slice());
  }

  /** Folds the model's current weights into the average. */
  update(): void {
    const params = new Set(this.model.parameters());
    for (const [name, t] of this.model.stateDict()) {
      const s = this.shadow.get(name)!;
      const w = t.data;
      if (!params.has(t)) s.set(w);
      else for (let k = 0; k < s.length; k++) s[k] = this.decay * s[k] + (1 - this.decay) * w[k];
    }
  }

  /** The averaged weights, by state-dict name. */
  state(): Map<string, Float32Array> {
    return this.shadow;
  }

  /** Restores averaged weights saved in a checkpoint. */
  loadState(state: ReadonlyMap<string, Float32Array>): void {
    for (const [name, s] of this.shadow) {
      const v = state.get(name);
      if (v === undefined || v.length !== s.length)
        throw new ArgumentError(`ModelEMA.loadState: missing or mis-sized averaged weight '${name}'; was the state saved from ` +
          'another model?');
      s.set(v);
    }
  }

  /** Runs `fn` with the averaged weights in the model, then puts the trained weights back. */
  withAveragedWeights<T>(fn: () => T): T {
    const saved = new Map<string, Float32Array>();
    for (const [name, t] of this.model.stateDict()) {
      saved.set(name, t.data.slice());
      t.data.set(this.shadow.get(name)!);
    }
    try {
      return fn();
    } finally {
      for (const [name, t] of this.model.stateDict()) t.data.set(saved.get(name)!);
    }
  }
}
