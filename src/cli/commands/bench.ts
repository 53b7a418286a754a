/**
 * `sepconv bench <builder or model file>`: times a compiled forward pass (warm-up runs, then timed runs; median,
 * min and max), as ONNX Runtime's perf test and TFLite's benchmark_model do.
 */
import { getBackend } from '../../backend/registry.js';
import { initBackend } from '../../backend/select.js';
import { ArgumentError } from '../../errors.js';
import { buildModel, defaultResolution, modelNames } from '../../models/index.js';
import { modelInputChannels } from '../../models/input_channels.js';
import type { Module } from '../../nn/module.js';
import { benchmarkPlan } from '../../plan/benchmark.js';
import { compile } from '../../plan/compile.js';
import { planBackends } from '../../plan/executor.js';
import { Random } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { parseChoice, parsePositiveInt } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { renderKeyValues } from '../table.js';
import { loadModelFile, type ModelFile } from './onnx_file.js';

const BACKENDS = ['native', 'wasm', 'js'] as const;
const WARMUP = 3;

/** "224x224" -> [224, 224]. */
function parseSize(text: string): [number, number] {
  const m = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text);
  const hw = m === null ? [] : [Number(m[1]), Number(m[2])];
  if (hw.length !== 2 || hw.some((d) => !Number.isSafeInteger(d) || d < 1))
    throw new UsageError(`--size '${text}' is not a size; the accepted form is HxW, e.g. 224x224`);
  return hw as [number, number];
}


interface Target {
  name: string;
  module: Module;
  /** [H, W, C] the model takes by default. */
  input: [number, number, number];
}

/** A model file's declared input as NHWC [H, W, C] (ONNX files are NCHW); unknown dims come from `size`. */
function fileInput(file: ModelFile, path: string, size: [number, number] | undefined): [number, number, number] {
  if (file.inputs.length !== 1)
    throw new UsageError(`${path} has ${file.inputs.length} inputs; bench feeds models with one image input`);
  const dims = file.inputs[0].dims;
  if (dims !== null && dims.length !== 4)
    throw new UsageError(`${path}'s input has ${dims.length} dims; bench feeds 4-D image batches`);
  const at = (i: number): number | undefined => (dims !== null && typeof dims[i] === 'number' ? (dims[i] as number) : undefined);
  const [hi, wi, ci] = file.layout === 'NCHW' ? [2, 3, 1] : [1, 2, 3];
  const h = size?.[0] ?? at(hi);
  const w = size?.[1] ?? at(wi);
  const c = at(ci);
  if (h === undefined || w === undefined || c === undefined)
    throw new UsageError(`${path} does not fix its input ${h === undefined || w === undefined ? 'size; pass --size HxW' : 'channels'}`);
  return [h, w, c];
}

function target(what: string, size: [number, number] | undefined): Target {
  if (modelNames.includes(what)) {
    const module = buildModel(what, { rng: new Random(0) });
    const side = defaultResolution[what];
    return { name: what, module, input: [size?.[0] ?? side, size?.[1] ?? side, modelInputChannels(module)] };
  }
  if (!/\.(onnx|json)$/i.test(what))
    throw new UsageError(`'${what}' is neither a model builder (${modelNames.join(', ')}) nor a model file (.onnx, TF.js model.json)`);
  const file = loadModelFile(what);
  return { name: what, module: file.module, input: fileInput(file, what, size) };
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'time a compiled forward pass (median, min, max)',
  description: 'Compiles the model into an inference plan (batch norms folded, activations, residual adds, squeeze-' +
    'excitation gates and depthwise -> pointwise pairs fused, memory planned once) and times it: ' +
    `${WARMUP} warm-up runs, then --runs timed runs on a random input, reported as median, min and max in ` +
    'milliseconds. Built-in models get random weights. The plan summary shows what was fused and what runs eagerly.',
  positionals: [{ name: 'model', description: `a builder (${modelNames.join(', ')}) or a model file (.onnx, TF.js model.json)`, required: true }],
  options: {
    backend: { type: 'string', valueName: 'NAME', description: 'native, wasm or js', defaultText: 'the fastest available' },
    threads: { type: 'string', valueName: 'N', description: 'threads running the kernels', defaultText: '1' },
    batch: { type: 'string', valueName: 'N', description: 'images per forward pass', defaultText: '1' },
    size: { type: 'string', valueName: 'HxW', description: "input height x width (default: the model's own)" },
    runs: { type: 'string', valueName: 'N', description: 'timed runs', defaultText: '20' },
    json: { type: 'boolean', description: 'print {"median_ms", "min_ms", "max_ms", "backend", "threads", "batch"}' },
  },
  examples: ['bench mobilenet_v2', 'bench mobilenet_v3_small --backend wasm --threads 2 --batch 8 --json', 'bench model.onnx --size 160x160 --runs 50'],
  async run(ctx) {
    const text = (name: string): string | undefined => ctx.string(name);
    const backendName = text('backend');
    if (backendName !== undefined) parseChoice(backendName, 'backend', BACKENDS);
    const threads = parsePositiveInt(text('threads') ?? '1', 'threads');
    const batch = parsePositiveInt(text('batch') ?? '1', 'batch');
    const runs = parsePositiveInt(text('runs') ?? '20', 'runs');
    const sizeText = text('size');
    const t = target(ctx.positionals[0]!, sizeText === undefined ? undefined : parseSize(sizeText));
    // The backend also runs any op the plan leaves to eager execution; an active backend without a plan executor
    // plans on wasm (initBackend('native') registers the native one).
    if (backendName !== undefined) await initBackend(backendName);
    const backend = backendName ?? (planBackends().includes(getBackend()) ? getBackend() : 'wasm');
    const shape = [batch, ...t.input];
    let plan;
    try {
      plan = await compile(t.module, shape, { backend, threads });
    } catch (err) {
      if (err instanceof ArgumentError) throw new UsageError(err.message);
      throw err;
    }
    try {
      const rng = new Random(1);
      const x = new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform() * 2 - 1), shape);
      const timing = benchmarkPlan(plan, x, { warmup: WARMUP, runs });
      if (ctx.flag('json')) {
        ctx.io.stdout.write(JSON.stringify({ median_ms: timing.medianMs, min_ms: timing.minMs, max_ms: timing.maxMs, backend, threads, batch }) + '\n');
        return;
      }
      const ms = (v: number): string => `${v.toFixed(3)} ms`;
      ctx.io.stdout.write(renderKeyValues([
        ['model', `${t.name}, input ${shape.join('x')} (NHWC)`],
        ['backend', `${backend}, ${threads} thread${threads === 1 ? '' : 's'}`],
        ['runs', `${runs} timed after ${WARMUP} warm-up`],
        ['median', ms(timing.medianMs)],
        ['min / max', `${ms(timing.minMs)} / ${ms(timing.maxMs)}`],
        ['throughput', `${(1000 * batch / timing.medianMs).toFixed(1)} images/s`],
      ], ctx.color) + '\n' + plan.summary() + '\n');
    } finally {
      plan.dispose();
    }
  },
};
