/**
 * The native plan executor: a compiled plan held by the Node-API addon. The plan is laid out exactly as for wasm
 * (wasm_steps.ts: the same calls, the same splitting between threads) in one arena that the addon allocates
 * 64-byte aligned:
 *
 *   [structs, biases, weights packed in the ISA's own layout | activations at the memory plan's offsets | scratch per thread]
 *
 * While loading, the arena is staged in a growing ArrayBuffer (the addon packs weights into it by offset); once
 * laid out it moves into the native arena for good. `execute()` is then one addon call that runs every step in C,
 * each step's task lists (one per thread) run as tasks of the addon's thread pool; only an op without a fused
 * kernel (an eager step) returns to JS between two such calls. The plan runs on the ISA it was loaded with (its packed layout is that ISA's).
 * `profile()` runs each step as a program of its own and times it.
 */
import type { SepconvNativeAddon } from '../backend/native/addon.js';
import { ArgumentError } from '../errors.js';
import type { ExecutorOptions, LoadedPlan, PlanExecutor, Program, StepTiming } from './executor.js';
import { Layout, PAGE_BYTES, type PlanMemory } from './wasm_layout.js';
import { LOAD_QUERIES, StepLoader, TASK_FUNCTIONS, placeSteps, stepWork, type Phase, type StepKernels } from './wasm_steps.js';

/** Offsets are int32 in the addon's programs. */
const MAX_ARENA_BYTES = 2 ** 31 - 1;
/** The addon's thread pool limit. */
const MAX_THREADS = 256;

/** The plan's memory: a staging ArrayBuffer (grown by doubling) until `settle` moves it into the native arena. */
class NativeArena implements PlanMemory {
  buffer = new ArrayBuffer(PAGE_BYTES);
  private settled = false;

  constructor(private readonly addon: SepconvNativeAddon) {}

  grow(pages: number): void {
    if (this.settled) throw new Error('internal: a native plan arena grew after it was laid out');
    const needed = this.buffer.byteLength + pages * PAGE_BYTES;
    if (needed > MAX_ARENA_BYTES)
      throw new ArgumentError(`compile: the native plan needs more than ${MAX_ARENA_BYTES} bytes (weights, activations and ` +
        'scratch); compile for a smaller batch or input size');
    const next = new ArrayBuffer(Math.min(MAX_ARENA_BYTES, Math.max(needed, 2 * this.buffer.byteLength)));
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
  }

  /** Moves the first `bytes` into the aligned native arena, where the plan stays. */
  settle(bytes: number): void {
    const arena = this.addon.planArena(bytes);
    new Uint8Array(arena).set(new Uint8Array(this.buffer, 0, bytes));
    this.buffer = arena;
    this.settled = true;
  }
}

/** The load-time queries as addon calls on the staging memory, numbered after the task functions. */
function nativeKernels(addon: SepconvNativeAddon, isa: number, memory: NativeArena): StepKernels {
  const call = (index: number) => (...args: number[]): number =>
    addon.planCall(memory.buffer, isa, Int32Array.of(TASK_FUNCTIONS.length + index, ...args));
  const queries = Object.fromEntries(LOAD_QUERIES.map((name, i) => [name, call(i)]));
  return { ...queries, memory } as unknown as StepKernels;
}

/**
 * A run of kernel phases as the addon's program (csrc/native/plan_calls.c): phase count; per phase its part count
 * and where each part starts; then the parts, each a call count and calls [length, number, arguments...].
 */
function encodeProgram(phases: { tasks: number[][][] }[]): Int32Array {
  const headerLength = 1 + phases.reduce((n, p) => n + 1 + p.tasks.length, 0);
  const header: number[] = [phases.length];
  const body: number[] = [];
  for (const { tasks } of phases) {
    header.push(tasks.length);
    for (const calls of tasks) {
      header.push(headerLength + body.length);
      body.push(calls.length);
      for (const c of calls) body.push(c.length, ...c);
    }
  }
  return Int32Array.from([...header, ...body]);
}

/** Consecutive kernel phases as one program each; eager phases stay JS closures between them. */
function segments(phases: Phase[]): (Int32Array | (() => void))[] {
  const out: (Int32Array | (() => void))[] = [];
  let run: { tasks: number[][][] }[] = [];
  for (const p of phases) {
    if ('tasks' in p) {
      run.push(p);
      continue;
    }
    if (run.length > 0) out.push(encodeProgram(run));
    run = [];
    out.push(p.eager);
  }
  if (run.length > 0) out.push(encodeProgram(run));
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** What profile() reports of a step besides its time. */
type StepInfo = Omit<StepTiming, 'medianMs'>;

function stepInfo(program: Program, step: number): StepInfo {
  const s = program.steps[step];
  const products = s.kind === 'conv' || s.kind === 'depthwise' || s.kind === 'dwpw' || s.kind === 'gemm';
  return { step, kind: s.kind, outputShape: [...program.values[s.output].shape], multiplyAdds: products ? stepWork(s, program) : 0 };
}

class NativePlan implements LoadedPlan {
  private disposed = false;

  /** `phases` and `steps` (what each phase runs) are kept for profile(), which runs the phases one by one. */
  constructor(private readonly addon: SepconvNativeAddon, private readonly isa: number, private readonly arena: ArrayBuffer,
    private readonly segments: (Int32Array | (() => void))[], private readonly phases: Phase[], private readonly steps: StepInfo[],
    readonly input: Float32Array, readonly output: Float32Array, readonly weightBytes: number, readonly scratchBytes: number,
    readonly threads: number) {}

  get memoryBytes(): number {
    return this.arena.byteLength;
  }

  private check(method: string): void {
    if (this.disposed) throw new ArgumentError(`InferencePlan.${method}: the plan was disposed; compile it again`);
  }

  private run(segment: Int32Array | (() => void)): void {
    if (typeof segment === 'function') segment();
    else this.addon.planRun(this.arena, this.isa, segment, this.threads);
  }

  execute(): void {
    this.check('execute');
    for (const s of this.segments) this.run(s);
  }

  profile(runs: number): StepTiming[] {
    this.check('profile');
    const single = this.phases.map((p) => segments([p])[0]);
    const times = single.map((): number[] => []);
    for (let r = 0; r < runs; r++)
      single.forEach((s, i) => {
        const t0 = performance.now();
        this.run(s);
        times[i].push(performance.now() - t0);
      });
    return this.steps.map((info, i) => ({ ...info, medianMs: median(times[i]) }));
  }

  /** Detaches the arena (input and output become empty) and lets the addon free it. */
  dispose(): void {
    this.disposed = true;
    this.addon.planRelease(this.arena);
  }
}

async function load(addon: SepconvNativeAddon, program: Program, options: ExecutorOptions): Promise<LoadedPlan> {
  const { threads } = options;
  if (threads > MAX_THREADS) throw new ArgumentError(`compile: native plans run on 1 to ${MAX_THREADS} threads, got ${threads}`);
  const isa = addon.isas().indexOf(addon.isa());
  const memory = new NativeArena(addon);
  const mem = new Layout(memory, 0);
  const loader = new StepLoader(nativeKernels(addon, isa, memory), mem, program, threads, options.minSplitWork);
  const { phases, stepOf, at, scratchBytes } = placeSteps(loader, program.steps.map((s) => loader.prepare(s)), mem, memory, program);
  memory.settle(mem.bytes);
  const arena = memory.buffer;
  const view = (id: number): Float32Array => new Float32Array(arena, at(id), program.values[id].size);
  return new NativePlan(addon, isa, arena, segments(phases), phases, stepOf.map((step) => stepInfo(program, step)),
    view(program.input), view(program.output), loader.weightBytes, scratchBytes, threads);
}

/** The executor of plans compiled for 'native', over a loaded addon (registered by initNativeBackend). */
export function nativePlanExecutor(addon: SepconvNativeAddon): PlanExecutor {
  return { backend: 'native', load: (program, options) => load(addon, program, options) };
}
