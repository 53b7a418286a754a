/**
 * Learning-rate schedules as pure functions of the global step (0-based), so a resumed run recomputes the same rate
 * from the saved step without any schedule state.
 */
import { ArgumentError } from '../errors.js';

export type Schedule = (step: number) => number;

export function constant(lr: number): Schedule {
  return () => lr;
}

/** Linear warm-up from 0 over `warmupSteps`, then cosine decay from `baseLr` to `minLr` at `totalSteps`. */
export function cosineWithWarmup(opts: { baseLr: number; totalSteps: number; warmupSteps?: number; minLr?: number }): Schedule {
  const { baseLr, totalSteps } = opts;
  const warmup = opts.warmupSteps ?? 0;
  const minLr = opts.minLr ?? 0;
  if (!(totalSteps > warmup)) throw new ArgumentError(`cosineWithWarmup: totalSteps (${totalSteps}) must exceed warmupSteps (${warmup})`);
  return (step) => {
    if (step < warmup) return (baseLr * (step + 1)) / warmup;
    const t = Math.min(1, (step - warmup) / (totalSteps - warmup));
    return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * t));
  };
}

/** Multiplies the rate by `gamma` every `stepSize` steps. */
export function stepDecay(opts: { baseLr: number; stepSize: number; gamma?: number }): Schedule {
  if (!(opts.stepSize >= 1)) throw new ArgumentError(`stepDecay: stepSize must be >= 1, got ${opts.stepSize}`);
  const gamma = opts.gamma ?? 0.1;
  return (step) => opts.baseLr * gamma ** Math.floor(step / opts.stepSize);
}

/**
 * One-cycle (Smith & Topin) with cosine annealing, as PyTorch's OneCycleLR: from maxLr/divFactor up to maxLr over
 * the first pctStart of training, then down to maxLr/(divFactor*finalDivFactor).
 */
export function oneCycle(opts: { maxLr: number; totalSteps: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }): Schedule {
  const pct = opts.pctStart ?? 0.3;
  const initial = opts.maxLr / (opts.divFactor ?? 25);
  const final = initial / (opts.finalDivFactor ?? 1e4);
  const up = Math.max(1, Math.round(pct * opts.totalSteps) - 1);
  const down = Math.max(1, opts.totalSteps - 1 - up);
  const cos = (from: number, to: number, t: number): number => to + ((from - to) * (1 + Math.cos(Math.PI * Math.min(1, t)))) / 2;
  return (step) => (step <= up ? cos(initial, opts.maxLr, step / up) : cos(opts.maxLr, final, (step - up) / down));
}
