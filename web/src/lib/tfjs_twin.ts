/**
 * The Run tab's side-by-side: the same model, with the same weights, as TensorFlow.js ops on TF.js' own wasm
 * backend. The model's dataflow comes from one traced forward pass (every op sepconv records, so residual adds and
 * SE multiplies are included); attributes the trace does not carry (batch-norm statistics) come from the layer that
 * ran the op. Ops without a TF.js counterpart here are reported, not guessed. Loaded lazily: TF.js is only fetched
 * when a visitor asks for the comparison.
 */
import type * as TF from '@tensorflow/tfjs-core';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { errorMessage } from './errors.js';
import { Tensor, noGrad, tidy, topK, traceOps, type ConvGeometry, type Module, type OpEvent, type PoolGeometry } from './sepconv.js';
import type { Latency, Prediction, TfjsRun } from '../workers/protocol.js';

/** A value in the traced graph: the model input, a constant (weights), or the output of an earlier step. */
type Ref = { kind: 'input' } | { kind: 'const'; data: Float32Array; shape: number[] } | { kind: 'step'; index: number };

interface Step {
  event: Pick<OpEvent, 'op' | 'attrs' | 'scope'>;
  inputs: Ref[];
  outputShape: number[];
  /** The layer that ran the op (for attributes the trace lacks). */
  layer: Module | undefined;
}

interface Graph {
  steps: Step[];
  output: Ref;
}

class Unsupported extends Error {}

/** Records the forward pass as steps over references. */
function traceGraph(model: Module, input: Float32Array, shape: readonly number[]): Graph {
  const x = new Tensor(input.slice(), [1, ...shape]);
  const produced = new Map<Tensor, number>();
  const layers = new Map(model.namedModules());
  const steps: Step[] = [];
  const ref = (t: Tensor): Ref => {
    if (t === x) return { kind: 'input' };
    const index = produced.get(t);
    return index !== undefined ? { kind: 'step', index } : { kind: 'const', data: t.data.slice(), shape: [...t.shape] };
  };
  let output: Ref = { kind: 'input' };
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => tidy(() => {
      const y = traceOps((e) => {
        steps.push({ event: { op: e.op, attrs: e.attrs, scope: e.scope }, inputs: e.inputs.map(ref), outputShape: [...e.output.shape], layer: layers.get(e.scope) });
        produced.set(e.output, steps.length - 1);
      }, () => model.call(x));
      output = ref(y);
    }));
  } finally {
    model.train(wasTraining);
    x.dispose();
  }
  return { steps, output };
}

type Tf = typeof TF;

function padded(tf: Tf, x: TF.Tensor4D, g: { padTop: number; padBottom: number; padLeft: number; padRight: number }, value = 0): TF.Tensor4D {
  if (g.padTop + g.padBottom + g.padLeft + g.padRight === 0) return x;
  return tf.pad(x, [[0, 0], [g.padTop, g.padBottom], [g.padLeft, g.padRight], [0, 0]], value);
}

function withBias(tf: Tf, y: TF.Tensor, bias: TF.Tensor | undefined): TF.Tensor {
  return bias === undefined ? y : tf.add(y, bias);
}

/** One step in TF.js. `args` are the step's inputs as TF.js tensors (weights already uploaded). */
function runStep(tf: Tf, s: Step, args: TF.Tensor[]): TF.Tensor {
  const [x, w, b] = args;
  const op = s.event.op;
  switch (op) {
    case 'conv2d':
    case 'depthwiseConv2d': {
      const g = s.event.attrs as unknown as ConvGeometry;
      const dilated = g.dilationH > 1 || g.dilationW > 1;
      if (dilated && (g.strideH > 1 || g.strideW > 1)) throw new Unsupported(`${op} with both stride and dilation in ${s.event.scope}`);
      const xp = padded(tf, x as TF.Tensor4D, g);
      const strides: [number, number] = [g.strideH, g.strideW];
      const dilations: [number, number] = [g.dilationH, g.dilationW];
      if (op === 'conv2d' && g.groups === 1) return withBias(tf, tf.conv2d(xp, w as TF.Tensor4D, strides, 'valid', 'NHWC', dilations), b);
      if (op === 'depthwiseConv2d' || g.groups === g.inC) {
        const filter = tf.reshape(w, [g.kH, g.kW, g.inC, g.outC / g.inC]) as TF.Tensor4D;
        return withBias(tf, tf.depthwiseConv2d(xp, filter, strides, 'valid', 'NHWC', dilations), b);
      }
      throw new Unsupported(`grouped convolution (groups ${g.groups}) in ${s.event.scope}`);
    }
    case 'pointwiseConv2d':
      return withBias(tf, tf.conv2d(x as TF.Tensor4D, tf.reshape(w, [1, 1, w.shape[0]!, w.shape[1]!]) as TF.Tensor4D, 1, 'valid'), b);
    case 'linear':
    case 'matmul':
      return withBias(tf, tf.matMul(x as TF.Tensor2D, w as TF.Tensor2D), b);
    case 'batchNorm2d': {
      const bn = s.layer as { runningMean?: Tensor; runningVar?: Tensor; eps?: number } | undefined;
      if (bn?.runningMean === undefined || bn.runningVar === undefined || bn.eps === undefined)
        throw new Unsupported(`batch norm outside a BatchNorm2d layer in ${s.event.scope}`);
      // Inputs are [x, gamma, beta]: beta is TF.js' offset, gamma its scale.
      return tf.batchNorm(x, tf.tensor1d(bn.runningMean.data), tf.tensor1d(bn.runningVar.data), b, w, bn.eps);
    }
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'swish':
    case 'silu': return tf.mul(x, tf.sigmoid(x));
    case 'hardSigmoid': return tf.div(tf.relu6(tf.add(x, 3)), 6);
    case 'hardSwish': return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    case 'leakyRelu': return tf.leakyRelu(x, (s.event.attrs as { alpha?: number } | undefined)?.alpha ?? 0.01);
    case 'prelu': return tf.prelu(x, w);
    case 'maxPool2d':
    case 'avgPool2d': {
      const g = s.event.attrs as unknown as PoolGeometry & { countIncludePad?: boolean };
      const hasPad = g.padTop + g.padBottom + g.padLeft + g.padRight > 0;
      if (op === 'avgPool2d' && hasPad && g.countIncludePad !== true)
        throw new Unsupported(`average pooling with padding excluded from the count in ${s.event.scope}`);
      const xp = padded(tf, x as TF.Tensor4D, g, op === 'maxPool2d' ? -3.4e38 : 0);
      const pool = op === 'maxPool2d' ? tf.maxPool : tf.avgPool;
      return pool(xp, [g.kH, g.kW], [g.strideH, g.strideW], 'valid');
    }
    case 'globalAvgPool2d': return tf.mean(x, [1, 2], s.outputShape.length === 4);
    case 'add': return tf.add(x, w);
    case 'sub': return tf.sub(x, w);
    case 'mul': return tf.mul(x, w);
    case 'div': return tf.div(x, w);
    case 'reshape': return tf.reshape(x, s.outputShape);
    case 'dropout': return x;
    case 'softmax': return tf.softmax(x);
    case 'logSoftmax': return tf.logSoftmax(x);
  }
  throw new Unsupported(`op '${op}' (in ${s.event.scope === '' ? 'the model' : s.event.scope})`);
}

/** Checks every op up front, so an unsupported model is reported before TF.js is even loaded. */
const SUPPORTED = new Set(['conv2d', 'depthwiseConv2d', 'pointwiseConv2d', 'linear', 'matmul', 'batchNorm2d', 'relu', 'relu6', 'sigmoid',
  'tanh', 'swish', 'silu', 'hardSigmoid', 'hardSwish', 'leakyRelu', 'prelu', 'maxPool2d', 'avgPool2d', 'globalAvgPool2d', 'add', 'sub',
  'mul', 'div', 'reshape', 'dropout', 'softmax', 'logSoftmax']);

let tfLoading: Promise<Tf> | null = null;

/** TF.js core with its wasm backend active (loaded once). */
function loadTfjs(): Promise<Tf> {
  tfLoading ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const base = self.location.href;
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': new URL(wasmPlain, base).href,
      'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, base).href,
      'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreaded, base).href,
    });
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js could not start its wasm backend in this browser');
    await tf.ready();
    return tf;
  })();
  tfLoading.catch(() => { tfLoading = null; });
  return tfLoading;
}

function softmaxIfLogits(v: Float32Array): Float32Array {
  let sum = 0;
  let inRange = true;
  for (const p of v) {
    sum += p;
    if (!(p >= 0 && p <= 1)) inRange = false;
  }
  if (inRange && Math.abs(sum - 1) < 1e-3) return v;
  const max = Math.max(...v);
  const e = Array.from(v, (z) => Math.exp(z - max));
  const total = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e, (z) => z / total);
}

/**
 * Runs `model` converted to TF.js on `input` ([H, W, C] = `shape`), timing it as the sepconv run is timed, and
 * compares its probabilities with sepconv's. Never throws: problems come back in `error`.
 */
export async function runInTfjs(model: Module, input: Float32Array, shape: readonly number[], sepconvProbs: Float32Array,
    classNames: readonly string[] | undefined): Promise<TfjsRun> {
  let graph: Graph;
  try {
    graph = traceGraph(model, input, shape);
    const missing = [...new Set(graph.steps.map((s) => s.event.op).filter((op) => !SUPPORTED.has(op)))];
    if (missing.length > 0) throw new Unsupported(`ops ${missing.join(', ')}`);
  } catch (err) {
    return { error: `This model cannot be converted to TF.js here: ${errorMessage(err)}` };
  }
  let tf: Tf;
  try {
    tf = await loadTfjs();
  } catch (err) {
    return { error: `TF.js failed to load: ${errorMessage(err)}` };
  }
  const constants = new Map<Ref, TF.Tensor>();
  for (const s of graph.steps)
    for (const r of s.inputs)
      if (r.kind === 'const' && !constants.has(r)) constants.set(r, tf.tensor(r.data, r.shape));
  const forward = (x: TF.Tensor): TF.Tensor => {
    const values: TF.Tensor[] = [];
    const value = (r: Ref): TF.Tensor => (r.kind === 'input' ? x : r.kind === 'const' ? constants.get(r)! : values[r.index]);
    for (const s of graph.steps) values.push(runStep(tf, s, s.inputs.map(value)));
    return value(graph.output);
  };
  try {
    const x = tf.tensor4d(input, [1, shape[0], shape[1], shape[2]]);
    const runOnce = async (): Promise<Float32Array> => {
      const y = tf.tidy(() => forward(x));
      const data = (await y.data()) as Float32Array;
      y.dispose();
      return data;
    };
    let start = performance.now();
    const out = softmaxIfLogits(await runOnce());
    const firstMs = performance.now() - start;
    const times: number[] = [];
    const began = performance.now();
    while (times.length < 10 && (times.length < 2 || performance.now() - began < 1000)) {
      start = performance.now();
      await runOnce();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    x.dispose();
    const latency: Latency = { firstMs, medianMs: times[times.length >> 1], runs: times.length };
    const top: Prediction[] = topK(out, out.length, 0, Math.min(5, out.length))
      .map((index) => ({ index, name: classNames?.[index] ?? String(index), probability: out[index] }));
    let maxDifference = 0;
    out.forEach((p, i) => { maxDifference = Math.max(maxDifference, Math.abs(p - (sepconvProbs[i] ?? NaN)) || 0); });
    return { top, latency, maxDifference, backend: `TF.js ${tf.version_core} (${tf.getBackend()})` };
  } catch (err) {
    return { error: `TF.js run failed: ${errorMessage(err)}` };
  } finally {
    for (const t of constants.values()) t.dispose();
  }
}
