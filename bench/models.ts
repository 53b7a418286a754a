/**
 * Whole-model inference benchmark: MobileNetV1, V2, V3-Small and EfficientNet-B0 at 224x224, batch 1 and 8, 1 and 2
 * threads. sepconv's compiled plan (wasm, and native plus native eager when the addon is built) against TF.js (cpu
 * and wasm backends), ONNX Runtime Node (CPU) and ONNX Runtime Web (wasm) on the same weights: the ONNX runtimes get the
 * model exported with exportOnnx, TF.js runs the plan's own steps (batch norm folded, as its converter would) with
 * tf ops. Weights are random with calibrated batch-norm statistics; every output is checked against sepconv's.
 * The runners of one model, batch, thread count and family (web: wasm runtimes and TF.js; native: sepconv native and
 * ONNX Runtime Node) are interleaved, round by round in shuffled order (each timed run primed by untimed ones right
 * before it unless --start idle, see RunStart); groups run one after the other, so that one
 * runtime's idle worker threads do not share the cores with another family's runs. Each cell is the median of the
 * timed rounds.
 *
 * Run: npx tsc -p . && node build/bench/models.js [--models a,b] [--batches 1,8] [--threads 1,2] [--runs 10]
 *      [--warmup 3] [--start primed|idle] [--tfjs-cpu-batches 1] [--runtimes a,b]   (prints tables, writes bench/results/models.json)
 * --runtimes keeps only the runners whose names start with one of the given prefixes (e.g. 'sepconv,onnxruntime-node').
 */
import { initNativeBackend, nativeInfo, setNativeThreads } from '../src/backend/native/index.js';
import { initWasmBackend } from '../src/backend/wasm/index.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { buildModel } from '../src/models/index.js';
import { compile } from '../src/plan/compile.js';
import { planBackends } from '../src/plan/executor.js';
import { fuse } from '../src/plan/fusions.js';
import { traceGraph } from '../src/plan/trace_graph.js';
import type { Module } from '../src/nn/module.js';
import { Random } from '../src/tensor/random.js';
import {
  argValue, calibrateBatchNorms, interleave, machine, nhwcToNchw, randomData, relativeError, runStartArg, writeResults, type Measured, type Runner,
} from './common.js';
import { eagerRunner, ortNodeRunner, planRunner, workerRunner } from './runners.js';
import { portable } from './tfjs_steps.js';

const list = (flag: string, fallback: string): string[] => argValue(flag, fallback).split(',').filter((s) => s !== '');
const MODELS = list('--models', 'mobilenet_v1,mobilenet_v2,mobilenet_v3_small,efficientnet_b0');
const BATCHES = list('--batches', '1,8').map(Number);
const THREADS = list('--threads', '1,2').map(Number);
const RUNS = Number(argValue('--runs', '10'));
const WARMUP = Number(argValue('--warmup', '3'));
const START = runStartArg();
/** TF.js' cpu backend takes seconds per image: by default only at batch 1. */
const TFJS_CPU_BATCHES = list('--tfjs-cpu-batches', '1').map(Number);
const RUNTIMES = list('--runtimes', '');
const wanted = (name: string): boolean => RUNTIMES.length === 0 || RUNTIMES.some((p) => name.startsWith(p));
const SIZE = 224;

interface Row extends Measured {
  model: string;
  batch: number;
  /** Largest output difference from sepconv wasm (1 thread), relative to the output's scale. */
  relativeError: number | null;
}

/** The same model, weights and input in every runtime: what each runner of one model and batch is built from. */
type Family = 'web' | 'native';

interface Subject {
  model: Module;
  shape: number[];
  x: Float32Array;
  xNchw: Float32Array;
  dims: number[];
  onnx: Uint8Array;
  steps: ReturnType<typeof portable>;
}

function subject(name: string, batch: number): Subject {
  const model = buildModel(name, { rng: new Random(1) });
  calibrateBatchNorms(model, [2, SIZE, SIZE, 3], 2);
  const shape = [batch, SIZE, SIZE, 3];
  const x = randomData(shape.reduce((a, b) => a * b, 1), 3);
  const { graph } = traceGraph(model, shape);
  fuse(graph, () => true);
  return { model, shape, x, xNchw: nhwcToNchw(x, shape), dims: [batch, 3, SIZE, SIZE], onnx: exportOnnx(model, shape), steps: portable(graph) };
}

/**
 * The runners of one family at one thread count: 'web' (sepconv wasm, ONNX Runtime Web, TF.js) or 'native'
 * (sepconv's native plan and eager, ONNX Runtime Node). sepconv wasm comes first when wanted or when `reference`
 * asks for it (it gives the output the others are checked against). TF.js runs its kernels on one thread in Node
 * (its wasm backend has no threads here), so it joins the one-thread group only.
 */
async function runnersAt(s: Subject, batch: number, threads: number, family: Family, reference: boolean): Promise<Runner[]> {
  const runners: Runner[] = [];
  if (reference || (family === 'web' && wanted('sepconv wasm')))
    runners.push(planRunner('sepconv wasm', await compile(s.model, s.shape, { backend: 'wasm', threads }), s.x));
  const add = async (name: string, make: () => Promise<Runner> | Runner): Promise<void> => {
    if (wanted(name)) runners.push(await make());
  };
  if (family === 'native') {
    if (planBackends().includes('native')) {
      await add('sepconv native plan', async () => planRunner('sepconv native plan', await compile(s.model, s.shape, { backend: 'native', threads }), s.x));
      await add('sepconv native eager', () => eagerRunner('sepconv native eager', s.model, s.x, s.shape, 'native', threads,
        { get: () => nativeInfo().threads, set: setNativeThreads }));
    }
    await add('onnxruntime-node', () => ortNodeRunner(s.onnx, s.xNchw, s.dims, threads));
    return runners;
  }
  await add('onnxruntime-web', () => workerRunner('onnxruntime-web', { kind: 'ort-web', threads, model: s.onnx, input: s.xNchw, dims: s.dims }));
  if (threads === 1) {
    await add('tfjs wasm', () => workerRunner('tfjs wasm', { kind: 'tfjs-wasm', threads: 1, graph: s.steps, input: s.x }));
    if (TFJS_CPU_BATCHES.includes(batch)) await add('tfjs cpu', () => workerRunner('tfjs cpu', { kind: 'tfjs-cpu', threads: 1, graph: s.steps, input: s.x }));
  }
  return runners;
}

function printTable(rows: Row[]): void {
  console.table(rows.map((r) => {
    const base = rows.find((b) => b.model === r.model && b.batch === r.batch && b.threads === r.threads && b.name === 'sepconv wasm')
      ?? rows.find((b) => b.model === r.model && b.batch === r.batch && b.name === 'sepconv wasm' && b.threads === 1);
    return {
      model: r.model, batch: r.batch, threads: r.threads, runtime: r.name, 'median ms': r.medianMs.toFixed(2),
      'min ms': r.minMs.toFixed(2), 'max ms': r.maxMs.toFixed(2), 'x sepconv wasm': base === undefined ? '' : (r.medianMs / base.medianMs).toFixed(2),
      'rel. error': r.relativeError === null ? '' : r.relativeError.toExponential(1),
    };
  }));
}

/**
 * The issues' targets per model, batch and thread count: ORT Web / sepconv wasm and TF.js wasm / sepconv wasm, and
 * sepconv native plan / ORT Node (null where --runtimes left a runner out).
 */
function targets(rows: Row[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const groups = new Map(rows.map((r) => [`${r.model} ${r.batch} ${r.threads}`, r]));
  for (const r of groups.values()) {
    const same = (name: string, threads = r.threads) => rows.find((q) => q.model === r.model && q.batch === r.batch && q.threads === threads && q.name === name);
    const ratio = (a: Row | undefined, b: Row | undefined) => (a === undefined || b === undefined ? null : +(a.medianMs / b.medianMs).toFixed(2));
    const wasm = same('sepconv wasm');
    out.push({
      model: r.model, batch: r.batch, threads: r.threads, 'sepconv wasm ms': wasm === undefined ? null : +wasm.medianMs.toFixed(2),
      'wasm / ORT web (target <= 0.67)': ratio(wasm, same('onnxruntime-web')),
      'TF.js wasm (1 thread) / wasm (target >= 3)': ratio(same('tfjs wasm', 1), wasm),
      'native / ORT node (target <= 1)': ratio(same('sepconv native plan'), same('onnxruntime-node')),
    });
  }
  return out;
}

async function main(): Promise<void> {
  await initWasmBackend();
  try {
    await initNativeBackend();
  } catch (e) {
    console.log(`no native rows: ${(e as Error).message}`);
  }
  const rows: Row[] = [];
  for (const name of MODELS)
    for (const batch of BATCHES) {
      const s = subject(name, batch);
      let reference: Float32Array | null = null;
      // One thread count and one family at a time: the idle worker threads of ONNX Runtime Web (emscripten pthreads)
      // and the garbage TF.js leaves for V8's background collector would otherwise take the second core from the
      // native runners; each target compares runners of the same group.
      for (const threads of THREADS)
        for (const family of ['web', 'native'] as const) {
          console.log(`${name}, batch ${batch}, ${threads} thread(s), ${family}: ${WARMUP} warm-up + ${RUNS} timed rounds ...`);
          const runners = await runnersAt(s, batch, threads, family, reference === null);
          try {
            const measured = await interleave(runners, WARMUP, RUNS, START);
            reference ??= (await runners[0].output())!.slice();
            for (const [i, m] of measured.entries()) {
              if (m.name === 'sepconv wasm' && (family !== 'web' || !wanted('sepconv wasm'))) continue;
              const out = await runners[i].output();
              rows.push({ ...m, model: name, batch, relativeError: out === null ? null : relativeError(out, reference) });
            }
          } finally {
            for (const r of runners) await r.dispose();
          }
        }
      printTable(rows.filter((r) => r.model === name && r.batch === batch));
    }
  const summary = targets(rows);
  console.table(summary);
  await writeResults('models', {
    benchmark: 'models', date: new Date().toISOString(), machine: machine(), input: `${SIZE}x${SIZE}x3`, warmup: WARMUP, runs: RUNS, start: START,
    statistic: 'median of interleaved rounds',
    notes: [
      'Random weights, batch-norm statistics calibrated on one random batch; the same weights in every runtime.',
      'ONNX Runtime gets exportOnnx(model) (graph optimisations on); TF.js runs the plan steps (BN folded) with fused tf ops.',
      'TF.js in Node runs on one thread (no worker threads for its wasm backend); its rows are at threads = 1.',
      'rel. error: largest |output - sepconv wasm output| / largest |sepconv wasm output|.',
    ],
    rows, targets: summary,
  });
}

await main();
