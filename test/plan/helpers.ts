/** Shared helpers for the plan tests: realistic batch-norm statistics, seeded inputs, eager references. */
import { setBackend, getBackend } from '../../src/backend/registry.js';
import { BatchNorm2d } from '../../src/nn/batchnorm.js';
import { Module } from '../../src/nn/module.js';
import type { InferencePlan } from '../../src/plan/compile.js';
import { FUSION_KINDS, type FusionKind } from '../../src/plan/ir.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/close.js';

/**
 * Gives every batch norm non-trivial eval statistics and affine parameters (fresh ones are the identity up to eps,
 * which would make folding untestable), keeping activations of order one.
 */
export function randomizeBatchNorms(model: Module, seed: number): void {
  const rng = new Random(seed);
  const fill = (t: Tensor, lo: number, hi: number): void => {
    for (let i = 0; i < t.size; i++) t.data[i] = lo + (hi - lo) * rng.uniform();
  };
  for (const m of model.modules()) {
    if (!(m instanceof BatchNorm2d)) continue;
    fill(m.runningMean, -0.2, 0.2);
    fill(m.runningVar, 0.5, 1.5);
    fill(m.weight, 0.6, 1.4);
    fill(m.bias, -0.2, 0.2);
  }
}

/** Seeded values uniform in [-1, 1). */
export function randomInput(shape: number[], seed: number): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1), shape);
}

/** The model's eager output on the js reference backend, in eval mode. */
export function eagerReference(model: Module, x: Tensor): Float32Array {
  const previous = getBackend();
  setBackend('js');
  try {
    model.eval();
    return noGrad(() => model.call(x)).data.slice();
  } finally {
    setBackend(previous);
  }
}

/**
 * The plan's tolerance: 1e-5 relative, with an absolute floor of 1e-5 of the output's largest magnitude (outputs
 * near zero carry the rounding of much larger intermediate sums).
 */
export function assertMatches(actual: Float32Array, expected: Float32Array, what: string): void {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assertClose(actual, expected, { rtol: 1e-5, atol: 1e-5 * Math.max(scale, 1e-3) }, what);
}

/** Runs a plan on x and compares with the eager reference. */
export function checkPlan(plan: InferencePlan, model: Module, x: Tensor, what: string): void {
  assertMatches(plan.run(x).data, eagerReference(model, x), what);
}

/** A module running a function of its input: builds the small graphs that isolate one fusion or one kernel edge. */
export class Fn extends Module {
  constructor(private readonly f: (x: Tensor) => Tensor, layers: Record<string, Module> = {}) {
    super();
    for (const [name, m] of Object.entries(layers)) this.registerModule(name, m);
  }

  forward(x: Tensor): Tensor {
    return this.f(x);
  }
}

/** Fusion options with only `kinds` on. */
export function only(...kinds: FusionKind[]): Record<FusionKind, boolean> {
  return Object.fromEntries(FUSION_KINDS.map((k) => [k, kinds.includes(k)])) as Record<FusionKind, boolean>;
}

/** A seeded constant tensor (weights for Fn graphs), uniform in [-s, s). */
export function weight(shape: number[], seed: number, s = 0.5): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => s * (2 * rng.uniform() - 1)), shape);
}
