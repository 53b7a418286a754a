/**
 * Optimizers (PyTorch's update rules, so hyper-parameters from papers and PyTorch recipes carry over). Updates run
 * on raw arrays outside autograd. State (momentum buffers, step counts) can be saved in checkpoints and restored, so
 * a resumed run continues exactly.
 */
import { ArgumentError, StateDictError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** Saved optimizer state: named buffers (one per parameter and slot) and scalar fields. */
export interface OptimizerState {
  buffers: Map<string, Float32Array>;
  scalars: Record<string, number>;
}

export abstract class Optimizer {
  /** Current learning rate; schedules set it before each step. */
  lr: number;
  protected readonly params: Tensor[];
  protected stepCount = 0;
  /** Per-parameter state slots, e.g. 'momentum' -> one buffer per parameter (created lazily). */
  private readonly slots = new Map<string, Float32Array[]>();
  /** Indices of the parameters exempt from weight decay. */
  private readonly undecayed: ReadonlySet<number>;

  /** `noDecay`: parameters exempt from weight decay (PyTorch: a param group with weight_decay 0). */
  constructor(params: Iterable<Tensor>, lr: number, readonly weightDecay: number, noDecay: Iterable<Tensor> = []) {
    this.params = [...params];
    const exempt = new Set(noDecay);
    this.undecayed = new Set(this.params.flatMap((p, i) => (exempt.has(p) ? [i] : [])));
    if (!(lr > 0)) throw new ArgumentError(`${this.constructor.name}: lr must be > 0, got ${lr}`);
    if (!(weightDecay >= 0)) throw new ArgumentError(`${this.constructor.name}: weightDecay must be >= 0, got ${weightDecay}`);
    this.lr = lr;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    this.stepCount++;
    this.params.forEach((p, i) => {
      if (p.grad === null) return;
      this.update(p.data, p.grad.data, i);
    });
  }

  /** Clears the gradients of all parameters. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  protected abstract update(w: Float32Array, g: Float32Array, index: number): void;

  /** The weight decay of parameter `index`. */
  protected decayOf(index: number): number {
    return this.undecayed.has(index) ? 0 : this.weightDecay;
  }

  /** Whether parameter `index` has a `name` buffer yet. */
  protected hasSlot(name: string, index: number): boolean {
    return this.slots.get(name)?.[index] !== undefined;
  }

  /** A zero-initialised state buffer for parameter `index`. */
  protected slot(name: string, index: number): Float32Array {
    let list = this.slots.get(name);
    if (list === undefined) {
      list = [];
      this.slots.set(name, list);
    }
    list[index] ??= new Float32Array(this.params[index].size);
    return list[index];
  }

  state(): OptimizerState {
    const buffers = new Map<string, Float32Array>();
    for (const [name, list] of this.slots) list.forEach((b, i) => { if (b !== undefined) buffers.set(`${name}.${i}`, b.slice()); });
    return { buffers, scalars: { step: this.stepCount, lr: this.lr } };
  }

  loadState(state: OptimizerState): void {
    this.slots.clear();
    for (const [key, buf] of state.buffers) {
      const dot = key.lastIndexOf('.');
      const index = Number(key.slice(dot + 1));
      const param = this.params[index];
      if (dot < 0 || param === undefined || param.size !== buf.length)
        throw new StateDictError(`${this.constructor.name}.loadState: buffer '${key}' (${buf.length} values) does not match ` +
          `the optimizer's ${this.params.length} parameters; was the checkpoint made for another model?`);
      this.slot(key.slice(0, dot), index).set(buf);
    }
    this.stepCount = state.scalars.step ?? 0;
    if (state.scalars.lr !== undefined) this.lr = state.scalars.lr;
  }
}

export interface SGDOptions {
  /** Parameters exempt from weight decay (e.g. depthwise filters, as the MobileNet paper advises). */
  noDecay?: Iterable<Tensor>;
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  dampening?: number;
}

/** SGD with momentum and Nesterov momentum (PyTorch's formulation: v = mu*v + g; step along v or g + mu*v). */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly dampening: number;

  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    super(params, opts.lr, opts.weightDecay ?? 0, opts.noDecay);
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.dampening = opts.dampening ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new ArgumentError(`SGD: momentum must be in [0, 1), got ${this.momentum}`);
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0))
      throw new ArgumentError('SGD: nesterov needs momentum > 0 and dampening 0');
  }

  protected update(w: Float32Array, g: Float32Array, i: number): void {
    const { lr, momentum: mu, dampening } = this;
    const wd = this.decayOf(i);
    if (mu === 0) {
      for (let k = 0; k < w.length; k++) w[k] -= lr * (g[k] + wd * w[k]);
      return;
    }
    // Like PyTorch, the first update with momentum starts the buffer at the gradient itself.
    const first = !this.hasSlot('momentum', i);
    const v = this.slot('momentum', i);
    for (let k = 0; k < w.length; k++) {
      const d = g[k] + wd * w[k];
      v[k] = first ? d : mu * v[k] + (1 - dampening) * d;
      w[k] -= lr * (this.nesterov ? d + mu * v[k] : v[k]);
    }
  }
}

export interface AdamOptions {
  /** Parameters exempt from weight decay (e.g. depthwise filters, as the MobileNet paper advises). */
  noDecay?: Iterable<Tensor>;
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** Adam; weight decay is L2 added to the gradient (use AdamW for decoupled decay). */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  protected readonly decoupled: boolean = false;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, opts.lr ?? 1e-3, opts.weightDecay ?? 0, opts.noDecay);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const [name, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const)
      if (!(b >= 0 && b < 1)) throw new ArgumentError(`${this.constructor.name}: ${name} must be in [0, 1), got ${b}`);
  }

  protected update(w: Float32Array, g: Float32Array, i: number): void {
    const { lr, beta1, beta2, eps } = this;
    const wd = this.decayOf(i);
    const m = this.slot('m', i);
    const v = this.slot('v', i);
    const c1 = 1 - beta1 ** this.stepCount;
    const c2 = 1 - beta2 ** this.stepCount;
    for (let k = 0; k < w.length; k++) {
      if (this.decoupled) w[k] -= lr * wd * w[k];
      const d = this.decoupled ? g[k] : g[k] + wd * w[k];
      m[k] = beta1 * m[k] + (1 - beta1) * d;
      v[k] = beta2 * v[k] + (1 - beta2) * d * d;
      w[k] -= (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + eps);
    }
  }
}

/** AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), default decay 0.01 as in PyTorch. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...opts });
  }
}

export interface RMSpropOptions {
  /** Parameters exempt from weight decay (e.g. depthwise filters, as the MobileNet paper advises). */
  noDecay?: Iterable<Tensor>;
  lr?: number;
  alpha?: number;
  eps?: number;
  momentum?: number;
  weightDecay?: number;
}

/** RMSprop as PyTorch defines it (the MobileNet and EfficientNet papers train with RMSprop). */
export class RMSprop extends Optimizer {
  readonly alpha: number;
  readonly eps: number;
  readonly momentum: number;

  constructor(params: Iterable<Tensor>, opts: RMSpropOptions = {}) {
    super(params, opts.lr ?? 1e-2, opts.weightDecay ?? 0, opts.noDecay);
    this.alpha = opts.alpha ?? 0.99;
    this.eps = opts.eps ?? 1e-8;
    this.momentum = opts.momentum ?? 0;
  }

  protected update(w: Float32Array, g: Float32Array, i: number): void {
    const { lr, alpha, eps, momentum } = this;
    const wd = this.decayOf(i);
    const sq = this.slot('square_avg', i);
    const buf = momentum > 0 ? this.slot('momentum', i) : null;
    for (let k = 0; k < w.length; k++) {
      const d = g[k] + wd * w[k];
      sq[k] = alpha * sq[k] + (1 - alpha) * d * d;
      const step = d / (Math.sqrt(sq[k]) + eps);
      if (buf === null) w[k] -= lr * step;
      else {
        buf[k] = momentum * buf[k] + step;
        w[k] -= lr * buf[k];
      }
    }
  }
}

/** Scales all gradients so that their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  const list = [...params].filter((p) => p.grad !== null);
  let sq = 0;
  for (const p of list) for (const v of p.grad!.data) sq += v * v;
  const norm = Math.sqrt(sq);
  if (norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of list) {
      const g = p.grad!.data;
      for (let k = 0; k < g.length; k++) g[k] *= s;
    }
  }
  return norm;
}
