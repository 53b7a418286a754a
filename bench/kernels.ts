/**
 * Kernel benchmark: js reference vs wasm for the two kernels of a MobileNet separable block (depthwise 3x3 stride 1
 * 'same' with bias, and pointwise as the matmul [H*W, C_in] x [C_in, C_out] with bias) at MobileNet V1 layer shapes.
 * Backends are interleaved within each run so load changes hit both alike; each cell is the median of RUNS timed
 * runs after WARMUP untimed ones. 'wasm' times are eager calls through the backend, i.e. they include copying the
 * inputs in and the output out to a fresh Float32Array; 'wasm kernel' times call the C kernel back to back on
 * buffers already in the module's memory (warm caches, no copies: what a planned inference pass would pay).
 *
 * Run: npx tsc -p . && node build/bench/kernels.js   (prints a table, writes bench/results/kernels.json)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { jsBackend } from '../src/backend/js/index.js';
import type { ConvGeometry, Kernels } from '../src/backend/kernels.js';
import type { SepconvWasmExports } from '../src/backend/wasm/exports.js';
import { initWasmBackend } from '../src/backend/wasm/index.js';
import { createWasmKernels } from '../src/backend/wasm/kernels.js';
import { instantiateSepconvWasm } from '../src/backend/wasm/load.js';
import { convGeometry } from '../src/ops/conv.js';
import { Random } from '../src/tensor/random.js';

const WARMUP = 2;
const RUNS = 11;

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
  run: (k: Kernels) => Float32Array;
  /** Stages the operands in the module's memory and returns a call of the bare C kernel on them. */
  resident: (wasm: SepconvWasmExports, alloc: Allocator) => () => void;
}

interface Allocator {
  put(data: Float32Array | Int32Array): number;
  alloc(bytes: number): number;
}

function convFields(g: ConvGeometry): Int32Array {
  return Int32Array.of(g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW,
    g.dilationH, g.dilationW, g.padTop, g.padLeft, g.padBottom, g.padRight, g.groups);
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
      run: (k) => k.depthwiseConv2d(x, dw, dwBias, g),
      resident: (wasm, mem) => {
        const gp = mem.put(convFields(g));
        const xp = mem.put(x), wp = mem.put(dw), bp = mem.put(dwBias), yp = mem.alloc(x.byteLength);
        const ws = mem.alloc(4 * wasm.sepconv_depthwise_conv2d_workspace(gp));
        return () => wasm.sepconv_depthwise_conv2d(xp, wp, bp, yp, gp, ws);
      } });
    const m = l.size * l.size;
    const pw = random(l.inC * l.outC, rng);
    const pwBias = random(l.outC, rng);
    out.push({ layer: l.name, kernel: 'pointwise', flops: 2 * m * l.inC * l.outC,
      run: (k) => k.matmul(x, pw, pwBias, m, l.inC, l.outC, false, false),
      resident: (wasm, mem) => {
        const ap = mem.put(x), bp = mem.put(pw), biasp = mem.put(pwBias), cp = mem.alloc(4 * m * l.outC);
        const ws = mem.alloc(4 * wasm.sepconv_matmul_workspace(m, l.inC, l.outC));
        return () => wasm.sepconv_matmul(ap, bp, biasp, cp, m, l.inC, l.outC, 0, 0, ws);
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

async function main(): Promise<void> {
  const wasm = (await initWasmBackend()).kernels as Kernels;
  const js = jsBackend.kernels;
  // A second instance for the resident runs, so they never disturb the backend's arena.
  const bare = await instantiateSepconvWasm();
  const arena = createWasmKernels(bare).arena;
  const rows = [];
  for (const c of cases()) {
    arena.reset();
    const kernelOnly = c.resident(bare, arena);
    for (let i = 0; i < WARMUP; i++) {
      c.run(js);
      c.run(wasm);
      kernelOnly();
    }
    const tJs: number[] = [];
    const tWasm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      tJs.push(time(() => c.run(js)));
      tWasm.push(time(() => c.run(wasm)));
    }
    const tKernel: number[] = [];
    for (let i = 0; i < RUNS; i++) tKernel.push(time(kernelOnly));
    const jsMs = median(tJs);
    const wasmMs = median(tWasm);
    const kernelMs = median(tKernel);
    const gflops = (ms: number): number => c.flops / ms / 1e6;
    rows.push({
      layer: c.layer, kernel: c.kernel, mflop: c.flops / 1e6, jsMs, wasmMs, kernelMs,
      jsGflops: gflops(jsMs), wasmGflops: gflops(wasmMs), kernelGflops: gflops(kernelMs), speedup: jsMs / wasmMs,
    });
  }
  const table = rows.map((r) => ({
    layer: r.layer, kernel: r.kernel, MFLOP: r.mflop.toFixed(1), 'js ms': r.jsMs.toFixed(2),
    'wasm ms': r.wasmMs.toFixed(3), 'wasm kernel ms': r.kernelMs.toFixed(3), 'js GFLOP/s': r.jsGflops.toFixed(2),
    'wasm GFLOP/s': r.wasmGflops.toFixed(2), 'kernel GFLOP/s': r.kernelGflops.toFixed(2),
    'wasm/js': `${r.speedup.toFixed(1)}x`,
  }));
  console.table(table);
  const result = {
    benchmark: 'kernels', date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown',
    warmup: WARMUP, runs: RUNS, statistic: 'median',
    note: 'wasm = eager backend call (copies in and out); kernel = C kernel on operands already in wasm memory, ' +
      'back to back (warm caches)',
    rows,
  };
  const dir = new URL('../../bench/results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('kernels.json', dir), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${new URL('kernels.json', dir).pathname}`);
}

await main();
