/**
 * Laying a plan out in its memory while it loads (a wasm module's memory, or the native executor's arena being
 * staged): bump allocation (growing the memory page by page, never later) and the structs the C kernels read
 * (csrc/include/sepconv.h).
 */
import type { ConvGeometry, PoolGeometry, UnaryKind } from '../backend/kernels.js';
import { ArgumentError } from '../errors.js';
import type { Activation } from './ir.js';

const PAGE = 65536;
/** Allocations start on cache lines. */
export const ALIGN = 64;

/** enum sepconv_unary_kind, SEPCONV_ACT_NONE and SEPCONV_ACT_CLIP. */
const ACT_CODES: Record<UnaryKind | 'clip', number> = {
  relu: 0, relu6: 1, hardSwish: 2, swish: 3, sigmoid: 4, hardSigmoid: 5, tanh: 6, leakyRelu: 7, clip: 8,
};
const ACT_NONE = -1;

export const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** What a plan is laid out in: a WebAssembly.Memory, or anything growing by the same 64 KiB pages. */
export interface PlanMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): unknown;
}

export const PAGE_BYTES = PAGE;

export class Layout {
  private top: number;

  constructor(private readonly memory: PlanMemory, heapBase: number) {
    this.top = alignUp(Math.max(heapBase, ALIGN));
  }

  /** Bytes from the start of the memory to the end of the last allocation. */
  get bytes(): number {
    return this.top;
  }

  /** Reserves `bytes` (never at 0, which the kernels read as NULL) and returns their offset. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = at + alignUp(Math.max(bytes, 1));
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      try {
        this.memory.grow(Math.ceil((this.top - have) / PAGE));
      } catch {
        throw new ArgumentError(`compile: the plan needs ${this.top} bytes of WebAssembly memory, more than the runtime allows; ` +
          'compile for a smaller batch or input size');
      }
    }
    return at;
  }

  f32(data: Float32Array): number {
    const at = this.alloc(data.byteLength);
    new Float32Array(this.memory.buffer, at, data.length).set(data);
    return at;
  }

  private i32(data: Int32Array): number {
    const at = this.alloc(data.byteLength);
    new Int32Array(this.memory.buffer, at, data.length).set(data);
    return at;
  }

  /** struct sepconv_epilogue { int32 act; float alpha, beta; int32 act_after_residual; } */
  epilogue(act: Activation | null, after: boolean): number {
    const at = this.alloc(16);
    const view = new DataView(this.memory.buffer, at, 16);
    view.setInt32(0, act === null ? ACT_NONE : ACT_CODES[act.kind], true);
    view.setFloat32(4, act?.alpha ?? 0, true);
    view.setFloat32(8, act?.beta ?? 0, true);
    view.setInt32(12, after ? 1 : 0, true);
    return at;
  }

  /** struct sepconv_conv_geometry (18 int32s in ConvGeometry's order). */
  conv(g: ConvGeometry): number {
    return this.i32(Int32Array.of(g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
      g.dilationH, g.dilationW, g.padTop, g.padLeft, g.padBottom, g.padRight, g.groups));
  }

  /** struct sepconv_pool_geometry (14 int32s in PoolGeometry's order). */
  pool(g: PoolGeometry): number {
    return this.i32(Int32Array.of(g.batch, g.inH, g.inW, g.channels, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW,
      g.padTop, g.padLeft, g.padBottom, g.padRight));
  }
}
