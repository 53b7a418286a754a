/**
 * Plan steps as fused-kernel calls, for the wasm executor and the native one alike. Loading a step stores what it
 * needs in the plan's memory (structs, biases, weights packed by the C pack functions) and splits its work between
 * threads: convolutions, depthwise and pooling by bands of output rows (each band is the same kernel on the input
 * rows it reads, with the padding that is left above and below them), matrix products by rows (or by column panels
 * when there are few rows, as are depthwise -> pointwise steps on a 7x7 image), element-wise steps by ranges. A call is a kernel number and integer arguments (byte
 * offsets into the plan's memory stand for pointers), so wasm worker threads can make the same calls on their own
 * instance of the module and the native addon can run a whole plan from one array of them.
 */
import type { ConvGeometry, PoolGeometry } from '../backend/kernels.js';
import type { Program } from './executor.js';
import type { Step } from './ir.js';
import { runEager } from './js_executor.js';
import { alignUp, type Layout, type PlanMemory } from './wasm_layout.js';
import type { FusedWasmExports } from './wasm_exports.js';

/** The kernels a task may call, by index (workers receive indices, not functions). */
export const TASK_FUNCTIONS = [
  'sepconv_fused_gemm', 'sepconv_fused_conv2d', 'sepconv_fused_depthwise', 'sepconv_fused_dwpw', 'sepconv_fused_add',
  'sepconv_fused_channel_affine', 'sepconv_fused_channel_scale', 'sepconv_fused_activate', 'sepconv_max_pool2d',
  'sepconv_avg_pool2d',
] as const satisfies readonly (keyof FusedWasmExports)[];

type TaskFunction = (typeof TASK_FUNCTIONS)[number];

/** The sizes and packs a loader asks of the kernels while it lays a plan out (the native addon numbers them after TASK_FUNCTIONS). */
export const LOAD_QUERIES = [
  'sepconv_fused_gemm_nr', 'sepconv_fused_gemm_packed_size', 'sepconv_fused_gemm_pack', 'sepconv_fused_gemm_workspace',
  'sepconv_fused_conv2d_packed_size', 'sepconv_fused_conv2d_pack', 'sepconv_fused_conv2d_workspace',
  'sepconv_fused_depthwise_workspace', 'sepconv_fused_dwpw_workspace',
] as const satisfies readonly (keyof FusedWasmExports)[];

/** What StepLoader needs of a kernel build: its load-time queries, and the memory the plan is laid out in. */
export type StepKernels = Pick<FusedWasmExports, (typeof LOAD_QUERIES)[number]> & { readonly memory: PlanMemory };

/** One kernel call: [index into TASK_FUNCTIONS, ...integer arguments]. */
export type Task = number[];

/** A step ready to run: each thread's kernel calls, or an op that only the main thread runs (eagerly). */
export type Phase = { tasks: Task[][] } | { eager: () => void };

export interface PreparedStep {
  /** Scratch each thread needs for this step. */
  scratchBytes: number;
  /** The step's calls, given the activations' addresses and each thread's scratch; null when nothing runs. */
  bind(at: (value: number) => number, scratch: (thread: number) => number): Phase | null;
}

const call = (fn: TaskFunction, ...args: number[]): Task => [TASK_FUNCTIONS.indexOf(fn), ...args];

/** [start, end) of part `t` when `total` items are split in `parts`, starts on multiples of `align`. */
function share(total: number, parts: number, t: number, align = 1): [number, number] {
  const per = Math.ceil(total / parts / align) * align;
  return [Math.min(total, t * per), Math.min(total, (t + 1) * per)];
}

interface RowSegment {
  image: number;
  /** Rows [r0, r1) of that image. */
  r0: number;
  r1: number;
}

/** Thread t's share of `images` x `rows` rows, cut at image boundaries. */
function rowSegments(images: number, rows: number, threads: number, t: number): RowSegment[] {
  const [start, end] = share(images * rows, threads, t);
  const out: RowSegment[] = [];
  for (let r = start; r < end;) {
    const image = Math.floor(r / rows);
    const r1 = Math.min(end, (image + 1) * rows);
    out.push({ image, r0: r - image * rows, r1: r1 - image * rows });
    r = r1;
  }
  return out;
}

/** A window op's geometry fields that change for a band of output rows. */
interface BandRows {
  inH: number;
  outH: number;
  padTop: number;
  padBottom: number;
}

/**
 * Output rows [r0, r1) of one image as an op of their own: the input starts `skip` rows down (at the first row the
 * band reads, or 0 while the band still reads top padding) and the padding is what remains above and below.
 */
function bandRows(g: { inH: number; padTop: number; strideH: number; kH: number }, dilationH: number, s: RowSegment): BandRows & { skip: number } {
  const first = s.r0 * g.strideH - g.padTop;
  const skip = Math.max(0, first);
  const inH = g.inH - skip;
  const outH = s.r1 - s.r0;
  const padTop = skip - first;
  const padBottom = Math.max(0, (outH - 1) * g.strideH + (g.kH - 1) * dilationH + 1 - padTop - inH);
  return { skip, inH, outH, padTop, padBottom };
}

const convBand = (g: ConvGeometry, s: RowSegment): { g: ConvGeometry; skip: number } => {
  const { skip, ...rows } = bandRows(g, g.dilationH, s);
  return { g: { ...g, batch: 1, ...rows }, skip };
};

const poolBand = (g: PoolGeometry, s: RowSegment): { g: PoolGeometry; skip: number } => {
  const { skip, ...rows } = bandRows(g, 1, s);
  return { g: { ...g, batch: 1, ...rows }, skip };
};

/** Rough work of a step: multiply-adds for convolutions and products, element visits for the rest. */
export function stepWork(s: Step, program: Program): number {
  const out = program.values[s.output].size;
  switch (s.kind) {
    case 'conv': return out * s.g.kH * s.g.kW * (s.g.inC / s.g.groups);
    case 'depthwise': return out * s.g.kH * s.g.kW;
    case 'dwpw': return out * s.dw.g.outC + s.dw.g.batch * s.dw.g.outH * s.dw.g.outW * s.dw.g.outC * s.dw.g.kH * s.dw.g.kW;
    case 'gemm': return s.m * s.k * s.n;
    case 'maxPool':
    case 'avgPool': return out * s.g.kH * s.g.kW;
    default: return out;
  }
}

/** Loads steps into one plan memory for a given thread count. */
export class StepLoader {
  /** Weights to pack once the staging area exists: `pack(raw)` packs the data staged at `raw`. */
  readonly packs: { data: Float32Array; pack: (raw: number) => void }[] = [];
  weightBytes = 0;
  private readonly nr: number;

  /** Steps worth it are split in `threads` task lists, one per thread, each with its own scratch area. */
  constructor(private readonly kernels: StepKernels, private readonly mem: Layout, private readonly program: Program,
    readonly threads: number, private readonly minSplitWork: number) {
    this.nr = kernels.sepconv_fused_gemm_nr();
  }

  private weights(data: Float32Array | null): number {
    if (data === null) return 0;
    this.weightBytes += data.byteLength;
    return this.mem.f32(data);
  }

  private packed(floats: number, data: Float32Array, pack: (raw: number, packed: number) => void): number {
    const at = this.mem.alloc(floats * 4);
    this.weightBytes += floats * 4;
    this.packs.push({ data, pack: (raw) => pack(raw, at) });
    return at;
  }

  private size(id: number): number {
    return this.program.values[id].size;
  }

  /**
   * Per thread, the row bands of a window step split in `parts`: the band, its geometry struct and the byte offset
   * of its first input row within the image (`rowBytes` per input row).
   */
  private bands<G>(parts: number, images: number, rows: number, rowBytes: number, band: (s: RowSegment) => { g: G; skip: number },
    store: (g: G) => number): { s: RowSegment; g: number; skip: number }[][] {
    return Array.from({ length: this.threads }, (_, t) => rowSegments(images, rows, parts, t).map((s) => {
      const b = band(s);
      return { s, g: store(b.g), skip: b.skip * rowBytes };
    }));
  }

  /** Threads a step of this much work is split between. */
  private parts(work: number): number {
    return work >= this.minSplitWork ? this.threads : 1;
  }

  /**
   * Whether `parts` threads share a product of `rows` x `n` outputs by columns (whole packed panels, each thread
   * reading only its share of the weights) rather than by rows: when rows are few (a 7x7 image, a linear layer)
   * and there are panels enough to go round.
   */
  private byColumns(rows: number, n: number, parts: number): boolean {
    return parts > 1 && rows < 64 * parts && n >= 2 * this.nr * parts;
  }

  prepare(s: Step): PreparedStep {
    const parts = this.parts(stepWork(s, this.program));
    switch (s.kind) {
      case 'conv': return this.conv(s, parts);
      case 'depthwise': return this.depthwiseStep(s, parts);
      case 'gemm': return this.gemm(s, parts);
      case 'dwpw': return this.dwpw(s, parts);
      case 'maxPool':
      case 'avgPool': return this.pool(s, parts);
      case 'eager': return { scratchBytes: 0, bind: (at) => ({ eager: this.eager(s, at) }) };
      case 'reshape': return { scratchBytes: 0, bind: () => null };
      case 'batchNorm': throw new Error('internal: batch norm steps are lowered before execution');
      default: return this.elementwise(s, parts);
    }
  }

  private conv(s: Extract<Step, { kind: 'conv' }>, parts: number): PreparedStep {
    const { kernels, mem } = this;
    const whole = mem.conv(s.g);
    const w = this.packed(kernels.sepconv_fused_conv2d_packed_size(whole), s.w, (raw, p) => kernels.sepconv_fused_conv2d_pack(raw, p, whole));
    const bias = this.weights(s.bias);
    const e = mem.epilogue(s.epilogue.act, s.epilogue.actAfterResidual);
    const g = s.g;
    const inImage = 4 * g.inH * g.inW * g.inC, outRow = 4 * g.outW * g.outC;
    const bands = this.bands(parts, g.batch, g.outH, 4 * g.inW * g.inC, (b) => convBand(g, b), (b) => mem.conv(b));
    return {
      scratchBytes: 4 * kernels.sepconv_fused_conv2d_workspace(whole),
      bind: (at, scratch) => ({ tasks: bands.map((parts, t) => parts.map(({ s: b, g: gp, skip }) => {
        const out = (b.image * g.outH + b.r0) * outRow;
        const r = s.epilogue.residual;
        return call('sepconv_fused_conv2d', at(s.x) + b.image * inImage + skip, w, bias, r === null ? 0 : at(r) + out, at(s.output) + out, gp, e,
          scratch(t));
      })) }),
    };
  }

  private depthwiseStep(s: Extract<Step, { kind: 'depthwise' }>, parts: number): PreparedStep {
    const { kernels, mem } = this;
    const g = s.g;
    const whole = mem.conv(g);
    const w = this.weights(s.w);
    const bias = this.weights(s.bias);
    const e = mem.epilogue(s.epilogue.act, s.epilogue.actAfterResidual);
    const inImage = 4 * g.inH * g.inW * g.inC, outRow = 4 * g.outW * g.outC;
    const bands = this.bands(parts, g.batch, g.outH, 4 * g.inW * g.inC, (b) => convBand(g, b), (b) => mem.conv(b));
    return {
      scratchBytes: 4 * kernels.sepconv_fused_depthwise_workspace(whole),
      bind: (at, scratch) => ({ tasks: bands.map((parts, t) => parts.map(({ s: b, g: gp, skip }) => {
        const out = (b.image * g.outH + b.r0) * outRow;
        const r = s.epilogue.residual;
        return call('sepconv_fused_depthwise', at(s.x) + b.image * inImage + skip, w, bias, r === null ? 0 : at(r) + out,
          at(s.output) + out, gp, e, scratch(t));
      })) }),
    };
  }

  private dwpw(s: Extract<Step, { kind: 'dwpw' }>, parts: number): PreparedStep {
    const { kernels, mem } = this;
    const g = s.dw.g;
    const whole = mem.conv(g);
    const dwW = this.weights(s.dw.w);
    const dwBias = this.weights(s.dw.bias);
    const dwE = mem.epilogue(s.dw.act, false);
    const k = g.outC, n = s.pw.n;
    const pw = this.packed(kernels.sepconv_fused_gemm_packed_size(k, n), s.pw.w, (raw, p) => kernels.sepconv_fused_gemm_pack(raw, p, k, n));
    const pwBias = this.weights(s.pw.bias);
    const pwE = mem.epilogue(s.epilogue.act, s.epilogue.actAfterResidual);
    const inImage = 4 * g.inH * g.inW * g.inC, outRow = 4 * g.outW * n;
    const scratchBytes = 4 * kernels.sepconv_fused_dwpw_workspace(whole, n);
    if (this.byColumns(g.batch * g.outH * g.outW, n, parts)) {
      // Few pixels (7x7): every thread runs the (small) depthwise on all of them and the pointwise on its columns.
      return {
        scratchBytes,
        bind: (at, scratch) => ({ tasks: Array.from({ length: this.threads }, (_, t): Task[] => {
          const [j0, j1] = share(n, parts, t, this.nr);
          const r = s.epilogue.residual;
          return j0 >= j1 ? [] : [call('sepconv_fused_dwpw', at(s.x), dwW, dwBias, whole, dwE, pw + 4 * j0 * k, pwBias === 0 ? 0 : pwBias + 4 * j0,
            j1 - j0, n, r === null ? 0 : at(r) + 4 * j0, at(s.output) + 4 * j0, pwE, scratch(t))];
        }) }),
      };
    }
    const bands = this.bands(parts, g.batch, g.outH, 4 * g.inW * g.inC, (b) => convBand(g, b), (b) => mem.conv(b));
    return {
      scratchBytes,
      bind: (at, scratch) => ({ tasks: bands.map((parts, t) => parts.map(({ s: b, g: gp, skip }) => {
        const out = (b.image * g.outH + b.r0) * outRow;
        const r = s.epilogue.residual;
        return call('sepconv_fused_dwpw', at(s.x) + b.image * inImage + skip, dwW, dwBias, gp, dwE, pw, pwBias, n, n,
          r === null ? 0 : at(r) + out, at(s.output) + out, pwE, scratch(t));
      })) }),
    };
  }

  private gemm(s: Extract<Step, { kind: 'gemm' }>, parts: number): PreparedStep {
    const { kernels, mem } = this;
    const { m, k, n } = s;
    const w = this.packed(kernels.sepconv_fused_gemm_packed_size(k, n), s.w, (raw, p) => kernels.sepconv_fused_gemm_pack(raw, p, k, n));
    const bias = this.weights(s.bias);
    const e = mem.epilogue(s.epilogue.act, s.epilogue.actAfterResidual);
    const byRows = !this.byColumns(m, n, parts);
    const bind = (at: (v: number) => number, scratch: (t: number) => number): Phase => {
      const x = at(s.x), y = at(s.output), r = s.epilogue.residual === null ? 0 : at(s.epilogue.residual);
      const scale = s.scale === null ? 0 : at(s.scale);
      const tasks = Array.from({ length: this.threads }, (_, t): Task[] => {
        if (!byRows) {
          // Few rows (a linear layer, or a 7x7 pointwise conv): split the columns, in whole packed panels.
          const [j0, j1] = share(n, parts, t, this.nr);
          if (j0 >= j1) return [];
          return [call('sepconv_fused_gemm', x, w + 4 * j0 * k, bias === 0 ? 0 : bias + 4 * j0, scale, r === 0 ? 0 : r + 4 * j0,
            y + 4 * j0, m, k, j1 - j0, n, s.scaleRows, e, scratch(t))];
        }
        // Rows, cut where the squeeze-and-excitation gate changes (one gate per image).
        const perImage = s.scale === null ? m : s.scaleRows;
        return rowSegments(m / perImage, perImage, parts, t).map((b) => {
          const row = b.image * perImage + b.r0;
          return call('sepconv_fused_gemm', x + 4 * row * k, w, bias, scale === 0 ? 0 : scale + 4 * b.image * k, r === 0 ? 0 : r + 4 * row * n, y + 4 * row * n,
            b.r1 - b.r0, k, n, n, b.r1 - b.r0, e, scratch(t));
        });
      });
      return { tasks };
    };
    return { scratchBytes: 4 * kernels.sepconv_fused_gemm_workspace(), bind };
  }

  private pool(s: Extract<Step, { kind: 'maxPool' | 'avgPool' }>, parts: number): PreparedStep {
    const g = s.g;
    const max = s.kind === 'maxPool';
    const inImage = 4 * g.inH * g.inW * g.channels, outRow = 4 * g.outW * g.channels;
    const bands = this.bands(parts, g.batch, g.outH, 4 * g.inW * g.channels, (b) => poolBand(g, b), (b) => this.mem.pool(b));
    return {
      // Max pooling also writes the argmax of each output (unused here) to scratch.
      scratchBytes: max ? outRow * g.outH * g.batch : 0,
      bind: (at, scratch) => ({ tasks: bands.map((parts, t) => parts.map(({ s: b, g: gp, skip }) => {
        const x = at(s.x) + b.image * inImage + skip, y = at(s.output) + (b.image * g.outH + b.r0) * outRow;
        return max ? call('sepconv_max_pool2d', x, y, scratch(t), gp) : call('sepconv_avg_pool2d', x, y, gp, s.countIncludePad ? 1 : 0);
      })) }),
    };
  }

  private elementwise(s: Extract<Step, { kind: 'affine' | 'add' | 'channelScale' | 'unary' }>, parts: number): PreparedStep {
    const mem = this.mem;
    const threads = Array.from({ length: this.threads }, (_, t) => t);
    const count = this.size(s.output);
    /** Element ranges [i0, i1) per thread, in whole cache lines. */
    const ranges = threads.map((t) => share(count, parts, t, 16));
    switch (s.kind) {
      case 'add': {
        const e = mem.epilogue(s.act, false);
        return { scratchBytes: 0, bind: (at) => ({ tasks: ranges.map(([i0, i1]) => (i0 >= i1 ? [] : [
          call('sepconv_fused_add', at(s.a) + 4 * i0, at(s.b) + 4 * i0, at(s.output) + 4 * i0, i1 - i0, e)])) }) };
      }
      case 'unary': {
        const e = mem.epilogue(s.act, false);
        return { scratchBytes: 0, bind: (at) => ({ tasks: ranges.map(([i0, i1]) => (i0 >= i1 ? [] : [
          call('sepconv_fused_activate', at(s.x) + 4 * i0, at(s.output) + 4 * i0, i1 - i0, e)])) }) };
      }
      case 'affine': {
        const c = s.scale.length;
        const scale = this.weights(s.scale), shift = this.weights(s.shift);
        const e = mem.epilogue(s.act, false);
        const pixels = threads.map((t) => share(count / c, parts, t));
        return { scratchBytes: 0, bind: (at) => ({ tasks: pixels.map(([p0, p1]) => (p0 >= p1 ? [] : [
          call('sepconv_fused_channel_affine', at(s.x) + 4 * p0 * c, scale, shift, at(s.output) + 4 * p0 * c, p1 - p0, c, e)])) }) };
      }
      case 'channelScale': {
        const [images, h, w, c] = this.program.values[s.x].shape;
        return { scratchBytes: 0, bind: (at) => ({ tasks: threads.map((t) => rowSegments(images, h * w, parts, t).map((b) => {
          const off = 4 * (b.image * h * w + b.r0) * c;
          return call('sepconv_fused_channel_scale', at(s.x) + off, at(s.gate) + 4 * b.image * c, at(s.output) + off, 1, b.r1 - b.r0, c);
        })) }) };
      }
    }
  }

  /** Copies the inputs out of the plan's memory, runs the op eagerly and copies its result back. */
  private eager(s: Extract<Step, { kind: 'eager' }>, at: (value: number) => number): () => void {
    const memory = this.kernels.memory;
    const values = this.program.values;
    const view = (id: number): Float32Array => values[id].constant ?? new Float32Array(memory.buffer, at(id), values[id].size);
    return () => view(s.output).set(runEager(s, view, this.program));
  }
}

/** A plan's steps placed in memory: each step's calls, where each value lives, and its scratch space. */
export interface PlacedSteps {
  phases: Phase[];
  /** For each phase, the index in `program.steps` of the step it runs. */
  stepOf: number[];
  /** Byte offset of each activation. */
  at: (value: number) => number;
  /** Scratch bytes of all threads together. */
  scratchBytes: number;
}

/**
 * Lays out the activations (at the memory plan's offsets) and each thread's scratch after everything `prepared`
 * stored, packs the weights (their raw data staged in that area, unused at load) and binds every step's calls.
 * Steps with nothing to run are dropped.
 */
export function placeSteps(loader: StepLoader, prepared: PreparedStep[], mem: Layout, memory: PlanMemory, program: Program): PlacedSteps {
  const threads = loader.threads;
  const arenaBytes = alignUp(program.memory.arenaBytes);
  const scratchBytes = alignUp(Math.max(0, ...prepared.map((p) => p.scratchBytes)));
  const staging = Math.max(0, ...loader.packs.map((j) => j.data.byteLength));
  const base = mem.alloc(Math.max(arenaBytes + threads * scratchBytes, staging));
  for (const job of loader.packs) {
    new Float32Array(memory.buffer, base, job.data.length).set(job.data);
    job.pack(base);
  }
  const at = (id: number): number => base + program.memory.offsets[id];
  const bound = prepared.map((p, step) => ({ step, phase: p.bind(at, (t) => base + arenaBytes + t * scratchBytes) }))
    .filter((b): b is { step: number; phase: Phase } => b.phase !== null && ('eager' in b.phase || b.phase.tasks.some((t) => t.length > 0)));
  return { phases: bound.map((b) => b.phase), stepOf: bound.map((b) => b.step), at, scratchBytes: threads * scratchBytes };
}
