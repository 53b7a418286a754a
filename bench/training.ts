/**
 * Training-step benchmark: one step (forward, backward, SGD update) of MobileNetV2 at width 0.35 on 32x32x3
 * inputs, batch 64, 10 classes. sepconv (eager, with autograd, on the wasm backend; native too when it loads)
 * against TF.js' cpu backend running the same architecture built from tf.layers (Keras' MobileNetV2 definition,
 * which sepconv's builder follows). Steps alternate between the two; medians of the timed steps.
 *
 * Run: npx tsc -p . && node build/bench/training.js [--runs 10] [--tfjs-runs 3] [--warmup 2]
 *      (prints a table, writes bench/results/training.json)
 */
import * as tf from '@tensorflow/tfjs';
import { listBackends, setBackend } from '../src/backend/registry.js';
import { initBackend } from '../src/backend/select.js';
import { mobilenetV2 } from '../src/models/mobilenet_v2.js';
import { makeDivisible } from '../src/nn/squeeze_excite.js';
import { median, timeOnce } from '../src/plan/benchmark.js';
import { crossEntropy } from '../src/ops/softmax.js';
import { tidy } from '../src/tensor/memory.js';
import { Random } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { SGD } from '../src/train/optimizer.js';
import { argValue, machine, randomData, writeResults } from './common.js';

const ALPHA = 0.35;
const SIZE = 32;
const BATCH = 64;
const CLASSES = 10;
const RUNS = Number(argValue('--runs', '10'));
/** TF.js' cpu backend takes minutes per step at this size: fewer timed steps by default. */
const TFJS_RUNS = Number(argValue('--tfjs-runs', '3'));
const WARMUP = Number(argValue('--warmup', '2'));

/** Keras' MobileNetV2 (keras.applications) with tf.layers: conv-BN-ReLU6 stem, inverted residual blocks, 1280 head. */
function tfjsMobileNetV2(): tf.LayersModel {
  const bn = (x: tf.SymbolicTensor): tf.SymbolicTensor => tf.layers.batchNormalization({ epsilon: 1e-3, momentum: 0.999 }).apply(x) as tf.SymbolicTensor;
  const relu6 = (x: tf.SymbolicTensor): tf.SymbolicTensor => tf.layers.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number): tf.SymbolicTensor =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  let x = relu6(bn(conv(input, makeDivisible(32 * ALPHA, 8), 3, 2)));
  let channels = makeDivisible(32 * ALPHA, 8);
  const settings: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  for (const [t, c, n, s] of settings)
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const out = makeDivisible(Math.floor(c * ALPHA), 8);
      let y = x;
      if (t !== 1) y = relu6(bn(conv(y, t * channels, 1, 1)));
      y = relu6(bn(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: 'same', useBias: false }).apply(y) as tf.SymbolicTensor));
      y = bn(conv(y, out, 1, 1));
      x = stride === 1 && channels === out ? (tf.layers.add().apply([x, y]) as tf.SymbolicTensor) : y;
      channels = out;
    }
  x = relu6(bn(conv(x, 1280, 1, 1)));
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: CLASSES }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

interface Trainer {
  name: string;
  params: number;
  step(): Promise<number>;
}

function sepconvTrainer(backend: string, x: Float32Array, labels: Int32Array): Trainer {
  const model = mobilenetV2({ alpha: ALPHA, numClasses: CLASSES, rng: new Random(1) }).train();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const input = new Tensor(x, [BATCH, SIZE, SIZE, 3]);
  return {
    name: `sepconv ${backend}`, params: model.numParameters(),
    step: async () => {
      setBackend(backend);
      return timeOnce(() => {
        tidy(() => {
          crossEntropy(model.call(input), labels).backward();
        });
        opt.step();
        opt.zeroGrad();
      });
    },
  };
}

async function tfjsTrainer(x: Float32Array, labels: Int32Array): Promise<Trainer> {
  await tf.setBackend('cpu');
  const model = tfjsMobileNetV2();
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: tf.losses.softmaxCrossEntropy });
  const xs = tf.tensor4d(x, [BATCH, SIZE, SIZE, 3]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES);
  return {
    name: 'tfjs cpu', params: model.countParams(),
    step: async () => {
      const t0 = performance.now();
      await model.trainOnBatch(xs, ys);
      return performance.now() - t0;
    },
  };
}

async function main(): Promise<void> {
  const x = randomData(BATCH * SIZE * SIZE * 3, 1);
  const rng = new Random(2);
  const labels = Int32Array.from({ length: BATCH }, () => rng.int(CLASSES));
  await initBackend('wasm');
  const trainers = [sepconvTrainer('wasm', x, labels)];
  try {
    await initBackend('native');
    if (listBackends().includes('native')) trainers.push(sepconvTrainer('native', x, labels));
  } catch {
    // No native addon on this machine: wasm only.
  }
  trainers.push(await tfjsTrainer(x, labels));
  const times = trainers.map((): number[] => []);
  for (let round = 0; round < WARMUP + RUNS; round++)
    for (const [i, t] of trainers.entries()) {
      if (t.name === 'tfjs cpu' && round >= WARMUP + TFJS_RUNS) continue;
      const ms = await t.step();
      if (round >= WARMUP) times[i].push(ms);
      console.log(`${t.name} step ${round + 1}: ${ms.toFixed(0)} ms`);
    }
  const rows = trainers.map((t, i) => {
    const ms = median(times[i]);
    return { runtime: t.name, params: t.params, steps: times[i].length, medianMs: ms, imagesPerSecond: (1000 * BATCH) / ms };
  });
  const sepconv = rows[0];
  const tfjsRow = rows[rows.length - 1];
  console.table(rows.map((r) => ({
    runtime: r.runtime, params: r.params, 'timed steps': r.steps, 'median ms / step': r.medianMs.toFixed(1),
    'images/s': r.imagesPerSecond.toFixed(1), 'x TF.js cpu': (r.imagesPerSecond / tfjsRow.imagesPerSecond).toFixed(1),
  })));
  console.log(`target >= 300 images/s on 2 cores: sepconv wasm ${sepconv.imagesPerSecond.toFixed(0)} images/s (1 thread)`);
  await writeResults('training', {
    benchmark: 'training', date: new Date().toISOString(), machine: machine(),
    setup: { model: 'MobileNetV2', alpha: ALPHA, input: `${SIZE}x${SIZE}x3`, batch: BATCH, classes: CLASSES, optimizer: 'SGD momentum 0.9, lr 0.01' },
    warmup: WARMUP, statistic: 'median of alternating steps',
    notes: ['TF.js: the same architecture from tf.layers (Keras MobileNetV2), trained with model.trainOnBatch on its cpu backend.',
      'sepconv on the wasm backend runs one thread (eager kernels).'],
    rows,
  });
}

await main();
