/**
 * Memory for eager kernel calls: one bump arena above the module's static data, reset at the start of every call,
 * so inputs, outputs and workspaces of consecutive calls reuse the same bytes and nothing leaks. The memory grows
 * (at least doubling) when a call needs more; it never shrinks, as WebAssembly memories cannot.
 */
import { ArgumentError } from '../../errors.js';

const PAGE = 65536;
const ALIGN = 16;

export class WasmArena {
  private readonly base: number;
  private top: number;
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    this.base = Math.max(ALIGN, Math.ceil(heapBase / ALIGN) * ALIGN);
    this.top = this.base;
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
  }

  /** Frees everything: call at the start of each kernel call. */
  reset(): void {
    this.top = this.base;
  }

  /** Reserves `bytes` (16-byte aligned) and returns their offset; never 0, which the kernels read as NULL. */
  alloc(bytes: number): number {
    const at = this.top;
    const end = at + Math.ceil(bytes / ALIGN) * ALIGN;
    if (end > this.memory.buffer.byteLength) this.grow(end);
    this.top = end;
    return at;
  }

  /** Copies `data` in and returns its offset. */
  put(data: Float32Array | Int32Array): number {
    const at = this.alloc(data.byteLength);
    if (data instanceof Float32Array) this.f32().set(data, at >>> 2);
    else this.i32().set(data, at >>> 2);
    return at;
  }

  /** A copy of `count` floats at `at`. */
  readF32(at: number, count: number): Float32Array {
    return this.f32().slice(at >>> 2, (at >>> 2) + count);
  }

  /** A copy of `count` int32s at `at`. */
  readI32(at: number, count: number): Int32Array {
    return this.i32().slice(at >>> 2, (at >>> 2) + count);
  }

  /** Bytes the module's memory currently holds (grows with the largest call so far). */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  private grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    const want = Math.max(end, 2 * have);
    try {
      this.memory.grow(Math.ceil((want - have) / PAGE));
    } catch {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        throw new ArgumentError(`wasm backend: a kernel call needs ${end} bytes of WebAssembly memory, more than ` +
          `the runtime allows (it has ${have}); split the batch or use the js backend`);
      }
    }
  }

  /** Views are recreated after growth, which detaches the old buffer. */
  private f32(): Float32Array {
    if (this.f32View.buffer !== this.memory.buffer) this.f32View = new Float32Array(this.memory.buffer);
    return this.f32View;
  }

  private i32(): Int32Array {
    if (this.i32View.buffer !== this.memory.buffer) this.i32View = new Int32Array(this.memory.buffer);
    return this.i32View;
  }
}
