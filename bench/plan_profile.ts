/**
 * Where a native plan's time goes: each step's median (InferencePlan.profile) with its GFLOP/s against the
 * machine's measured peak, ONNX Runtime Node's own per-node profile of the same model (its enableProfiling trace),
 * and the two whole models interleaved round by round. Prints tables only (writes no results file).
 *
 * Run: npx tsc -p . && node build/bench/plan_profile.js [--models a,b] [--threads 1,2] [--runs 20] [--top 12] [--start primed|idle]
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { initNativeBackend, nativePeakGflops, setNativeThreads } from '../src/backend/native/index.js';
import { initWasmBackend } from '../src/backend/wasm/index.js';
import { exportOnnx } from '../src/io/onnx/export.js';
import { buildModel } from '../src/models/index.js';
import { compile, type StepProfile } from '../src/plan/compile.js';
import { Random } from '../src/tensor/random.js';
import { argValue, calibrateBatchNorms, interleave, nhwcToNchw, randomData, runStartArg } from './common.js';
import { ortNodeRunner, planRunner } from './runners.js';

const list = (flag: string, fallback: string): string[] => argValue(flag, fallback).split(',').filter((s) => s !== '');
const MODELS = list('--models', 'mobilenet_v1,mobilenet_v2,mobilenet_v3_small');
const THREADS = list('--threads', '1,2').map(Number);
const RUNS = Number(argValue('--runs', '20'));
const TOP = Number(argValue('--top', '12'));
const SHAPE = [1, 224, 224, 3];
const DIMS = [1, 3, 224, 224];

const PROFILE_PREFIX = join(tmpdir(), `sepconv_ort_profile_${process.pid}`);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** ORT Node's per-node medians over `runs` profiled runs, by op type and in total. */
async function ortProfile(onnx: Uint8Array, x: Float32Array, threads: number): Promise<{ byOp: Map<string, number>; nodes: { node: string; op: string; ms: number }[]; totalMs: number }> {
  const session = await InferenceSession.create(onnx, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    enableProfiling: true, profileFilePrefix: PROFILE_PREFIX, extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const feeds = { [session.inputNames[0]]: new OrtTensor('float32', x, DIMS) };
  for (let i = 0; i < 3 + RUNS; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  // ORT names the trace file itself: <prefix>_<date>.json.
  const name = (await readdir(tmpdir())).find((f) => f.startsWith(basename(PROFILE_PREFIX)) && f.endsWith('.json'));
  if (name === undefined) throw new Error(`no ORT profile written to ${PROFILE_PREFIX}*.json`);
  const file = join(tmpdir(), name);
  const events = JSON.parse(await readFile(file, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  await rm(file, { force: true });
  // Per node: its kernel times of the last RUNS runs; summed by op type.
  const perNode = new Map<string, { op: string; us: number[] }>();
  for (const e of events)
    if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) {
      const node = perNode.get(e.name) ?? { op: e.args?.op_name ?? '?', us: [] };
      node.us.push(e.dur);
      perNode.set(e.name, node);
    }
  const byOp = new Map<string, number>();
  const nodes = [...perNode].map(([name, { op, us }]) => ({ node: name.replace(/_kernel_time$/, ''), op, ms: median(us.slice(-RUNS)) / 1000 }));
  for (const { op, ms } of nodes) byOp.set(op, (byOp.get(op) ?? 0) + ms);
  return { byOp, nodes, totalMs: nodes.reduce((a, n) => a + n.ms, 0) };
}

function stepRows(steps: StepProfile[], peak: number): Record<string, unknown>[] {
  return steps.map((s) => ({
    step: s.step, kind: s.kind, scope: s.scope, out: s.outputShape.join('x'), ms: +s.medianMs.toFixed(3),
    'GFLOP/s': s.multiplyAdds === 0 ? '' : +((2 * s.multiplyAdds) / s.medianMs / 1e6).toFixed(1),
    '% peak': s.multiplyAdds === 0 ? '' : +((200 * s.multiplyAdds) / s.medianMs / 1e6 / peak).toFixed(0),
  }));
}

async function main(): Promise<void> {
  await initWasmBackend();
  await initNativeBackend();
  for (const name of MODELS) {
    const model = buildModel(name, { rng: new Random(1) });
    calibrateBatchNorms(model, [2, 224, 224, 3], 2);
    const x = randomData(SHAPE.reduce((a, b) => a * b, 1), 3);
    const xNchw = nhwcToNchw(x, SHAPE);
    const onnx = exportOnnx(model, SHAPE);
    for (const threads of THREADS) {
      setNativeThreads(threads);
      const peak = nativePeakGflops(200);
      const plan = await compile(model, SHAPE, { backend: 'native', threads });
      plan.inputData.set(x);
      const steps = plan.profile(RUNS);
      const total = steps.reduce((a, s) => a + s.medianMs, 0);
      console.log(`\n${name}, ${threads} thread(s): peak ${peak.toFixed(1)} GFLOP/s, steps sum ${total.toFixed(2)} ms`);
      const byKind = new Map<string, number>();
      for (const s of steps) byKind.set(s.kind, (byKind.get(s.kind) ?? 0) + s.medianMs);
      console.table([...byKind].map(([kind, ms]) => ({ kind, ms: +ms.toFixed(2), share: `${((100 * ms) / total).toFixed(0)}%` })));
      console.table(stepRows([...steps].sort((a, b) => b.medianMs - a.medianMs).slice(0, TOP), peak));
      if (process.argv.includes('--all')) console.table(stepRows(steps, peak));
      const ort = await ortProfile(onnx, xNchw, threads);
      console.log(`ORT Node per-node sum ${ort.totalMs.toFixed(2)} ms`);
      console.table([...ort.byOp].sort((a, b) => b[1] - a[1]).map(([op, ms]) => ({ op, ms: +ms.toFixed(2) })));
      console.table(ort.nodes.sort((a, b) => b.ms - a.ms).slice(0, TOP).map((n) => ({ ...n, ms: +n.ms.toFixed(3) })));
      const runners = [planRunner('sepconv native plan', plan, x), await ortNodeRunner(onnx, xNchw, DIMS, threads)];
      const [p, o] = await interleave(runners, 3, RUNS, runStartArg());
      console.log(`interleaved ${RUNS} rounds: plan ${p.medianMs.toFixed(2)} ms, ORT ${o.medianMs.toFixed(2)} ms, ratio ${(p.medianMs / o.medianMs).toFixed(2)}`);
      for (const r of runners) await r.dispose();
    }
  }
}

await main();
