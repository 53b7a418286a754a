/**
 * `compile(model, inputShape)`: a model turned into a fixed inference plan. The model is traced once; batch norms
 * are folded into the convolutions before them, activations, residual adds and squeeze-and-excitation gates are
 * fused into the kernels that produce their inputs, depthwise -> pointwise pairs run band by band, and every
 * activation gets a fixed place in memory. `plan.run(x)` then copies x in, runs the fused kernels and copies the
 * result out. The plan snapshots the weights: compile again after changing them.
 */
import type { WasmSource } from '../backend/wasm/load.js';
import { getBackend } from '../backend/registry.js';
import { ArgumentError, ShapeError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { Tensor, shapeSize, shapeToString } from '../tensor/tensor.js';
import { DEFAULT_MIN_SPLIT_WORK, planBackends, planExecutor, type LoadedPlan, type StepTiming } from './executor.js';
import { fuse } from './fusions.js';
import type { FusionKind } from './ir.js';
import { planMemory } from './memory_plan.js';
import { buildReport, formatReport, type FallbackNote, type PlanReport } from './report.js';
import { traceGraph } from './trace_graph.js';

export interface CompileOptions {
  /** Backend whose kernels run the plan: 'native', 'wasm' or 'js'. Default: the active backend if a plan can run on it, else 'js'. */
  backend?: string;
  /** Turn individual fusions off (all are on by default), e.g. to measure what one brings. */
  fusions?: Partial<Record<FusionKind, boolean>>;
  /** Threads that run the plan's kernels (default 1); how many a backend supports is up to its executor. */
  threads?: number;
  /**
   * With threads > 1: the work (multiply-adds, or elements for element-wise steps) below which a step stays on one
   * thread, as meeting at a barrier would cost more than it saves (default 131072, a few microseconds).
   */
  minSplitWork?: number;
  /** Where the wasm executor loads its module from (default: as the wasm backend does). */
  wasmSource?: WasmSource;
}

/** One step of `InferencePlan.profile()`: its timing and the layer (module path) it starts in. */
export interface StepProfile extends StepTiming {
  scope: string;
}

/** A compiled model: fixed input shape, fused kernels, memory planned once. */
export class InferencePlan {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  private readonly inputSize: number;
  private readonly outputSize: number;

  constructor(private readonly loaded: LoadedPlan, readonly report: PlanReport) {
    this.inputShape = Object.freeze([...report.inputShape]);
    this.outputShape = Object.freeze([...report.outputShape]);
    this.inputSize = shapeSize(this.inputShape);
    this.outputSize = shapeSize(this.outputShape);
  }

  /** Backend the plan runs on. */
  get backend(): string {
    return this.report.backend;
  }

  /** Threads running the plan's kernels. */
  get threads(): number {
    return this.report.threads;
  }

  /** Stops the plan's worker threads, if it has any; the plan cannot run afterwards. */
  dispose(): void {
    this.loaded.dispose();
  }

  /** Bytes the plan holds now; constant from one run to the next. */
  get memoryBytes(): number {
    return this.loaded.memoryBytes;
  }

  /**
   * Runs the model on `x` (a tensor of exactly `inputShape`, or its NHWC data) and returns the output as a tensor
   * of `outputShape`. The result is written into `out` when given (no allocation at all), else a new array.
   */
  run(x: Tensor | Float32Array, out?: Float32Array): Tensor {
    const data = x instanceof Tensor ? x.data : x;
    if (x instanceof Tensor ? x.shape.some((d, i) => d !== this.inputShape[i]) || x.rank !== this.inputShape.length : data.length !== this.inputSize)
      throw new ShapeError(`InferencePlan.run: the plan was compiled for input ${shapeToString(this.inputShape)}, got ` +
        `${x instanceof Tensor ? shapeToString(x.shape) : `${data.length} values`}; compile another plan for that shape`);
    if (out !== undefined && out.length !== this.outputSize)
      throw new ShapeError(`InferencePlan.run: out holds ${out.length} values, the output ${shapeToString(this.outputShape)} needs ${this.outputSize}`);
    const y = out ?? new Float32Array(this.outputSize);
    this.loaded.input.set(data);
    this.loaded.execute();
    y.set(this.loaded.output);
    return new Tensor(y, this.outputShape);
  }

  /**
   * The plan's input buffer, inside the plan's memory: write an input here and call `execute()` to skip the copy
   * that `run` makes (e.g. when decoding frames straight into it). Valid until `dispose()`.
   */
  get inputData(): Float32Array {
    return this.loaded.input;
  }

  /** Where `execute()` (and `run`) leave the output, inside the plan's memory; overwritten by the next run. */
  get outputData(): Float32Array {
    return this.loaded.output;
  }

  /** Runs the plan on what `inputData` holds; the result is in `outputData`. Allocates nothing. */
  execute(): void {
    this.loaded.execute();
  }

  /**
   * Times every step: runs the plan `runs` times (on what `inputData` holds) one step at a time and returns each
   * step's median, in plan order, with the layer it starts in. Stepping adds a call per step, so the sum is a
   * little above what `execute()` takes. Native plans only.
   */
  profile(runs = 20): StepProfile[] {
    if (!Number.isInteger(runs) || runs < 1)
      throw new ArgumentError(`InferencePlan.profile: runs must be a positive integer, got ${runs}; e.g. profile(20)`);
    if (this.loaded.profile === undefined)
      throw new ArgumentError(`InferencePlan.profile: plans on '${this.backend}' cannot time their steps; compile with { backend: 'native' }`);
    return this.loaded.profile(runs).map((t) => ({ ...t, scope: this.report.steps[t.step].scope }));
  }

  /** The report as a few lines of text. */
  summary(): string {
    return formatReport(this.report);
  }
}

function checkShape(inputShape: readonly number[]): number[] {
  if (!Array.isArray(inputShape) || inputShape.length !== 4 || inputShape.some((d) => !Number.isInteger(d) || d < 1))
    throw new ArgumentError(`compile: inputShape must be [N, H, W, C] (NHWC) of positive integers, got ${JSON.stringify(inputShape)}; ` +
      'e.g. [1, 224, 224, 3]');
  return [...inputShape];
}

function defaultBackend(): string {
  return planBackends().includes(getBackend()) ? getBackend() : 'js';
}

/**
 * Compiles `model` for inputs of `inputShape` ([N, H, W, C]) into an {@link InferencePlan} on `options.backend`.
 * Ops without a fused kernel run eagerly inside the plan (listed in `plan.report.fallbacks`); a model with an op
 * sepconv cannot re-run from its trace runs eagerly as a whole. Throws what the model's forward pass throws for a
 * wrong input shape, and ArgumentError for an unknown backend.
 */
export async function compile(model: Module, inputShape: readonly number[], options: CompileOptions = {}): Promise<InferencePlan> {
  const shape = checkShape(inputShape);
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new ArgumentError(`compile: threads must be an integer >= 1, got ${threads}`);
  const backend = options.backend ?? defaultBackend();
  const executor = planExecutor(backend);
  const { graph, fallback } = traceGraph(model, shape);
  const fusions = fuse(graph, (k) => options.fusions?.[k] ?? true);
  const memory = planMemory(graph);
  const minSplitWork = options.minSplitWork ?? DEFAULT_MIN_SPLIT_WORK;
  if (!(minSplitWork >= 0)) throw new ArgumentError(`compile: minSplitWork must be a number >= 0, got ${minSplitWork}`);
  const loaded = await executor.load({ ...graph, memory }, { threads, minSplitWork, wasmSource: options.wasmSource });
  const fallbacks: FallbackNote[] = fallback !== null
    ? [{ op: fallback.op, scope: fallback.scope, reason: `the whole model runs eagerly: ${fallback.reason}` }]
    : graph.steps.flatMap((s) => (s.kind === 'eager' ? [{ op: s.op, scope: s.scopes[0] ?? '', reason: s.reason }] : []));
  const report = buildReport(backend, loaded.threads, graph, fusions, fallbacks, {
    activationBytes: memory.arenaBytes, unsharedActivationBytes: memory.unsharedBytes, weightBytes: loaded.weightBytes,
    scratchBytes: loaded.scratchBytes, totalBytes: loaded.memoryBytes,
  });
  return new InferencePlan(loaded, report);
}
