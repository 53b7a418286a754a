/**
 * The wasm plan executor. Each plan gets its own instance of the kernels module (so the eager backend's arena never
 * touches it), laid out once at load:
 *
 *   [heap base | structs, biases, packed weights | thread stacks, control words | activations | scratch per thread]
 *
 * Raw weights are staged in the activation area (unused at load) and packed by the C pack functions into their
 * final place. A run copies the input in, makes the bound kernel calls and copies the output out; the memory never
 * grows after load. With threads > 1 (Node), the plan runs on wasm/sepconv-mt.wasm over a shared memory: worker
 * threads each instantiate it with their own stack, and every step worth it is split between the threads, with a
 * barrier where threads hand over.
 */
import { defaultWasmUrl, instantiateSepconvWasm, type WasmSource } from '../backend/wasm/load.js';
import type { SepconvWasmExports } from '../backend/wasm/exports.js';
import { ArgumentError, FormatError, SepconvError } from '../errors.js';
import { CONTROL_WORDS, FAILED, RUN, STOP, barrier } from './barrier.js';
import type { ExecutorOptions, LoadedPlan, PlanExecutor, Program } from './executor.js';
import { asFusedExports, type FusedWasmExports } from './wasm_exports.js';
import { Layout } from './wasm_layout.js';
import { StepLoader, TASK_FUNCTIONS, placeSteps, type Phase, type Task } from './wasm_steps.js';
import type { WorkerData } from './wasm_worker.js';

/** Stack of each worker thread (the kernels keep only small tiles on the stack). */
const WORKER_STACK = 1 << 18;
/** The threaded module's memory maximum (its build's --max-memory), in pages. */
const SHARED_MAX_PAGES = 32768;

interface Instance {
  wasm: FusedWasmExports;
  /** The compiled module, for the workers (threaded plans only). */
  module: WebAssembly.Module | null;
}

async function singleThreaded(source: WasmSource | undefined): Promise<Instance> {
  return { wasm: asFusedExports(await instantiateSepconvWasm(source)), module: null };
}

/** wasm/sepconv-mt.wasm on a fresh shared memory (Node: read next to wasm/sepconv.wasm). */
async function threaded(source: WasmSource | undefined): Promise<Instance> {
  if (source !== undefined)
    throw new ArgumentError('compile: wasmSource applies to single-threaded plans; threaded plans load wasm/sepconv-mt.wasm');
  const url = new URL('sepconv-mt.wasm', defaultWasmUrl());
  let module: WebAssembly.Module;
  try {
    const { readFile } = await import('node:fs/promises');
    module = await WebAssembly.compile(await readFile(url));
  } catch (e) {
    throw new FormatError(`compile: cannot load the threaded kernels ${url.href} (${(e as Error).message}); ` +
      'run scripts/build-wasm.sh, or compile with threads: 1');
  }
  const memory = new WebAssembly.Memory({ initial: 256, maximum: SHARED_MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = { ...instance.exports, memory } as unknown as SepconvWasmExports;
  return { wasm: asFusedExports(exports), module };
}

/** The kernel calls of `tasks` as closures on this thread's instance. */
function closures(wasm: FusedWasmExports, tasks: Task[]): (() => void)[] {
  const functions = TASK_FUNCTIONS.map((name) => wasm[name] as (...args: number[]) => void);
  return tasks.map(([fn, ...args]) => () => functions[fn](...args));
}

class WasmPlan implements LoadedPlan {
  readonly input: Float32Array;
  readonly output: Float32Array;
  private readonly phases: (() => void)[][];

  constructor(private readonly memory: WebAssembly.Memory, wasm: FusedWasmExports, phases: Phase[], inputAt: number, inputSize: number,
    outputAt: number, outputSize: number, readonly weightBytes: number, readonly scratchBytes: number,
    readonly threads: number, private readonly pool: WorkerPool | null) {
    this.input = new Float32Array(memory.buffer, inputAt, inputSize);
    this.output = new Float32Array(memory.buffer, outputAt, outputSize);
    this.phases = phases.map((p) => ('eager' in p ? [p.eager] : closures(wasm, p.tasks[0])));
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  execute(): void {
    if (this.pool === null) {
      for (const phase of this.phases) for (const c of phase) c();
    } else this.pool.run(this.phases);
  }

  dispose(): void {
    this.pool?.stop();
  }
}

/**
 * Where the threads must meet: after phase i when it or phase i + 1 is split between threads (a phase the main
 * thread runs alone needs no barrier before the next one it runs alone).
 */
function barriersAfter(phases: readonly Phase[]): boolean[] {
  const shared = phases.map((p) => 'tasks' in p && p.tasks.slice(1).some((t) => t.length > 0));
  return shared.map((s, i) => s || (shared[i + 1] ?? false));
}

/** The worker threads of a threaded plan and the control words they share with the main thread. */
class WorkerPool {
  private readonly control: Int32Array;
  private readonly idle: boolean;

  constructor(memory: WebAssembly.Memory, controlAt: number, private readonly threads: number,
    private readonly barriers: readonly boolean[], private readonly workers: { terminate(): unknown }[]) {
    this.control = new Int32Array(memory.buffer, controlAt, CONTROL_WORDS);
    this.idle = !barriers.some((b) => b);
  }

  /** Starts a run on the workers (unless no step is split) and does the main thread's part, phase by phase. */
  run(phases: (() => void)[][]): void {
    if (!this.idle) {
      Atomics.add(this.control, RUN, 1);
      Atomics.notify(this.control, RUN);
    }
    let error: unknown = null;
    for (const [i, phase] of phases.entries()) {
      try {
        if (error === null) for (const c of phase) c();
      } catch (e) {
        error = e; // keep meeting the barriers so the workers finish the run
      }
      if (this.barriers[i]) barrier(this.control, this.threads);
    }
    if (error !== null) throw error;
    if (Atomics.exchange(this.control, FAILED, 0) !== 0)
      throw new SepconvError('InferencePlan.run: a kernel call failed in a worker thread');
  }

  stop(): void {
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, RUN, 1);
    Atomics.notify(this.control, RUN);
    for (const w of this.workers) w.terminate();
  }
}

async function startWorkers(instance: Instance, phases: Phase[], threads: number, stacks: number, controlAt: number): Promise<WorkerPool> {
  const { Worker } = await import('node:worker_threads');
  const barriers = barriersAfter(phases);
  const memory = instance.wasm.memory;
  const workers = await Promise.all(Array.from({ length: threads - 1 }, (_, i) => new Promise<InstanceType<typeof Worker>>((resolve, reject) => {
    const workerData: WorkerData = {
      module: instance.module!, memory, stackTop: stacks + (i + 1) * WORKER_STACK, control: controlAt, threads,
      functions: TASK_FUNCTIONS, phases: phases.map((p) => ('eager' in p ? [] : p.tasks[i + 1])), barriers,
    };
    const w = new Worker(new URL('./wasm_worker.js', import.meta.url), { workerData });
    w.once('message', () => {
      w.unref(); // idle workers must not keep the process alive
      resolve(w);
    });
    w.once('error', reject);
  })));
  return new WorkerPool(memory, controlAt, threads, barriers, workers);
}

async function load(program: Program, options: ExecutorOptions): Promise<LoadedPlan> {
  const threads = options.threads;
  const source = options.wasmSource as WasmSource | undefined;
  const instance = threads === 1 ? await singleThreaded(source) : await threaded(source);
  const { wasm } = instance;
  const mem = new Layout(wasm.memory, wasm.__heap_base.value as number);
  const loader = new StepLoader(wasm, mem, program, threads, options.minSplitWork);
  const prepared = program.steps.map((s) => loader.prepare(s));
  const stacks = threads > 1 ? mem.alloc((threads - 1) * WORKER_STACK) : 0;
  const controlAt = threads > 1 ? mem.alloc(4 * CONTROL_WORDS) : 0;
  const { phases, at, scratchBytes } = placeSteps(loader, prepared, mem, wasm.memory, program);
  const pool = threads > 1 ? await startWorkers(instance, phases, threads, stacks, controlAt) : null;
  const values = program.values;
  return new WasmPlan(wasm.memory, wasm, phases, at(program.input), values[program.input].size, at(program.output),
    values[program.output].size, loader.weightBytes, scratchBytes, threads, pool);
}

export const wasmExecutor: PlanExecutor = { backend: 'wasm', load };
