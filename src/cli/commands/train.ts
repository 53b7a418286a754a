/** `sepconv train`: train a model builder on a dataset, with live progress, checkpoints, logs and curves. */
import { join } from 'node:path';
import { DATASET_SPECS } from '../../data/resolve.js';
import { parseChoice, parsePositiveInt, parsePositiveNumber } from '../args.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { SEPARABLE_ORDERS } from '../../models/separabilize.js';
import { OPTIMIZERS, SCHEDULES, type RunConfig } from '../../train/run_config.js';
import { CHECKPOINT_FILE, CURVES_FILE, LOG_FILE, runTraining } from '../training_run.js';

function nonNegative(text: string, option: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`--${option} must be a number >= 0, got '${text}'`);
  return v;
}

function unitInterval(text: string, option: string): number {
  const v = nonNegative(text, option);
  if (v > 1) throw new UsageError(`--${option} must be a number in [0, 1], got '${text}'`);
  return v;
}

/** The run configuration from the command line, with the defaults documented in the help. */
export function configFromArgs(ctx: CommandContext): RunConfig {
  const opt = (name: string): string | undefined => ctx.string(name);
  const num = <T>(name: string, parse: (t: string, o: string) => T, dflt: T): T => {
    const v = opt(name);
    return v === undefined ? dflt : parse(v, name);
  };
  const optimizer = num('optimizer', (t, o) => parseChoice(t, o, OPTIMIZERS), 'adam' as RunConfig['optimizer']);
  const teacher = opt('teacher');
  const rep = num('rep', parsePositiveInt, undefined as number | undefined);
  for (const o of ['distill-weight', 'distill-temperature'])
    if (teacher === undefined && opt(o) !== undefined) throw new UsageError(`--${o} needs --teacher FILE (the trained checkpoint to distil from)`);
  return {
    model: opt('model') ?? 'small_cnn',
    separable: ctx.flag('separable'),
    keepStem: ctx.flag('keep-stem'),
    depthwiseKernelSize: num('dw-kernel', parsePositiveInt, undefined as number | undefined),
    separableOrder: num('order', (t, o) => parseChoice(t, o, SEPARABLE_ORDERS), undefined as RunConfig['separableOrder']),
    overparameterize: rep,
    bnRecompute: num('bn-recompute', (t, o) => Math.floor(nonNegative(t, o)), rep === undefined ? 0 : 20),
    width: num('width', parsePositiveNumber, undefined as number | undefined),
    data: opt('data') ?? 'mnist',
    epochs: num('epochs', parsePositiveInt, 2),
    batch: num('batch', parsePositiveInt, 64),
    lr: num('lr', parsePositiveNumber, optimizer === 'sgd' ? 0.05 : 0.003),
    optimizer,
    schedule: num('schedule', (t, o) => parseChoice(t, o, SCHEDULES), 'cosine' as RunConfig['schedule']),
    warmupEpochs: num('warmup', nonNegative, 0.1),
    weightDecay: num('weight-decay', nonNegative, optimizer === 'adamw' ? 0.01 : 0),
    noDepthwiseDecay: ctx.flag('no-dw-decay'),
    momentum: num('momentum', nonNegative, 0.9),
    labelSmoothing: num('label-smoothing', nonNegative, 0),
    clipNorm: num('clip', parsePositiveNumber, undefined as number | undefined),
    distill: teacher === undefined ? undefined : {
      teacher, weight: num('distill-weight', unitInterval, 0.9), temperature: num('distill-temperature', parsePositiveNumber, 4),
    },
    seed: num('seed', (t, o) => Math.floor(nonNegative(t, o)), 0),
    limit: num('limit', parsePositiveInt, undefined as number | undefined),
    augment: { cropPadding: num('crop-padding', (t, o) => Math.floor(nonNegative(t, o)), 0), horizontalFlip: ctx.flag('flip') },
  };
}

export const trainOptions = {
  model: { type: 'string', valueName: 'NAME', description: "model builder (see 'sepconv cost --help' for names)", defaultText: 'small_cnn' },
  separable: { type: 'boolean', description: 'train the separable twin: every standard KxK conv becomes depthwise + BN + ReLU + pointwise' },
  'keep-stem': { type: 'boolean', description: 'with --separable: leave the first conv standard, as MobileNets do' },
  'dw-kernel': { type: 'string', valueName: 'K', description: 'with --separable: depthwise kernel size (odd, >= the replaced one; 5 as in MobileNetV3)' },
  order: { type: 'string', valueName: 'ORDER', description: 'with --separable: depthwise-first (depthwise + BN + ReLU + pointwise) or pointwise-first (BSConv-U: pointwise + BN + depthwise, no activation between)', defaultText: 'depthwise-first' },
  rep: { type: 'string', valueName: 'K', description: 'train over-parameterised (RepVGG, MobileOne): each conv as K conv + BN branches, a 1x1 one and an identity, folded back into one conv for eval, predict and export' },
  'bn-recompute': { type: 'string', valueName: 'N', description: 'before each evaluation, recompute batch-norm statistics over N unaugmented training batches (0: off)', defaultText: '20 with --rep, else 0' },
  width: { type: 'string', valueName: 'W', description: 'width (channels of the first stage) or width multiplier, per builder' },
  data: { type: 'string', valueName: 'SPEC', description: `dataset: ${DATASET_SPECS.join('; ')}`, defaultText: 'mnist' },
  epochs: { type: 'string', valueName: 'N', description: 'epochs to train', defaultText: '2' },
  batch: { type: 'string', valueName: 'N', description: 'batch size', defaultText: '64' },
  lr: { type: 'string', valueName: 'LR', description: 'peak learning rate', defaultText: '0.003 (adam), 0.05 (sgd)' },
  optimizer: { type: 'string', valueName: 'NAME', description: OPTIMIZERS.join(', '), defaultText: 'adam' },
  schedule: { type: 'string', valueName: 'NAME', description: `${SCHEDULES.join(', ')}`, defaultText: 'cosine' },
  warmup: { type: 'string', valueName: 'EPOCHS', description: 'linear warm-up length in epochs (cosine)', defaultText: '0.1' },
  'weight-decay': { type: 'string', valueName: 'WD', description: 'weight decay', defaultText: '0 (0.01 for adamw)' },
  'no-dw-decay': { type: 'boolean', description: 'no weight decay on depthwise filters (MobileNet paper, section 4)' },
  momentum: { type: 'string', valueName: 'M', description: 'momentum (sgd: Nesterov; rmsprop)', defaultText: '0.9' },
  'label-smoothing': { type: 'string', valueName: 'E', description: 'label smoothing', defaultText: '0' },
  clip: { type: 'string', valueName: 'NORM', description: 'clip the global gradient norm' },
  teacher: { type: 'string', valueName: 'FILE', description: 'knowledge distillation: also learn from the outputs of this trained checkpoint (same data)' },
  'distill-weight': { type: 'string', valueName: 'A', description: "with --teacher: the teacher's share of the loss, in [0, 1]", defaultText: '0.9' },
  'distill-temperature': { type: 'string', valueName: 'T', description: "with --teacher: softmax temperature of both models' outputs", defaultText: '4' },
  'crop-padding': { type: 'string', valueName: 'P', description: 'augmentation: random crop after zero-padding P pixels', defaultText: '0' },
  flip: { type: 'boolean', description: 'augmentation: random horizontal flips' },
  seed: { type: 'string', valueName: 'N', description: 'seed of initialisation, shuffling, augmentation and dropout', defaultText: '0' },
  limit: { type: 'string', valueName: 'N', description: 'train on the first N training images only (quick runs)' },
} as const satisfies Command['options'];

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model on a dataset (progress bar, checkpoints, resumable)',
  description: `Trains a model and evaluates it on the test split after every epoch. The output folder gets ` +
    `${CHECKPOINT_FILE} (rewritten atomically during training: an interrupted run continues with --resume and, with the same seed, ` +
    `ends with the same weights), ${LOG_FILE} (one JSON object per epoch) and ${CURVES_FILE} (loss and accuracy curves). ` +
    'On a terminal progress is a live bar; otherwise (logs, CI) a plain line every quarter epoch.',
  positionals: [],
  options: {
    ...trainOptions,
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'output folder', defaultText: 'runs/<model>-<data>' },
    resume: { type: 'boolean', description: "continue the run in --out from its checkpoint (its saved configuration wins)" },
    'checkpoint-every': { type: 'string', valueName: 'STEPS', description: 'also checkpoint every STEPS steps', defaultText: '50' },
  },
  examples: [
    'train',
    'train --model small_cnn --separable --keep-stem --data fashion-mnist --epochs 10 --out runs/fmnist-sep',
    'train --out runs/fmnist-sep --resume',
    'train --model small_cnn --separable --data fashion-mnist --epochs 10 --teacher runs/small_cnn-fashion-mnist/checkpoint.safetensors',
  ],
  async run(ctx) {
    const config = configFromArgs(ctx);
    const dataName = config.data.replace(/[^A-Za-z0-9_-]+/g, '_');
    const out = ctx.string('out') ?? join('runs', `${config.model}${config.separable ? '-separable' : ''}-${dataName}`);
    const every = ctx.string('checkpoint-every');
    const result = await runTraining(config, {
      outDir: out, resume: ctx.flag('resume'), progress: ctx.io.stderr,
      label: `${config.model}${config.separable ? ' (separable)' : ''}`,
      checkpointEverySteps: every === undefined ? undefined : parsePositiveInt(every, 'checkpoint-every'),
    });
    const last = result.history[result.history.length - 1];
    ctx.io.stdout.write(`test accuracy ${(100 * (last?.test?.top1 ?? NaN)).toFixed(2)}% (top-5 ${(100 * (last?.test?.top5 ?? NaN)).toFixed(2)}%), ` +
      `${result.model.numParameters().toLocaleString('en-US')} parameters; wrote ${join(out, CHECKPOINT_FILE)}, ${join(out, LOG_FILE)}, ${join(out, CURVES_FILE)}\n`);
  },
};
