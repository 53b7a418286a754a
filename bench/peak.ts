/**
 * The machine's ceilings as a wasm kernel sees them: SIMD128 arithmetic peak (a loop of independent f32x4 multiply
 * + add chains, the same instruction pair sepconv's kernels use, with no memory traffic) and memory bandwidth (a
 * copy of arrays far larger than the caches). The wasm module is assembled here byte by byte: a dozen opcodes.
 */

/** Independent accumulator chains: enough to cover the multiply and add latencies, few enough to stay in registers. */
const CHAINS = 12;

/** Unsigned LEB128. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const f32 = (v: number): number[] => [...new Uint8Array(Float32Array.of(v).buffer)];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];

const SIMD = 0xfd;
const F32X4_SPLAT = [SIMD, 0x13];
const F32X4_EXTRACT_LANE0 = [SIMD, 0x1f, 0];
const F32X4_ADD = [SIMD, ...leb(228)];
const F32X4_MUL = [SIMD, ...leb(230)];
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;

/** (func (export "peak") (param $n i32) (result f32)): n iterations of CHAINS (acc = acc * a + b). */
function peakModule(): Uint8Array<ArrayBuffer> {
  const a = CHAINS + 1, b = CHAINS + 2;
  const body: number[] = [];
  for (let i = 1; i <= CHAINS; i++) body.push(0x43, ...f32(i * 1e-3), ...F32X4_SPLAT, LOCAL_SET, i);
  body.push(0x43, ...f32(0.9999), ...F32X4_SPLAT, LOCAL_SET, a, 0x43, ...f32(1e-4), ...F32X4_SPLAT, LOCAL_SET, b);
  body.push(0x03, 0x40); // loop
  for (let i = 1; i <= CHAINS; i++) body.push(LOCAL_GET, i, LOCAL_GET, a, ...F32X4_MUL, LOCAL_GET, b, ...F32X4_ADD, LOCAL_SET, i);
  body.push(LOCAL_GET, 0, 0x41, 1, 0x6b, LOCAL_TEE, 0, 0x0d, 0, 0x0b); // n -= 1; br_if n != 0; end
  body.push(LOCAL_GET, 1, ...F32X4_EXTRACT_LANE0);
  for (let i = 2; i <= CHAINS; i++) body.push(LOCAL_GET, i, ...F32X4_EXTRACT_LANE0, 0x92); // f32.add
  body.push(0x0b);
  const fn = [...vec([[...leb(CHAINS + 2), 0x7b]]), ...body]; // locals: CHAINS + 2 v128
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 1, 0x7f, 1, 0x7d]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...leb(4), ...'peak'.split('').map((c) => c.charCodeAt(0)), 0x00, 0]])),
    ...section(10, vec([[...leb(fn.length), ...fn]])),
  ]);
}

/** GFLOP/s of wasm SIMD128 multiply + add on one thread (best of several timed runs). */
export function measureSimdPeak(): number {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(peakModule()));
  const peak = instance.exports['peak'] as (n: number) => number;
  const iterations = 2_000_000;
  peak(iterations); // tier up
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    peak(iterations);
    best = Math.min(best, performance.now() - t0);
  }
  return (iterations * CHAINS * 4 * 2) / best / 1e6;
}

/** GB/s of a large copy, reads plus writes (best of several). */
export function measureMemoryBandwidth(): number {
  const n = 32 * 2 ** 20; // 128 MiB of floats per array
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    dst.set(src);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * n * 4) / best / 1e6;
}
