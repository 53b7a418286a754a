/**
 * The training loop: epochs of batches (forward, cross-entropy, mixed with a teacher's outputs when distilling,
 * backward, optional clipping, optimizer step, weight EMA), evaluation after each epoch, periodic atomic checkpoints
 * and exact resumption. Memory stays flat: every step runs inside `tidy`.
 */
import type { Batch, DataLoader } from '../data/dataloader.js';
import { ArgumentError, NumericsError } from '../errors.js';
import { checkInt } from '../nn/args.js';
import type { Module } from '../nn/module.js';
import { add, mulScalar } from '../ops/elementwise.js';
import { crossEntropy, distillationLoss } from '../ops/softmax.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/memory.js';
import { globalRandom, type Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { recomputeBatchNormStats } from './bn_stats.js';
import type { Checkpoint } from './checkpoint_codec.js';
import type { ModelEMA } from './ema.js';
import { ClassificationMetrics } from './metrics.js';
import { clipGradNorm, type Optimizer } from './optimizer.js';
import type { Schedule } from './schedule.js';

export interface StepInfo {
  epoch: number;
  /** Step within the epoch (1-based, after it ran) and steps per epoch. */
  step: number;
  stepsPerEpoch: number;
  globalStep: number;
  loss: number;
  /** Running training accuracy of this epoch so far. */
  accuracy: number;
  lr: number;
  /** Training images processed per second in this epoch so far. */
  imagesPerSecond: number;
}

export interface EvalResult {
  loss: number;
  top1: number;
  top5: number;
  count: number;
  /** confusion[label * numClasses + predicted] (a plain array, so it survives JSON in checkpoints and logs). */
  confusion: number[];
}

export interface EpochInfo {
  epoch: number;
  train: { loss: number; top1: number; top5: number };
  test?: EvalResult;
  lr: number;
  seconds: number;
}

export interface FitOptions {
  model: Module;
  optimizer: Optimizer;
  train: DataLoader;
  test?: DataLoader;
  epochs: number;
  numClasses: number;
  schedule?: Schedule;
  labelSmoothing?: number;
  /** Learn from a trained teacher's outputs as well as from the labels (knowledge distillation). */
  distill?: Distillation;
  /** Clip the global gradient norm to this value. */
  clipNorm?: number;
  ema?: ModelEMA;
  /**
   * Before each epoch's test pass, recompute batch-norm running statistics over the first `batches` batches of
   * `loader` (rewound each time, so every epoch and a resumed run use the same ones); see recomputeBatchNormStats.
   * Running statistics are used only in eval mode, so training itself is unchanged.
   */
  recomputeBnStats?: { loader: DataLoader; batches: number };
  /**
   * Stores a snapshot (after every epoch, every `checkpointEverySteps` steps and when stopped), e.g.
   * `(c) => saveCheckpoint(path, c)` in Node; a callback keeps this loop free of file-system code for browsers.
   */
  saveCheckpoint?: (snapshot: Checkpoint) => Promise<void>;
  checkpointEverySteps?: number;
  /** Stored in checkpoints so a run can be rebuilt. */
  config?: Record<string, unknown>;
  /** Continue from this checkpoint (model, optimizer, EMA, loader position, generator, history). */
  resume?: Checkpoint;
  /** The generator layers draw from (dropout, stochastic depth); saved in checkpoints. */
  rng?: Random;
  onStep?: (info: StepInfo) => void;
  onEpoch?: (info: EpochInfo) => void;
  /** Stops after the current step when aborted (the checkpoint written then allows resuming). */
  signal?: AbortSignal;
}

/**
 * The loss becomes (1 - weight) · cross-entropy + weight · distillationLoss(student, teacher, temperature), the teacher
 * (in eval mode, without gradients) seeing the same augmented batch as the student.
 */
export interface Distillation {
  teacher: Module;
  /** In [0, 1]: the share of the loss that comes from the teacher. */
  weight: number;
  temperature: number;
}

/** The weight is checked here; distillationLoss checks the temperature on the first step. */
function validateDistillation(d: Distillation): void {
  if (!(typeof d.weight === 'number' && d.weight >= 0 && d.weight <= 1))
    throw new ArgumentError(`distillation weight must be a number in [0, 1], got ${d.weight}`);
}

/** The training loss of one batch: cross-entropy against the labels, mixed with the teacher's when distilling. */
function trainingLoss(logits: Tensor, batch: Batch, opts: FitOptions): Tensor {
  const ce = crossEntropy(logits, batch.y, { labelSmoothing: opts.labelSmoothing ?? 0 });
  const d = opts.distill;
  if (d === undefined) return ce;
  const teacherLogits = noGrad(() => d.teacher.call(batch.x));
  const kd = distillationLoss(logits, teacherLogits, { temperature: d.temperature });
  return add(mulScalar(ce, 1 - d.weight), mulScalar(kd, d.weight));
}

export interface FitResult {
  history: EpochInfo[];
  /** False when stopped by the signal before the last epoch finished. */
  completed: boolean;
}

/** Loss, top-1/top-5 accuracy and confusion matrix of `model` over one pass of `loader`, in eval mode. */
export function evaluate(model: Module, loader: DataLoader, numClasses: number): EvalResult {
  const wasTraining = model.training;
  model.eval();
  const metrics = new ClassificationMetrics(numClasses);
  const start = loader.epoch;
  try {
    noGrad(() => {
      while (loader.epoch === start) {
        tidy(() => {
          const batch = loader.nextBatch();
          const logits = model.call(batch.x);
          metrics.update(logits, batch.y, crossEntropy(logits, batch.y).item());
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return { ...metrics.summary(), confusion: Array.from(metrics.confusion) };
}

/** Restores model, optimizer, EMA, loader and generator from a checkpoint. */
export function restoreTraining(ckpt: Checkpoint, opts: Pick<FitOptions, 'model' | 'optimizer' | 'train' | 'ema' | 'rng'>): void {
  opts.model.loadStateDict(ckpt.model);
  if (ckpt.optimizer !== undefined) opts.optimizer.loadState(ckpt.optimizer.state);
  if (ckpt.ema !== undefined) opts.ema?.loadState(ckpt.ema);
  if (ckpt.loader !== undefined) opts.train.restore(ckpt.loader);
  if (ckpt.rng !== undefined) (opts.rng ?? globalRandom).setState(ckpt.rng);
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export async function fit(opts: FitOptions): Promise<FitResult> {
  const { model, optimizer, train, epochs } = opts;
  const rng = opts.rng ?? globalRandom;
  const history: EpochInfo[] = [];
  let globalStep = 0;
  const bn = opts.recomputeBnStats;
  if (bn !== undefined) checkInt(bn.batches, 'fit: recomputeBnStats.batches');
  const bnStart = bn?.loader.state();
  if (opts.resume !== undefined) {
    restoreTraining(opts.resume, opts);
    globalStep = opts.resume.step;
    history.push(...((opts.resume.history ?? []) as EpochInfo[]));
  }
  // Only for the error message when the loss explodes: which checkpoint a user can go back to.
  let lastSavedStep = opts.resume?.step;
  const checkpoint = async (): Promise<void> => {
    if (opts.saveCheckpoint === undefined) return;
    const snapshot: Checkpoint = {
      model: model.stateDict(), optimizer: { name: optimizer.constructor.name, state: optimizer.state() },
      ema: opts.ema?.state(), epoch: train.epoch, step: globalStep, rng: rng.getState(), loader: train.state(),
      config: opts.config ?? {}, history,
    };
    await opts.saveCheckpoint(snapshot);
    lastSavedStep = globalStep;
  };

  if (opts.distill !== undefined) {
    validateDistillation(opts.distill);
    opts.distill.teacher.eval();
  }
  model.train();
  while (train.epoch < epochs) {
    const epoch = train.epoch;
    const metrics = new ClassificationMetrics(opts.numClasses);
    const started = performance.now();
    let lastYield = started;
    while (train.epoch === epoch) {
      if (opts.schedule !== undefined) optimizer.lr = opts.schedule(globalStep);
      const loss = tidy(() => {
        const batch = train.nextBatch();
        const logits = model.call(batch.x);
        const lossT = trainingLoss(logits, batch, opts);
        const value = lossT.item();
        if (!Number.isFinite(value))
          throw new NumericsError(`training loss became ${value} at epoch ${epoch + 1}, step ${train.epoch === epoch ? train.step : train.length} ` +
            `of ${train.length} (after ${globalStep} optimizer steps); ` +
            (lastSavedStep === undefined ? 'no checkpoint was written yet' : `the last checkpoint (after step ${lastSavedStep}) is intact`) +
            '. Lower the learning rate, add gradient clipping (--clip), or check the data');
        lossT.backward();
        if (opts.clipNorm !== undefined) clipGradNorm(model.parameters(), opts.clipNorm);
        optimizer.step();
        optimizer.zeroGrad();
        metrics.update(logits, batch.y, value);
        return value;
      });
      globalStep++;
      opts.ema?.update();
      const elapsed = (performance.now() - started) / 1000;
      opts.onStep?.({
        epoch, step: train.epoch === epoch ? train.step : train.length, stepsPerEpoch: train.length, globalStep, loss,
        accuracy: metrics.summary().top1, lr: optimizer.lr, imagesPerSecond: metrics.count / Math.max(elapsed, 1e-9),
      });
      const aborted = opts.signal?.aborted === true;
      if (aborted || (opts.checkpointEverySteps !== undefined && globalStep % opts.checkpointEverySteps === 0 && train.epoch === epoch))
        await checkpoint();
      if (aborted) return { history, completed: false };
      // Let timers and messages (progress output, a stop button in a worker) run between steps.
      if (performance.now() - lastYield > 100) {
        await macrotask();
        lastYield = performance.now();
      }
    }
    const train_ = metrics.summary();
    const testPass = (): EvalResult => {
      if (bn !== undefined) {
        bn.loader.restore(bnStart!);
        recomputeBatchNormStats(model, bn.loader, bn.batches);
      }
      return evaluate(model, opts.test!, opts.numClasses);
    };
    const test = opts.test === undefined ? undefined : opts.ema !== undefined ? opts.ema.withAveragedWeights(testPass) : testPass();
    const info: EpochInfo = {
      epoch, train: { loss: train_.loss, top1: train_.top1, top5: train_.top5 }, test, lr: optimizer.lr,
      seconds: (performance.now() - started) / 1000,
    };
    history.push(info);
    await checkpoint();
    opts.onEpoch?.(info);
  }
  return { history, completed: true };
}
