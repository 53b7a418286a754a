/**
 * The functions of the Node-API addon (csrc/native/addon.c). Tensors are Float32Arrays read in place; geometries
 * are the int32 fields of ../c_abi.ts; results are new arrays, or for the forward kernels the optional `out` array
 * (exactly the result's length, overlapping no input), so a planned pass allocates nothing. Kernel calls run on
 * the addon's own threads and return when done.
 */
export interface SepconvNativeAddon {
  /** Version of this interface; load.ts refuses an addon built from other sources. */
  readonly abi: number;

  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number,
    transA: boolean, transB: boolean, out?: Float32Array): Float32Array;
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: Int32Array, out?: Float32Array): Float32Array;
  conv2dBackwardInput(dy: Float32Array, w: Float32Array, g: Int32Array): Float32Array;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, g: Int32Array): Float32Array;
  depthwiseConv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: Int32Array,
    out?: Float32Array): Float32Array;
  depthwiseConv2dBackwardInput(dy: Float32Array, w: Float32Array, g: Int32Array): Float32Array;
  depthwiseConv2dBackwardFilter(x: Float32Array, dy: Float32Array, g: Int32Array): Float32Array;
  unary(kind: number, x: Float32Array, alpha: number, out?: Float32Array): Float32Array;
  unaryBackward(kind: number, x: Float32Array, dy: Float32Array, alpha: number): Float32Array;
  maxPool2d(x: Float32Array, g: Int32Array): { y: Float32Array; argmax: Int32Array };
  maxPool2dBackward(dy: Float32Array, argmax: Int32Array, g: Int32Array): Float32Array;
  avgPool2d(x: Float32Array, g: Int32Array, countIncludePad: boolean, out?: Float32Array): Float32Array;
  avgPool2dBackward(dy: Float32Array, g: Int32Array, countIncludePad: boolean): Float32Array;
  channelMoments(x: Float32Array, channels: number): { mean: Float32Array; variance: Float32Array };
  batchNormForward(x: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array,
    beta: Float32Array, out?: Float32Array): Float32Array;
  batchNormBackward(x: Float32Array, dy: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array,
    training: boolean): { dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array };

  /** Threads a kernel call uses, the caller's included (1..256). */
  setThreads(threads: number): void;
  threads(): number;
  /** Instruction sets this CPU runs, widest first ('avx512', 'avx2', 'sse2'). */
  isas(): string[];
  /** The widest instruction set kernels use (default: the first of isas()). */
  isa(): string;
  setIsa(name: string): void;
  /** GFLOP/s of a multiply-add loop in the current ISA on all threads at once, run for about `milliseconds`. */
  peakGflops(milliseconds: number): number;

  /** Compiled plans (src/plan/native_executor.ts): a zeroed arena of `bytes`, 64-byte aligned, in native memory. */
  planArena(bytes: number): ArrayBuffer;
  /** Detaches a plan's arena (its views then read nothing) and lets its memory go. */
  planRelease(arena: ArrayBuffer): void;
  /** One fused-kernel call [number, arguments...] on `buffer` (byte offsets as pointers) with ISA isas()[isa]; returns sizes. */
  planCall(buffer: ArrayBuffer, isa: number, call: Int32Array): number;
  /** Runs a plan program (csrc/native/plan_calls.c) on `arena` with ISA isas()[isa], growing the pool to `threads` if smaller. */
  planRun(arena: ArrayBuffer, isa: number, program: Int32Array, threads: number): void;
}

/** The interface version this library calls (SEPCONV_NATIVE_ABI in csrc/native/addon.c). */
export const NATIVE_ABI = 2;

export const requiredFunctions: readonly (keyof SepconvNativeAddon)[] = [
  'matmul', 'conv2d', 'conv2dBackwardInput', 'conv2dBackwardFilter', 'depthwiseConv2d',
  'depthwiseConv2dBackwardInput', 'depthwiseConv2dBackwardFilter', 'unary', 'unaryBackward', 'maxPool2d',
  'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward', 'channelMoments', 'batchNormForward', 'batchNormBackward',
  'setThreads', 'threads', 'isas', 'isa', 'setIsa', 'peakGflops', 'planArena', 'planRelease', 'planCall', 'planRun',
];
