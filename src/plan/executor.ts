/**
 * How a backend runs a compiled plan: it receives the final steps, the values and the memory plan once (`load`),
 * prepares whatever it wants (packed weights, buffers at the planned offsets, bound kernel calls) and returns a
 * `LoadedPlan` whose `run` fills `output` from `input` without allocating. The js and wasm executors ship with
 * sepconv; another backend (e.g. native) registers its own with `registerPlanExecutor`.
 */
import { ArgumentError } from '../errors.js';
import type { PlanGraph } from './ir.js';
import { jsExecutor } from './js_executor.js';
import type { MemoryPlan } from './memory_plan.js';
import { wasmExecutor } from './wasm_executor.js';

/** Everything an executor needs: the fused steps in order, the values they use and where activations live. */
export interface Program extends PlanGraph {
  memory: MemoryPlan;
}

/** One step of a plan as `InferencePlan.profile()` timed it. */
export interface StepTiming {
  /** Index of the step in the plan's report (`report.steps`). */
  step: number;
  /** The kernel that runs it ('conv', 'dwpw', 'gemm', ...). */
  kind: string;
  /** Shape of the step's output. */
  outputShape: number[];
  /** Multiply-adds of convolutions and matrix products; 0 for other steps. */
  multiplyAdds: number;
  /** Median milliseconds of the step over the profiled runs. */
  medianMs: number;
}

export interface LoadedPlan {
  /** The plan's input, in the plan's own memory (NHWC). */
  readonly input: Float32Array;
  /** Where the last run left the output, in the plan's own memory. */
  readonly output: Float32Array;
  /** Runs every step on what `input` holds; the result is in `output` afterwards. */
  execute(): void;
  /** Bytes of memory the plan holds now (for wasm, its module memory; it must not change between runs). */
  readonly memoryBytes: number;
  /** Bytes of weights in the layout the kernels read (packed). */
  readonly weightBytes: number;
  /** Bytes of kernel scratch space. */
  readonly scratchBytes: number;
  /** Threads running the kernels. */
  readonly threads: number;
  /** Releases threads (and lets memory go); run() must not be called afterwards. */
  dispose(): void;
  /** Runs the plan `runs` times, one step at a time, and times each step (executors that can). */
  profile?(runs: number): StepTiming[];
}

/** A few microseconds of work: splitting less between threads costs more at the barrier than it saves. */
export const DEFAULT_MIN_SPLIT_WORK = 1 << 17;

export interface ExecutorOptions {
  /** Threads to run kernels on; an executor that supports fewer throws ArgumentError. */
  threads: number;
  /** Work (multiply-adds, or elements) below which a step runs on one thread. */
  minSplitWork: number;
  /** Where the wasm executor loads its module from (bytes, a compiled module or a URL); default as the wasm backend. */
  wasmSource?: unknown;
}

export interface PlanExecutor {
  /** Backend name this executor serves ('js', 'wasm', 'native'). */
  readonly backend: string;
  load(program: Program, options: ExecutorOptions): Promise<LoadedPlan>;
}

const executors = new Map<string, PlanExecutor>([[jsExecutor.backend, jsExecutor], [wasmExecutor.backend, wasmExecutor]]);

/** Makes `executor` the one plans compiled for `executor.backend` use. */
export function registerPlanExecutor(executor: PlanExecutor): void {
  executors.set(executor.backend, executor);
}

/** Backends plans can be compiled for. */
export function planBackends(): string[] {
  return [...executors.keys()];
}

export function planExecutor(backend: string): PlanExecutor {
  const e = executors.get(backend);
  if (e === undefined)
    throw new ArgumentError(`compile: no plan executor for backend '${backend}'; available: ${planBackends().join(', ')}`);
  return e;
}
