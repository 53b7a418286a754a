/**
 * A training run's configuration (what `sepconv train` and the web page's Train tab store in checkpoints), and what
 * is built from it: the model (seeded, so the same configuration gives the same initial weights), the optimizer and
 * the learning-rate schedule, and a trained model from checkpoint bytes. Platform-neutral.
 */
import { ArgumentError, FormatError } from '../errors.js';
import type { ImageDataset } from '../data/dataset.js';
import { buildModel } from '../models/index.js';
import { overparameterize, reparameterize } from '../models/reparameterize.js';
import { separabilize, type SeparableOrder } from '../models/separabilize.js';
import { isDepthwise } from '../backend/kernels.js';
import { Conv2d, DepthwiseConv2d } from '../nn/conv.js';
import type { Module } from '../nn/module.js';
import { Random, globalRandom } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { decodeCheckpoint, type Checkpoint } from './checkpoint_codec.js';
import { Adam, AdamW, RMSprop, SGD, type Optimizer } from './optimizer.js';
import { constant, cosineWithWarmup, oneCycle, stepDecay, type Schedule } from './schedule.js';

export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'rmsprop'] as const;
export const SCHEDULES = ['cosine', 'step', 'onecycle', 'constant'] as const;

/** Everything that defines a run; stored in its checkpoints so eval, predict and --resume rebuild it exactly. */
export interface RunConfig {
  model: string;
  /** Replace every standard KxK conv by depthwise + pointwise (the separable twin). */
  separable: boolean;
  /** With `separable`: leave the first conv (the stem) standard, as MobileNets do. Absent in older runs: false. */
  keepStem?: boolean;
  /** With `separable`: the depthwise kernel size (the padding grows to keep shapes). Absent: the replaced kernel's. */
  depthwiseKernelSize?: number;
  /**
   * With `separable`: 'depthwise-first' (absent: the default) is depthwise + BN + ReLU + pointwise (MobileNetV1);
   * 'pointwise-first' is BSConv-U, pointwise + BN + depthwise over the output channels, with no activation between
   * (a factorisation of the one conv, as Haase & Amthor publish it).
   */
  separableOrder?: SeparableOrder;
  /**
   * Train over-parameterised (RepVGG / MobileOne): every conv is this many conv + BN branches plus a 1x1 branch and
   * an identity; checkpoints hold the branches, and a model rebuilt from one for inference has them folded.
   */
  overparameterize?: number;
  /**
   * Before each evaluation, recompute batch-norm running statistics over this many unaugmented training batches
   * (recomputeBatchNormStats): stale running averages can wreck an over-parameterised run's eval pass. Absent or 0:
   * use the running averages.
   */
  bnRecompute?: number;
  width?: number;
  data: string;
  epochs: number;
  batch: number;
  lr: number;
  optimizer: (typeof OPTIMIZERS)[number];
  schedule: (typeof SCHEDULES)[number];
  warmupEpochs: number;
  weightDecay: number;
  /**
   * Exempt depthwise filters from weight decay: they have K*K weights each, and the MobileNet paper (section 4)
   * found little or no decay on them works best. A model without depthwise convs trains the same either way.
   * Absent in older runs: false.
   */
  noDepthwiseDecay?: boolean;
  momentum: number;
  labelSmoothing: number;
  clipNorm?: number;
  /**
   * Knowledge distillation: a trained checkpoint (by `sepconv train`) whose outputs at `temperature` make up `weight`
   * of the loss, the labels the rest. Stored with its path, so --resume loads the same teacher.
   */
  distill?: { teacher: string; weight: number; temperature: number };
  seed: number;
  /** Use only the first N training images (quick runs). */
  limit?: number;
  augment: { cropPadding: number; horizontalFlip: boolean };
  /** Per-channel normalisation measured on the training set. */
  normalize?: { mean: number[]; std: number[] };
  /** What the data looked like (filled in by prepareRun), so eval and predict can rebuild the model without it. */
  dataInfo?: { imageShape: [number, number, number]; numClasses: number; classNames?: string[] };
}

/** The model of a checkpoint, trained weights loaded, in eval mode. */
export interface TrainedModel {
  model: Module;
  config: RunConfig;
  checkpoint: Checkpoint;
}

/** Per-channel mean and standard deviation of a dataset's images (0..1 scale). */
export function channelStats(ds: ImageDataset): { mean: number[]; std: number[] } {
  const c = ds.imageShape[2];
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const px = ds.pixels;
  for (let i = 0; i < px.length; i++) {
    const v = px[i] / 255;
    sum[i % c] += v;
    sq[i % c] += v * v;
  }
  const n = px.length / c;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, k) => Math.sqrt(Math.max(s / n - mean[k] ** 2, 1e-12)));
  return { mean, std };
}

/** The run's model, freshly initialised from its seed (the same weights every time for the same configuration). */
export function modelFromConfig(config: RunConfig): Module {
  if (config.dataInfo === undefined) throw new ArgumentError('run configuration has no dataInfo (image shape and classes): it was not made by sepconv train');
  const [h, w, c] = config.dataInfo.imageShape;
  globalRandom.seed(config.seed);
  const rng = new Random(config.seed);
  const model = buildModel(config.model, { numClasses: config.dataInfo.numClasses, inputChannels: c, resolution: h, width: config.width, rng });
  if (config.separable)
    separabilize(model, {
      inputShape: [h, w, c], batchNorm: true, activation: config.separableOrder === 'pointwise-first' ? null : 'relu',
      keepStem: config.keepStem, depthwiseKernelSize: config.depthwiseKernelSize, order: config.separableOrder, rng,
    });
  return config.overparameterize === undefined ? model : overparameterize(model, { branches: config.overparameterize, rng });
}

/**
 * Decodes a checkpoint written by `sepconv train` (or the web page) and rebuilds its trained model, with the
 * training branches of an over-parameterised run folded (`reparameterize`).
 */
export function modelFromCheckpointBytes(bytes: Uint8Array, name: string): TrainedModel {
  const checkpoint = decodeCheckpoint(bytes, name);
  const config = checkpoint.config as unknown as RunConfig;
  const shape = config.dataInfo?.imageShape;
  if (typeof config.model !== 'string' || !Array.isArray(shape) || shape.length !== 3 || !Number.isInteger(config.dataInfo?.numClasses))
    throw new FormatError(`${name}: this checkpoint's configuration names no model builder and input (it was not written by ` +
      "'sepconv train' or the web page's Train tab); bare weights load with loadSafetensors() and module.loadStateDict()");
  let model: Module;
  try {
    model = modelFromConfig(config);
  } catch (err) {
    if (err instanceof ArgumentError) throw new FormatError(`${name}: its configuration cannot be built: ${err.message}`);
    throw err;
  }
  model.loadStateDict(checkpoint.model);
  model.eval();
  return { model: reparameterize(model), config, checkpoint };
}

export function makeOptimizer(config: RunConfig, model: Module): Optimizer {
  const params = model.parameters();
  const decay = { weightDecay: config.weightDecay, noDecay: config.noDepthwiseDecay ? depthwiseFilters(model) : [] };
  switch (config.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: config.lr, momentum: config.momentum, nesterov: config.momentum > 0, ...decay });
    case 'adam':
      return new Adam(params, { lr: config.lr, ...decay });
    case 'adamw':
      return new AdamW(params, { lr: config.lr, ...decay });
    case 'rmsprop':
      return new RMSprop(params, { lr: config.lr, momentum: config.momentum, ...decay });
  }
}

/** The filters of every depthwise convolution in `model`: DepthwiseConv2d layers and Conv2d with groups = inChannels. */
function depthwiseFilters(model: Module): Tensor[] {
  return model.modules().flatMap((m) =>
    m instanceof DepthwiseConv2d || (m instanceof Conv2d && isDepthwise({ groups: m.groups, inC: m.inChannels })) ? [m.weight] : []);
}

export function makeSchedule(config: RunConfig, stepsPerEpoch: number): Schedule {
  const total = config.epochs * stepsPerEpoch;
  const warmup = Math.min(Math.round(config.warmupEpochs * stepsPerEpoch), total - 1);
  switch (config.schedule) {
    case 'cosine':
      return cosineWithWarmup({ baseLr: config.lr, totalSteps: total, warmupSteps: warmup });
    case 'step':
      return stepDecay({ baseLr: config.lr, stepSize: Math.max(1, Math.round(total / 3)), gamma: 0.1 });
    case 'onecycle':
      return oneCycle({ maxLr: config.lr, totalSteps: total });
    case 'constant':
      return constant(config.lr);
  }
}
