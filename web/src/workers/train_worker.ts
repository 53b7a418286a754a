/**
 * A training worker: trains one small digits CNN (the standard small_cnn or its separable twin) with sepconv's `fit`
 * on the built-in digits, posting every step and epoch; a 'stop' message aborts after the current step. At the end
 * it evaluates on the test digits and posts a checkpoint that the Run tab and `sepconv predict` can load.
 */
import { useBackend } from '../lib/backend.js';
import { loadDigits } from '../lib/digits.js';
import { errorMessage } from '../lib/errors.js';
import {
  Adam, DataLoader, analyse, encodeCheckpoint, evaluate, fit, modelFromConfig, type ImageDataset, type RunConfig,
} from '../lib/sepconv.js';
import type { TrainCommand, TrainEvent, TrainSettings } from './train_protocol.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<TrainCommand>) => void) | null;
  postMessage(message: TrainEvent, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;
const controller = new AbortController();

/** Mean and standard deviation of the training pixels (0..1), the normalisation `sepconv train` measures too. */
function stats(ds: ImageDataset): { mean: number[]; std: number[] } {
  let sum = 0;
  let sq = 0;
  for (const p of ds.pixels) {
    const v = p / 255;
    sum += v;
    sq += v * v;
  }
  const mean = sum / ds.pixels.length;
  return { mean: [mean], std: [Math.sqrt(Math.max(sq / ds.pixels.length - mean * mean, 1e-12))] };
}

async function train(s: TrainSettings): Promise<void> {
  const { backend } = await useBackend('wasm');
  const { train: trainSet, test: testSet } = await loadDigits(s.digitsUrl);
  const normalize = stats(trainSet);
  const config: RunConfig = {
    model: 'small_cnn', separable: s.twin === 'separable', width: s.width, data: 'digits (web page subset)', epochs: s.epochs,
    batch: s.batch, lr: s.lr, optimizer: 'adam', schedule: 'constant', warmupEpochs: 0, weightDecay: 0, momentum: 0,
    labelSmoothing: 0, seed: s.seed, augment: { cropPadding: 0, horizontalFlip: false }, normalize,
    dataInfo: { imageShape: [28, 28, 1], numClasses: 10, classNames: [...(trainSet.classNames ?? [])] },
  };
  const model = modelFromConfig(config);
  const cost = analyse(model, [28, 28, 1]);
  const trainLoader = new DataLoader(trainSet, { batchSize: s.batch, shuffle: true, seed: s.seed, normalize });
  const testLoader = new DataLoader(testSet, { batchSize: 250, shuffle: false, normalize });
  scope.postMessage({
    type: 'ready', params: cost.totals.params, macs: cost.totals.macs, backend, trainImages: trainSet.length,
    testImages: testSet.length, stepsPerEpoch: trainLoader.length,
  });
  const history: unknown[] = [];
  let globalStep = 0;
  // fit reports the epoch's running accuracy; the batch's own accuracy is the change in correct answers.
  let correctSoFar = 0;
  let seenSoFar = 0;
  const result = await fit({
    model, optimizer: new Adam(model.parameters(), { lr: s.lr }), train: trainLoader, test: testLoader, epochs: s.epochs,
    numClasses: 10, config: config as unknown as Record<string, unknown>, signal: controller.signal,
    onStep: (i) => {
      globalStep = i.globalStep;
      if (i.step === 1) correctSoFar = seenSoFar = 0;
      const seen = Math.min(i.step * s.batch, trainSet.length);
      const correct = i.accuracy * seen;
      const batchAccuracy = (correct - correctSoFar) / Math.max(1, seen - seenSoFar);
      correctSoFar = correct;
      seenSoFar = seen;
      scope.postMessage({
        type: 'step', epoch: i.epoch, step: i.step, globalStep: i.globalStep, loss: i.loss, accuracy: i.accuracy, batchAccuracy,
        imagesPerSecond: i.imagesPerSecond,
      });
    },
    onEpoch: (e) => {
      history.push({ epoch: e.epoch, train: e.train, test: e.test && { loss: e.test.loss, top1: e.test.top1 }, seconds: e.seconds });
      scope.postMessage({
        type: 'epoch', epoch: e.epoch, trainLoss: e.train.loss, trainTop1: e.train.top1, testLoss: e.test?.loss ?? NaN,
        testTop1: e.test?.top1 ?? NaN, seconds: e.seconds,
      });
    },
  });
  // A stopped run is evaluated too, so the page can say how good the model got.
  const test = evaluate(model, new DataLoader(testSet, { batchSize: 250, shuffle: false, normalize }), 10);
  const bytes = encodeCheckpoint({
    model: model.stateDict(), epoch: trainLoader.epoch, step: globalStep, config: config as unknown as Record<string, unknown>, history,
  });
  const checkpoint = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  scope.postMessage({
    type: 'done', completed: result.completed, testTop1: test.top1, testLoss: test.loss, checkpoint,
    fileName: `digits-${s.twin}-w${s.width}.safetensors`, steps: globalStep,
  }, [checkpoint]);
}

scope.onmessage = (e) => {
  const cmd = e.data;
  if (cmd.type === 'stop') controller.abort();
  else train(cmd.settings).catch((err: unknown) => scope.postMessage({ type: 'error', message: errorMessage(err) }));
};
