/**
 * Kernel benchmark: js reference vs wasm vs native (1 and 2 threads) for the two kernels of a MobileNet separable
 * block (depthwise 3x3 stride 1 'same' with bias, and pointwise as the matmul [H*W, C_in] x [C_in, C_out] with
 * bias) at MobileNet V1 layer shapes. Backends are interleaved within each run so load changes hit them alike; each
 * cell is the median of RUNS timed runs after WARMUP untimed ones.
 *
 * Two kinds of time per fast backend: 'eager' is a call through the backend as ops make it (wasm copies inputs in
 * and the output out; native reads the inputs in place but returns a fresh Float32Array, whose pages are touched
 * for the first time), interleaved with js and the other backends; 'kernel' runs back to back on buffers already in
 * place (wasm: operands resident in the module's memory; native: a reused `out` array), which is what a planned
 * inference pass pays.
 *
 * Next to the times: GFLOP/s, the native kernels' share of the SIMD peak measured on this machine (a multiply-add
 * loop in C, csrc/native/peak.c, at the same thread count), and depthwise GB/s against the measured streaming
 * bandwidth (a native relu over 128 MB in, 128 MB out).
 *
 * Run: npx tsc -p . && node build/bench/kernels.js   (prints tables, writes bench/results/kernels.json)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { convFields } from '../src/backend/c_abi.js';
import { jsBackend } from '../src/backend/js/index.js';
import type { ConvGeometry, Kernels } from '../src/backend/kernels.js';
import type { SepconvNativeAddon } from '../src/backend/native/addon.js';
import { initNativeBackend, nativeInfo, setNativeThreads } from '../src/backend/native/index.js';
import { loadNativeAddon } from '../src/backend/native/load.js';
import type { SepconvWasmExports } from '../src/backend/wasm/exports.js';
import { initWasmBackend } from '../src/backend/wasm/index.js';
import { createWasmKernels } from '../src/backend/wasm/kernels.js';
import { instantiateSepconvWasm } from '../src/backend/wasm/load.js';
import { convGeometry } from '../src/ops/conv.js';
import { Random } from '../src/tensor/random.js';
import { PRIME_MS } from './common.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const WARMUP = 2;
const RUNS = 11;
const THREADS = [1, 2] as const;

interface Layer {
  name: string;
  size: number;
  inC: number;
  outC: number;
}

/** The separable blocks of MobileNet V1 (224x224 input) at each resolution. */
const layers: Layer[] = [
  { name: '112x112 32->64', size: 112, inC: 32, outC: 64 },
  { name: '56x56 128->128', size: 56, inC: 128, outC: 128 },
  { name: '28x28 256->256', size: 28, inC: 256, outC: 256 },
  { name: '14x14 512->512', size: 14, inC: 512, outC: 512 },
  { name: '7x7 1024->1024', size: 7, inC: 1024, outC: 1024 },
];

interface Case {
  layer: string;
  kernel: 'depthwise 3x3' | 'pointwise';
  flops: number;
  /** Bytes a kernel must move at least: inputs, weights and output once. */
  bytes: number;
  run: (k: Kernels) => Float32Array;
  /** Stages the operands in the module's memory and returns a call of the bare C kernel on them. */
  resident: (wasm: SepconvWasmExports, alloc: Allocator) => () => void;
  /** The native kernel writing into a reused output array. */
  inPlace: (addon: SepconvNativeAddon) => () => void;
}

interface Allocator {
  put(data: Float32Array | Int32Array): number;
  alloc(bytes: number): number;
}

function random(n: number, rng: Random): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
}

function cases(): Case[] {
  const rng = new Random(42);
  const out: Case[] = [];
  for (const l of layers) {
    const g: ConvGeometry = convGeometry([1, l.size, l.size, l.inC],
      { kernelSize: 3, outChannels: l.inC, groups: l.inC, padding: 'same' });
    const x = random(l.size * l.size * l.inC, rng);
    const dw = random(9 * l.inC, rng);
    const dwBias = random(l.inC, rng);
    out.push({ layer: l.name, kernel: 'depthwise 3x3', flops: 2 * 9 * l.size * l.size * l.inC,
      bytes: 4 * (2 * x.length + dw.length + dwBias.length),
      run: (k) => k.depthwiseConv2d(x, dw, dwBias, g),
      resident: (wasm, mem) => {
        const gp = mem.put(convFields(g));
        const xp = mem.put(x), wp = mem.put(dw), bp = mem.put(dwBias), yp = mem.alloc(x.byteLength);
        const ws = mem.alloc(4 * wasm.sepconv_depthwise_conv2d_workspace(gp));
        return () => wasm.sepconv_depthwise_conv2d(xp, wp, bp, yp, gp, ws);
      },
      inPlace: (addon) => {
        const fields = convFields(g), y = new Float32Array(x.length);
        return () => addon.depthwiseConv2d(x, dw, dwBias, fields, y);
      } });
    const m = l.size * l.size;
    const pw = random(l.inC * l.outC, rng);
    const pwBias = random(l.outC, rng);
    out.push({ layer: l.name, kernel: 'pointwise', flops: 2 * m * l.inC * l.outC,
      bytes: 4 * (x.length + pw.length + pwBias.length + m * l.outC),
      run: (k) => k.matmul(x, pw, pwBias, m, l.inC, l.outC, false, false),
      resident: (wasm, mem) => {
        const ap = mem.put(x), bp = mem.put(pw), biasp = mem.put(pwBias), cp = mem.alloc(4 * m * l.outC);
        const ws = mem.alloc(4 * wasm.sepconv_matmul_workspace(m, l.inC, l.outC));
        return () => wasm.sepconv_matmul(ap, bp, biasp, cp, m, l.inC, l.outC, 0, 0, ws);
      },
      inPlace: (addon) => {
        const c = new Float32Array(m * l.outC);
        return () => addon.matmul(x, pw, pwBias, m, l.inC, l.outC, false, false, c);
      } });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function time(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/** The native backend if its addon is built (with the addon for in-place calls), else null and why not. */
async function loadNative(): Promise<{ kernels: Kernels; addon: SepconvNativeAddon } | { reason: string }> {
  try {
    const kernels = (await initNativeBackend()).kernels as Kernels;
    return { kernels, addon: await loadNativeAddon() };
  } catch (e) {
    return { reason: (e as Error).message };
  }
}

/** Streaming bandwidth: a native relu from one 128 MB array into another, median of 5 (GB/s, bytes read + written). */
function measureBandwidth(addon: SepconvNativeAddon): number {
  const n = 32 * 1024 * 1024;
  const x = new Float32Array(n).fill(1), y = new Float32Array(n);
  addon.unary(0, x, 0, y);
  const times = Array.from({ length: 5 }, () => time(() => addon.unary(0, x, 0, y)));
  return (8 * n) / median(times) / 1e6;
}

interface NativeTimes {
  eager: number[];
  kernel: number[];
}

async function main(): Promise<void> {
  const wasm = (await initWasmBackend()).kernels as Kernels;
  const js = jsBackend.kernels;
  const native = await loadNative();
  const nativeOk = 'addon' in native;
  if (!nativeOk) console.log(`native backend not benchmarked: ${native.reason}`);
  const threadsBefore = nativeOk ? nativeInfo().threads : 1;

  // Machine limits at each thread count.
  const peak: Record<number, number> = {};
  const bandwidth: Record<number, number> = {};
  if (nativeOk)
    for (const t of THREADS) {
      setNativeThreads(t);
      peak[t] = Math.max(...Array.from({ length: 3 }, () => native.addon.peakGflops(200)));
      bandwidth[t] = measureBandwidth(native.addon);
    }

  // A second wasm instance for the resident runs, so they never disturb the backend's arena.
  const bare = await instantiateSepconvWasm();
  const arena = createWasmKernels(bare).arena;
  const rows = [];
  for (const c of cases()) {
    arena.reset();
    const wasmKernel = c.resident(bare, arena);
    const nativeKernel = nativeOk ? c.inPlace(native.addon) : null;
    const runNativeEager = (t: number, into: number[] | null): void => {
      if (!nativeOk) return;
      setNativeThreads(t);
      c.run(native.kernels); // untimed: wakes the fresh threads
      const ms = time(() => c.run(native.kernels));
      into?.push(ms);
    };
    for (let i = 0; i < WARMUP; i++) {
      c.run(js);
      c.run(wasm);
      for (const t of THREADS) runNativeEager(t, null);
    }
    // Eager calls, interleaved.
    const tJs: number[] = [], tWasm: number[] = [];
    const tNative: Record<number, NativeTimes> = { 1: { eager: [], kernel: [] }, 2: { eager: [], kernel: [] } };
    for (let i = 0; i < RUNS; i++) {
      tJs.push(time(() => c.run(js)));
      tWasm.push(time(() => c.run(wasm)));
      for (const t of THREADS) runNativeEager(t, tNative[t].eager);
    }
    // Bare kernels, back to back (warm caches, warm threads), after at least PRIME_MS of untimed runs: a core's first
    // millisecond of AVX-512 work after wasm code runs slowly (see bench/common.ts RunStart).
    const backToBack = (f: () => void): number[] => {
      for (let i = 0, t0 = performance.now(); i < WARMUP || performance.now() - t0 < PRIME_MS; i++) f();
      return Array.from({ length: RUNS }, () => time(f));
    };
    gc(); // finish V8's concurrent collection of the eager phase's garbage, which would compete for the cores
    const tWasmKernel = backToBack(wasmKernel);
    if (nativeKernel !== null)
      for (const t of THREADS) {
        setNativeThreads(t);
        tNative[t].kernel = backToBack(nativeKernel);
      }
    const ms = (xs: number[]): number | null => (xs.length > 0 ? median(xs) : null);
    const gflops = (t: number | null): number | null => (t === null ? null : c.flops / t / 1e6);
    const gbs = (t: number | null): number | null => (t === null ? null : c.bytes / t / 1e6);
    const native1 = ms(tNative[1].kernel), native2 = ms(tNative[2].kernel);
    rows.push({
      layer: c.layer, kernel: c.kernel, mflop: c.flops / 1e6, mbytes: c.bytes / 1e6,
      jsMs: median(tJs), wasmMs: median(tWasm), wasmKernelMs: median(tWasmKernel),
      native1Ms: ms(tNative[1].eager), native2Ms: ms(tNative[2].eager), native1KernelMs: native1, native2KernelMs: native2,
      wasmKernelGflops: gflops(median(tWasmKernel)), native1Gflops: gflops(native1), native2Gflops: gflops(native2),
      native1PeakShare: nativeOk && native1 !== null ? (gflops(native1) as number) / peak[1] : null,
      native2PeakShare: nativeOk && native2 !== null ? (gflops(native2) as number) / peak[2] : null,
      native1GBs: gbs(native1), native2GBs: gbs(native2),
    });
  }
  if (nativeOk) setNativeThreads(threadsBefore);

  const f = (v: number | null, digits: number): string => (v === null ? '-' : v.toFixed(digits));
  const pct = (v: number | null): string => (v === null ? '-' : `${(100 * v).toFixed(0)}%`);
  console.log('Times (ms, median): eager = through the backend as ops call it; kernel = operands in place, output reused');
  console.table(rows.map((r) => ({
    layer: r.layer, kernel: r.kernel, MFLOP: r.mflop.toFixed(1), js: f(r.jsMs, 2), wasm: f(r.wasmMs, 3),
    'wasm kernel': f(r.wasmKernelMs, 3), 'native 1T': f(r.native1Ms, 3), 'native 2T': f(r.native2Ms, 3),
    'native kernel 1T': f(r.native1KernelMs, 3), 'native kernel 2T': f(r.native2KernelMs, 3),
  })));
  if (nativeOk) {
    const isa = nativeInfo().isa;
    console.log(`Kernel throughput. Measured ${isa} multiply-add peak: ${peak[1].toFixed(1)} GFLOP/s on 1 thread, ` +
      `${peak[2].toFixed(1)} on 2; streaming bandwidth: ${bandwidth[1].toFixed(1)} GB/s on 1 thread, ` +
      `${bandwidth[2].toFixed(1)} on 2`);
  }
  console.table(rows.map((r) => ({
    layer: r.layer, kernel: r.kernel, 'wasm GFLOP/s': f(r.wasmKernelGflops, 1), 'native 1T GFLOP/s': f(r.native1Gflops, 1),
    'native 2T GFLOP/s': f(r.native2Gflops, 1), '1T % peak': pct(r.native1PeakShare), '2T % peak': pct(r.native2PeakShare),
    'native 1T GB/s': f(r.native1GBs, 1), 'native 2T GB/s': f(r.native2GBs, 1),
  })));
  const result = {
    benchmark: 'kernels', date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown',
    warmup: WARMUP, runs: RUNS, statistic: 'median',
    native: nativeOk ? { isa: nativeInfo().isa, peakGflops: peak, bandwidthGBs: bandwidth } : { unavailable: native.reason },
    note: 'eager = backend call as ops make it (wasm copies in and out; native returns a fresh array); kernel = ' +
      'operands already in place and the output reused, back to back (warm caches); GB/s counts inputs, weights ' +
      'and output once',
    rows,
  };
  const dir = new URL('../../bench/results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('kernels.json', dir), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${new URL('kernels.json', dir).pathname}`);
}

await main();
