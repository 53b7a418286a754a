/**
 * Layer benchmark at MobileNet shapes (112x112 32->64, 56x56 128->128, 28x28 256->256, 14x14 512->512, 7x7
 * 1024->1024; stride 1, 'same' padding, batch 1): a standard 3x3 convolution against depthwise 3x3 + pointwise, each
 * alone and together (fused over row bands, and as two steps), as compiled sepconv plans (wasm; native when its
 * plan executor is registered) and in ONNX Runtime Node (the standard conv and the pair). Reports ms, GFLOP/s,
 * GB/s (minimal fp32 traffic: input, weights, output) and the standard / separable speed-up next to the theoretical
 * ratio K^2 * C_out / (K^2 + C_out). sepconv runs on operands already in the plan's memory (plan.execute()), as
 * ONNX Runtime reads its input tensor in place. The wasm cases and the native ones (with ONNX Runtime) are
 * interleaved in two groups (see measure). Every case is measured twice, with runs started primed (back to
 * back) and idle (see RunStart); the ratios and the target use the primed runs. Prints the wasm SIMD128 peak and the
 * memory bandwidth it measures.
 *
 * Run: npx tsc -p . && node build/bench/layers.js [--threads 1] [--runs 20] [--warmup 3]
 *      (prints tables, writes bench/results/layers.json, or layers-<N>threads.json for --threads N > 1)
 */
import { initNativeBackend, setNativeThreads } from '../src/backend/native/index.js';
import { loadNativeAddon } from '../src/backend/native/load.js';
import { initWasmBackend } from '../src/backend/wasm/index.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { Sequential } from '../src/nn/containers.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../src/nn/conv.js';
import type { Module } from '../src/nn/module.js';
import { compile } from '../src/plan/compile.js';
import { planBackends } from '../src/plan/executor.js';
import { Random } from '../src/tensor/random.js';
import { argValue, interleave, machine, nhwcToNchw, randomData, writeResults, type Measured, type Runner, type RunStart } from './common.js';
import { measureMemoryBandwidth, measureSimdPeak } from './peak.js';
import { ortNodeRunner, planRunner } from './runners.js';

const THREADS = Number(argValue('--threads', '1'));
const RUNS = Number(argValue('--runs', '20'));
const WARMUP = Number(argValue('--warmup', '3'));
const K = 3;

const SHAPES: [number, number, number][] = [[112, 32, 64], [56, 128, 128], [28, 256, 256], [14, 512, 512], [7, 1024, 1024]];

type Kind = 'standard 3x3' | 'depthwise 3x3' | 'pointwise' | 'dw + pw (fused)' | 'dw + pw (2 steps)';

interface Case {
  kind: Kind;
  runtime: string;
  runner: Runner;
  macs: number;
  bytes: number;
}

async function cases(size: number, cin: number, cout: number): Promise<Case[]> {
  const rng = new Random(size);
  const standard = new Conv2d({ inChannels: cin, outChannels: cout, kernelSize: K, padding: 'same', rng });
  const depthwise = new DepthwiseConv2d({ channels: cin, kernelSize: K, padding: 'same', rng });
  const pointwise = new PointwiseConv2d({ inChannels: cin, outChannels: cout, rng });
  const separable = new Sequential(depthwise, pointwise);
  const shape = [1, size, size, cin];
  const x = randomData(size * size * cin, 1);
  const px = size * size;
  const f = 4; // bytes per float
  const io = { in: px * cin * f, mid: px * cin * f, out: px * cout * f };
  const w = { std: (K * K * cin * cout + cout) * f, dw: (K * K * cin + cin) * f, pw: (cin * cout + cout) * f };
  const specs: [Kind, Module, number, number, boolean][] = [
    ['standard 3x3', standard, px * K * K * cin * cout, io.in + w.std + io.out, true],
    ['depthwise 3x3', depthwise, px * K * K * cin, io.in + w.dw + io.mid, true],
    ['pointwise', pointwise, px * cin * cout, io.mid + w.pw + io.out, true],
    ['dw + pw (fused)', separable, px * (K * K * cin + cin * cout), io.in + w.dw + w.pw + io.out, true],
    ['dw + pw (2 steps)', separable, px * (K * K * cin + cin * cout), io.in + w.dw + 2 * io.mid + w.pw + io.out, false],
  ];
  const backends = ['wasm', ...(planBackends().includes('native') ? ['native'] : [])];
  const out: Case[] = [];
  for (const backend of backends)
    for (const [kind, model, macs, bytes, fusePair] of specs) {
      const plan = await compile(model, shape, { backend, threads: THREADS, fusions: { depthwisePointwise: fusePair } });
      out.push({ kind, runtime: `sepconv ${backend}`, runner: planRunner(kind, plan, kind === 'pointwise' ? randomData(px * cin, 2) : x, true), macs, bytes });
    }
  const xNchw = nhwcToNchw(x, shape);
  for (const [kind, model, macs, bytes] of [specs[0], specs[3]]) {
    const runner = await ortNodeRunner(exportOnnx(model, shape), xNchw, [1, cin, size, size], THREADS);
    out.push({ kind: kind === 'dw + pw (fused)' ? 'dw + pw (2 steps)' : kind, runtime: 'onnxruntime-node', runner, macs, bytes });
  }
  return out;
}

/** Registers the native plan executor and measures the addon's FMA peak at THREADS (best of 3); undefined without it. */
async function measureNativePeak(): Promise<number | undefined> {
  try {
    await initNativeBackend();
  } catch (e) {
    console.log(`no native rows: ${(e as Error).message}`);
    return undefined;
  }
  setNativeThreads(THREADS);
  const addon = await loadNativeAddon();
  return Math.max(...Array.from({ length: 3 }, () => addon.peakGflops(200)));
}

/**
 * The cases' medians (in the order of `cs`), sepconv wasm's runs interleaved with each other and the native ones
 * (sepconv native, ONNX Runtime Node) with each other: after milliseconds of wasm (128-bit) code a core runs its
 * first AVX-512 work slowly (0.80 instead of 0.50 ms for the native 112x112 pair, 0.68 after one run of its own), a
 * penalty that no layer inside a network pays.
 */
async function measure(cs: Case[], start: RunStart): Promise<Measured[]> {
  const out: Measured[] = new Array(cs.length);
  for (const web of [true, false]) {
    const group = cs.flatMap((c, i) => ((c.runtime === 'sepconv wasm') === web ? [i] : []));
    const measured = await interleave(group.map((i) => cs[i].runner), WARMUP, RUNS, start);
    group.forEach((i, j) => (out[i] = measured[j]));
  }
  return out;
}

async function main(): Promise<void> {
  await initWasmBackend();
  const peak = measureSimdPeak();
  const bandwidth = measureMemoryBandwidth();
  const nativePeak = await measureNativePeak();
  console.log(`wasm SIMD128 peak (f32x4 mul + add, 1 thread): ${peak.toFixed(1)} GFLOP/s; memory bandwidth (copy): ${bandwidth.toFixed(1)} GB/s`);
  if (nativePeak !== undefined) console.log(`native SIMD peak (FMA, ${THREADS} thread${THREADS === 1 ? '' : 's'}): ${nativePeak.toFixed(1)} GFLOP/s`);
  const rows: Record<string, unknown>[] = [];
  const ratios: Record<string, unknown>[] = [];
  for (const [size, cin, cout] of SHAPES) {
    const layer = `${size}x${size} ${cin}->${cout}`;
    const cs = await cases(size, cin, cout);
    const measured = { primed: await measure(cs, 'primed'), idle: await measure(cs, 'idle') };
    for (const c of cs) await c.runner.dispose();
    const ms = (start: RunStart, runtime: string, kind: Kind): number | undefined =>
      measured[start][cs.findIndex((c) => c.runtime === runtime && c.kind === kind)]?.medianMs;
    for (const start of ['primed', 'idle'] as const)
      cs.forEach((c, i) => {
        const m = measured[start][i];
        const gflops = (2 * c.macs) / m.medianMs / 1e6;
        rows.push({
          layer, op: c.kind, runtime: c.runtime, start, threads: THREADS, medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs,
          gflops, gbps: c.bytes / m.medianMs / 1e6, peakFraction: gflops / (c.runtime === 'sepconv wasm' ? peak : nativePeak ?? NaN),
        });
      });
    const theoretical = (K * K * cout) / (K * K + cout);
    const ortStd = ms('primed', 'onnxruntime-node', 'standard 3x3')!;
    const sep = ms('primed', 'sepconv wasm', 'dw + pw (fused)')!;
    const native = ms('primed', 'sepconv native', 'dw + pw (fused)');
    const ratio: Record<string, unknown> = {
      layer, theoretical, 'sepconv std / sepconv sep': ms('primed', 'sepconv wasm', 'standard 3x3')! / sep,
      'ORT std / sepconv sep': ortStd / sep, 'ORT std / ORT sep': ortStd / ms('primed', 'onnxruntime-node', 'dw + pw (2 steps)')!,
    };
    if (native !== undefined) {
      ratio['ORT std / sepconv native sep'] = ortStd / native;
      ratio['same, idle start'] = ms('idle', 'onnxruntime-node', 'standard 3x3')! / ms('idle', 'sepconv native', 'dw + pw (fused)')!;
    }
    ratio['target: ORT std / sepconv sep >= 0.8 x theoretical'] = (Math.max(ortStd / sep, native === undefined ? 0 : ortStd / native)) / theoretical >= 0.8;
    ratios.push(ratio);
    console.log(layer);
    console.table(rows.filter((r) => r.layer === layer).map((r) => ({
      op: r.op, runtime: r.runtime, start: r.start, 'median ms': (r.medianMs as number).toFixed(3), 'GFLOP/s': (r.gflops as number).toFixed(1),
      'GB/s': (r.gbps as number).toFixed(1), '% of SIMD peak': `${(100 * (r.peakFraction as number)).toFixed(0)}%`,
    })));
  }
  console.table(ratios.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? +v.toFixed(2) : v]))));
  await writeResults(THREADS === 1 ? 'layers' : `layers-${THREADS}threads`, {
    benchmark: 'layers', date: new Date().toISOString(), machine: machine(), threads: THREADS, warmup: WARMUP, runs: RUNS,
    statistic: 'median of interleaved rounds, each case measured with a primed and with an idle start (bench/common.ts RunStart)', wasmSimdPeakGflops: peak, nativeSimdPeakGflops: nativePeak, memoryBandwidthGBps: bandwidth,
    notes: [
      'Batch 1, stride 1, same padding, fp32. GB/s counts input + weights + output once (plus the intermediate twice for 2 steps).',
      'Peak: independent f32x4 multiply + add chains in wasm (the instruction pair the kernels use); bandwidth: a 128 MiB copy.',
      'Ratios and the target use the primed start (runs back to back, as ONNX Runtime\'s perf test times them); "same, idle start" is the native ratio when every run starts after a pause and the other runs.',
      'peakFraction: of the wasm peak for sepconv wasm rows, of the native (widest-ISA FMA) peak at the same threads for native and ONNX Runtime rows.',
    ],
    rows, ratios,
  });
}

await main();
