/**
 * Timing a compiled forward pass the way ONNX Runtime's perf test and TFLite's benchmark_model do: warm-up runs
 * (JIT tier-up, caches), then timed runs, reported as median, min and max.
 */
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { InferencePlan } from './compile.js';

export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Every timed run, in order. */
  runsMs: number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median, min and max of run times in milliseconds. */
export function summarizeTimes(runsMs: number[]): Timing {
  if (runsMs.length === 0) throw new ArgumentError('summarizeTimes: no runs to summarize');
  return { medianMs: median(runsMs), minMs: Math.min(...runsMs), maxMs: Math.max(...runsMs), runsMs };
}

/** Milliseconds one call of `f` takes. */
export function timeOnce(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** Runs `plan` on `x` `warmup` times untimed, then `runs` times timed, writing into one output array. */
export function benchmarkPlan(plan: InferencePlan, x: Tensor, options: { warmup?: number; runs?: number } = {}): Timing {
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 20;
  if (!Number.isInteger(warmup) || warmup < 0) throw new ArgumentError(`benchmarkPlan: warmup must be an integer >= 0, got ${warmup}`);
  if (!Number.isInteger(runs) || runs < 1) throw new ArgumentError(`benchmarkPlan: runs must be an integer >= 1, got ${runs}`);
  const out = new Float32Array(plan.outputShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < warmup; i++) plan.run(x, out);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(timeOnce(() => plan.run(x, out)));
  return summarizeTimes(times);
}
