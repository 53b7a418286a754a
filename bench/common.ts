/**
 * What the benchmarks share: realistic batch-norm statistics for randomly initialised models, seeded inputs,
 * runners timed in interleaved rounds (so load changes hit every runner alike) with medians, the machine
 * description and the JSON results file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { getBackend, setBackend } from '../src/backend/registry.js';
import { BatchNorm2d } from '../src/nn/batchnorm.js';
import type { Module } from '../src/nn/module.js';
import { median } from '../src/plan/benchmark.js';
import { noGrad } from '../src/tensor/autograd.js';
import { tidy } from '../src/tensor/memory.js';
import { Random } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/** Seeded values uniform in [-1, 1). */
export function randomData(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1);
}

/**
 * Sets every batch norm's running statistics to those of one training-mode pass over a random batch, as a trained
 * network would have them. Fresh statistics (mean 0, variance 1) let activations of randomly initialised deep
 * models shrink towards denormal floats, which time nothing realistic and make output comparisons meaningless.
 */
export function calibrateBatchNorms(model: Module, shape: number[], seed: number): void {
  const norms = model.modules().filter((m): m is BatchNorm2d => m instanceof BatchNorm2d);
  const saved = norms.map((m) => m.momentum);
  const previous = getBackend();
  try {
    // momentum null with no batch seen yet: the running statistics become this batch's exactly.
    for (const m of norms) {
      (m as { momentum: number | null }).momentum = null;
      m.numBatchesTracked.data[0] = 0;
    }
    setBackend('wasm');
    model.train();
    tidy(() => {
      noGrad(() => model.call(new Tensor(randomData(shape.reduce((a, b) => a * b, 1), seed), shape)));
    });
  } finally {
    norms.forEach((m, i) => ((m as { momentum: number | null }).momentum = saved[i]));
    setBackend(previous);
    model.eval();
  }
}

/** Something timed: one forward pass (or training step) per `run`, which returns the milliseconds it took. */
export interface Runner {
  name: string;
  threads: number;
  run(): Promise<number>;
  /** The last run's output (for agreement checks), or null when not comparable. */
  output(): Promise<Float32Array | null>;
  dispose(): Promise<void>;
}

export interface Measured {
  name: string;
  threads: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
}

/** Idle time after each run, so that what a runtime leaves behind (garbage collection, pool threads winding down) is over before the next one starts. */
const SETTLE_MS = 5;

/**
 * How each timed run starts. 'primed': right after at least PRIME_MS of untimed runs of the same runner (one run of a
 * model, several of a sub-millisecond layer), i.e. in the steady state that ONNX Runtime's perf test and TFLite's
 * benchmark_model time, where runs follow each other. 'idle': after the settle pause and the other runners' runs. A
 * core that has just idled or run other code runs its next millisecond of work slowly (measured: native 112x112
 * depthwise + pointwise 0.49 ms back to back, 0.70-0.82 ms right after a standard conv of sepconv's or ONNX
 * Runtime's, still 0.63-0.75 ms after one run of its own), which dominates the fastest layers.
 */
export type RunStart = 'primed' | 'idle';

/** Milliseconds of untimed runs before a primed timed run. */
export const PRIME_MS = 3;

/** `--start primed|idle` from argv (default primed). */
export function runStartArg(): RunStart {
  const start = argValue('--start', 'primed');
  if (start !== 'primed' && start !== 'idle') throw new Error(`--start must be primed or idle, got '${start}'`);
  return start;
}

/**
 * `warmup` untimed rounds, then `runs` rounds; each round runs every runner once (after untimed runs of its own
 * when `start` is 'primed'), in a new shuffled order (seeded, so runs repeat), so that what one runtime leaves
 * running (idle worker threads that spin, a garbage collection) falls on a different runner each round instead of
 * always on the one after it.
 */
export async function interleave(runners: readonly Runner[], warmup: number, runs: number, start: RunStart): Promise<Measured[]> {
  const times = runners.map((): number[] => []);
  const rng = new Random(7);
  for (let round = 0; round < warmup + runs; round++)
    for (const i of shuffled(runners.length, rng)) {
      if (start === 'primed') for (const t0 = performance.now(); performance.now() - t0 < PRIME_MS; ) await runners[i].run();
      const ms = await runners[i].run();
      if (round >= warmup) times[i].push(ms);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
  return runners.map((r, i) => ({
    name: r.name, threads: r.threads, medianMs: median(times[i]), minMs: Math.min(...times[i]), maxMs: Math.max(...times[i]), runs,
  }));
}

/** 0 .. n-1 in a random order (Fisher-Yates). */
function shuffled(n: number, rng: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Largest |a - b| over the largest |b|: how far an output strays from the reference, relative to its scale. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return a.length !== b.length ? Infinity : diff / Math.max(scale, 1e-30);
}

/** NHWC data as NCHW (for ONNX Runtime). */
export function nhwcToNchw(x: Float32Array, [n, h, w, c]: readonly number[]): Float32Array {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h * w; i++)
      for (let ch = 0; ch < c; ch++) y[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
  return y;
}

export function machine(): Record<string, unknown> {
  return { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)) };
}

/** Writes bench/results/<name>.json (from build/bench/, two levels up) and says where. */
export async function writeResults(name: string, result: unknown): Promise<void> {
  const dir = new URL('../../bench/results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const file = new URL(`${name}.json`, dir);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file.pathname}`);
}

/** `--flag value` from argv, or the default. */
export function argValue(flag: string, fallback: string): string {
  const i = process.argv.indexOf(flag);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
