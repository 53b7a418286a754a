/**
 * The model worker: loads models (zoo, ONNX, checkpoints, TF.js), profiles them for the Model explorer and runs them
 * on an image for the Run tab, off the page's main thread so the page stays responsive while a large model builds or
 * runs.
 * Requests are handled one at a time, in order.
 */
import { useBackend } from '../lib/backend.js';
import { errorMessage } from '../lib/errors.js';
import { loadModel, type LoadedModel, type ModelSource } from '../lib/model_source.js';
import { imageToInput } from '../lib/preprocess.js';
import { profileModel } from '../lib/profile.js';
import { Tensor, noGrad, ops, tidy, topK, type Module } from '../lib/sepconv.js';
import type { ExploreRequest, Latency, ModelRequest, ModelResponse, Prediction, RunRequest, RunResult, ExploreResult } from './protocol.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<{ id: number; request: ModelRequest }>) => void) | null;
  postMessage(message: ModelResponse): void;
}
const scope = self as unknown as WorkerScope;

let cached: { key: string; loaded: LoadedModel } | null = null;

function modelFor(source: ModelSource, key: string): LoadedModel {
  if (cached?.key === key) return cached.loaded;
  cached = null; // let the previous model be collected before building the next
  const loaded = loadModel(source);
  cached = { key, loaded };
  return loaded;
}

async function explore(req: ExploreRequest, progress: (s: string) => void): Promise<ExploreResult> {
  const { backend } = await useBackend(req.backend);
  progress('Building the model…');
  const { model, info } = modelFor(req.source, req.key);
  progress(`Analysing and timing on ${backend}…`);
  const [h, w, c] = info.inputShape;
  // A model that checks its input size is timed at that size; any other at the chosen side, to keep large ones quick.
  const side = info.fixedSize === true ? Math.max(h, w) : Math.min(req.timeSide, Math.max(h, w));
  const timeShape: [number, number, number] = [Math.max(1, Math.round((side * h) / Math.max(h, w))), Math.max(1, Math.round((side * w) / Math.max(h, w))), c];
  return { info, profile: profileModel(model, info.inputShape, timeShape), backend };
}

/** Output values as probabilities: kept when they already are (a model ending in softmax), else softmax of them. */
function probabilities(output: Tensor): Float32Array {
  const v = output.data;
  let sum = 0;
  let inRange = true;
  for (const p of v) {
    sum += p;
    if (!(p >= 0 && p <= 1)) inRange = false;
  }
  if (inRange && Math.abs(sum - 1) < 1e-3) return Float32Array.from(v);
  return Float32Array.from(ops.softmax(ops.reshape(output, [1, v.length])).data);
}

/** Runs the model once for the result, then again until 10 runs or about a second, for the latency. */
function timeModel(model: Module, x: Tensor): { output: Float32Array; latency: Latency } {
  const runOnce = (): Float32Array => {
    let probs: Float32Array = new Float32Array(0);
    noGrad(() => tidy(() => {
      probs = probabilities(model.call(x));
    }));
    return probs;
  };
  let start = performance.now();
  const output = runOnce();
  const firstMs = performance.now() - start;
  const times: number[] = [];
  const began = performance.now();
  while (times.length < 10 && (times.length < 2 || performance.now() - began < 1000)) {
    start = performance.now();
    runOnce();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { output, latency: { firstMs, medianMs: times[times.length >> 1], runs: times.length } };
}

function topPredictions(probs: ArrayLike<number>, names: readonly string[] | undefined, k = 5): Prediction[] {
  const data = Float32Array.from(probs);
  return topK(data, data.length, 0, Math.min(k, data.length))
    .map((index) => ({ index, name: names?.[index] ?? String(index), probability: data[index] }));
}

async function run(req: RunRequest, progress: (s: string) => void): Promise<RunResult> {
  const { backend, note } = await useBackend(req.backend);
  progress('Loading the model…');
  const { model, info } = modelFor(req.source, req.key);
  const input = imageToInput(req.image, info.inputShape, info.normalize ?? req.normalize);
  progress(`Running on ${backend}…`);
  const x = new Tensor(input, [1, ...info.inputShape]);
  try {
    const { output, latency } = timeModel(model, x);
    const result: RunResult = {
      info, input: info.inputShape, top: topPredictions(output, info.classNames), probabilities: Array.from(output), latency, backend,
      backendNote: note,
    };
    if (req.tfjs) {
      progress('Running the same model in TF.js (wasm)…');
      const { runInTfjs } = await import('../lib/tfjs_twin.js');
      result.tfjs = await runInTfjs(model, input, info.inputShape, output, info.classNames);
    }
    return result;
  } finally {
    x.dispose();
  }
}

let queue: Promise<void> = Promise.resolve();

scope.onmessage = (e) => {
  const { id, request } = e.data;
  const progress = (text: string): void => scope.postMessage({ id, progress: text });
  queue = queue.then(async () => {
    try {
      const result = request.type === 'explore' ? await explore(request, progress) : await run(request, progress);
      scope.postMessage({ id, ok: true, result });
    } catch (err) {
      scope.postMessage({ id, ok: false, error: errorMessage(err) });
    }
  });
};
