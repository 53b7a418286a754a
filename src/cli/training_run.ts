/**
 * One training run as the CLI does it (shared by `sepconv train` and `sepconv demo`): build the model and data from a
 * plain configuration, train with live progress, and leave in the output folder the checkpoint (rewritten atomically,
 * resumable), a JSON-lines log and the training curves as SVG.
 */
import { readFile } from 'node:fs/promises';
import { appendFileSync, mkdirSync, rmSync, statfsSync, writeFileSync, accessSync, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { DataLoader } from '../data/dataloader.js';
import type { Dataset, ImageDataset } from '../data/dataset.js';
import { resolveDataset } from '../data/resolve.js';
import { ArgumentError, SepconvError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { Random } from '../tensor/random.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import {
  channelStats, makeOptimizer, makeSchedule, modelFromCheckpointBytes, modelFromConfig, type RunConfig, type TrainedModel,
} from '../train/run_config.js';
import { fit, type EpochInfo, type FitResult } from '../train/trainer.js';
import { UsageError, type CommandContext, type OptionSpec } from './command.js';
import { CommandError } from './output.js';
import { ProgressBar, formatDuration, type ProgressStream } from './progress.js';
import { lineChart, combineCharts } from './svg.js';

export interface PreparedRun {
  config: RunConfig;
  model: Module;
  train: DataLoader;
  test: DataLoader;
  /** With config.bnRecompute: what recomputes batch-norm statistics before each evaluation. */
  bnStats?: { loader: DataLoader; batches: number };
  numClasses: number;
  classNames?: readonly string[];
  imageShape: readonly [number, number, number];
}

/** A seeded random subset of `limit` samples (datasets are often sorted by class, so not the first ones). */
function limited(ds: Dataset, limit: number | undefined, seed: number): Dataset {
  if (limit === undefined || limit >= ds.length) return ds;
  const order = Int32Array.from({ length: ds.length }, (_, i) => i);
  new Random(seed).shuffle(order);
  const picked = order.subarray(0, limit);
  return { length: limit, imageShape: ds.imageShape, numClasses: ds.numClasses, classNames: ds.classNames, get: (i) => ds.get(picked[i]) };
}

/** Builds model, data loaders and normalisation from a configuration. */
export function prepareRun(config: RunConfig): PreparedRun {
  const split = resolveDataset(config.data, { seed: config.seed });
  const trainSet = split.train as ImageDataset;
  const [h, w, c] = trainSet.imageShape;
  const full: RunConfig = {
    ...config, normalize: config.normalize ?? channelStats(trainSet),
    dataInfo: { imageShape: [h, w, c], numClasses: trainSet.numClasses, classNames: trainSet.classNames && [...trainSet.classNames] },
  };
  const normalize = full.normalize;
  const model = modelFromConfig(full);
  const trainImages = limited(trainSet, config.limit, config.seed);
  const train = new DataLoader(trainImages, { batchSize: config.batch, shuffle: true, seed: config.seed, augment: config.augment, normalize });
  const test = new DataLoader(split.test, { batchSize: Math.max(config.batch, 256), shuffle: false, normalize });
  const bnStats = config.bnRecompute ? { loader: new DataLoader(trainImages, { batchSize: config.batch, shuffle: true, seed: config.seed, normalize }), batches: config.bnRecompute } : undefined;
  return { config: full, model, train, test, bnStats, numClasses: trainSet.numClasses, classNames: trainSet.classNames, imageShape: [h, w, c] };
}

/** The options every command that reads a trained checkpoint takes. */
export const CHECKPOINT_OPTIONS = {
  checkpoint: { type: 'string', short: 'c', valueName: 'FILE', description: 'checkpoint.safetensors written by sepconv train' },
  json: { type: 'boolean', description: 'print the result as JSON' },
} as const satisfies Record<string, OptionSpec>;

/** The model behind the required --checkpoint option, with its path and run configuration. */
export async function checkpointArgument(ctx: CommandContext): Promise<TrainedModel & { path: string }> {
  const path = ctx.string('checkpoint');
  if (path === undefined) throw new UsageError('--checkpoint is required');
  return { path, ...(await modelFromCheckpoint(path)) };
}

/** A trained model from a checkpoint written by `sepconv train`, with its run configuration. */
export async function modelFromCheckpoint(path: string): Promise<TrainedModel> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new CommandError(`cannot read checkpoint '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return modelFromCheckpointBytes(bytes, path);
}

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const LOG_FILE = 'log.jsonl';
export const CURVES_FILE = 'curves.svg';

/**
 * Fails before training if the output folder cannot be created or written. A probe file is written and removed,
 * because permission bits alone miss read-only file systems and full disks, and deny root nothing.
 */
export function checkOutputDir(dir: string): void {
  const probe = join(dir, `.sepconv-write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
    writeFileSync(probe, 'sepconv');
    rmSync(probe);
  } catch (err) {
    throw new CommandError(`cannot write to output folder '${dir}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
      'choose another with --out, or free space / fix its permissions');
  }
}

/**
 * Fails before training if the output folder's file system has less free space than two checkpoints of
 * `checkpointBytes` (a new checkpoint is written next to the old one before it replaces it).
 */
export function checkFreeSpace(dir: string, checkpointBytes: number): void {
  const stats = statfsSync(dir);
  const free = stats.bavail * stats.bsize;
  if (free < 2 * checkpointBytes)
    throw new CommandError(`output folder '${dir}' has ${formatBytes(free)} free but checkpoints need about ` +
      `${formatBytes(2 * checkpointBytes)} (the new one is written before the old one is replaced); free some space or ` +
      'choose another folder with --out');
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

/** About how large a checkpoint of `model` is: its state plus up to two optimizer buffers per parameter, and metadata. */
function checkpointSize(model: Module): number {
  let values = 0;
  for (const t of model.stateDict().values()) values += t.size;
  return 3 * 4 * values + (64 << 10);
}

/** A checkpoint or log write that failed mid-run: say what happened and that the last checkpoint is still good. */
function writeFailed(path: string, err: unknown): CommandError {
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new CommandError(`cannot write '${path}' (${code}); the last checkpoint in its folder is intact: free space or fix ` +
    'the permissions, then continue with --resume');
}

/** Loss and accuracy curves (train and test) per epoch, as one SVG. */
export function curvesSvg(history: readonly EpochInfo[], title: string): string {
  const epochs = history.map((h) => h.epoch + 1);
  const loss = lineChart({
    title: `${title}: loss`, xLabel: 'epoch', yLabel: 'cross-entropy', logY: true,
    series: [
      { name: 'train', points: epochs.map((e, i) => [e, history[i].train.loss] as const) },
      { name: 'test', points: epochs.map((e, i) => [e, history[i].test?.loss ?? NaN] as const), dashed: true },
    ],
  });
  const acc = lineChart({
    title: `${title}: top-1 accuracy`, xLabel: 'epoch', yLabel: 'accuracy (%)',
    series: [
      { name: 'train', points: epochs.map((e, i) => [e, 100 * history[i].train.top1] as const) },
      { name: 'test', points: epochs.map((e, i) => [e, 100 * (history[i].test?.top1 ?? NaN)] as const), dashed: true },
    ],
  });
  return combineCharts([loss, acc]);
}

/**
 * The teacher of a distillation run, checked against the run: it must take the same images (shape and normalisation,
 * which come from the training set) and predict the same classes, or its outputs would be silently meaningless. Equal
 * normalisation also means the same training set, so the teacher has not seen this run's test images.
 */
async function loadTeacher(run: PreparedRun): Promise<Module> {
  const path = run.config.distill!.teacher;
  const { model, config } = await modelFromCheckpoint(path);
  const mismatch = (what: string, theirs: unknown, ours: unknown): CommandError =>
    new CommandError(`--teacher '${path}' does not fit this run: its ${what} is ${JSON.stringify(theirs)}, this run's data has ` +
      `${JSON.stringify(ours)}; a teacher must be trained on the same training set (the built-in digits are split by --seed: use the teacher's)`);
  const info = config.dataInfo!;
  if (info.imageShape.join() !== run.imageShape.join()) throw mismatch('image shape', info.imageShape, run.imageShape);
  if (info.numClasses !== run.numClasses) throw mismatch('number of classes', info.numClasses, run.numClasses);
  const norm = (n: RunConfig['normalize']): number[] => [...(n?.mean ?? []), ...(n?.std ?? [])];
  const [a, b] = [norm(config.normalize), norm(run.config.normalize)];
  if (a.length !== b.length || a.some((v, i) => Math.abs(v - b[i]) > 1e-6))
    throw mismatch('input normalisation', config.normalize, run.config.normalize);
  return model;
}

export interface RunOptions {
  outDir: string;
  /** Continue from outDir's checkpoint. */
  resume: boolean;
  progress: ProgressStream;
  /** Label in progress lines, e.g. 'standard' or 'separable'. */
  label?: string;
  checkpointEverySteps?: number;
  signal?: AbortSignal;
}

/** Trains per `config` (or the checkpoint's config when resuming) and writes checkpoint, log and curves. */
export async function runTraining(config: RunConfig, opts: RunOptions): Promise<PreparedRun & FitResult> {
  checkOutputDir(opts.outDir);
  const ckptPath = join(opts.outDir, CHECKPOINT_FILE);
  let resume: Checkpoint | undefined;
  if (opts.resume) {
    try {
      resume = await loadCheckpoint(ckptPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new CommandError(`--resume: no checkpoint at '${ckptPath}'; start without --resume or point --out at the run's folder`);
      throw err;
    }
    config = resume.config as unknown as RunConfig;
    if (resume.epoch >= config.epochs)
      throw new ArgumentError(`--resume: the run in '${opts.outDir}' already finished its ${config.epochs} epochs`);
  }
  const run = prepareRun(config);
  const teacher = run.config.distill === undefined ? undefined : await loadTeacher(run);
  checkFreeSpace(opts.outDir, checkpointSize(run.model));
  const optimizer = makeOptimizer(run.config, run.model);
  const logPath = join(opts.outDir, LOG_FILE);
  if (resume === undefined) writeFileSync(logPath, '');
  const label = opts.label ?? run.config.model;
  const bar = new ProgressBar(opts.progress);
  let lastEpoch = -1;
  const result = await fit({
    model: run.model, optimizer, train: run.train, test: run.test, epochs: run.config.epochs, numClasses: run.numClasses,
    schedule: makeSchedule(run.config, run.train.length), labelSmoothing: run.config.labelSmoothing, clipNorm: run.config.clipNorm,
    distill: teacher && { teacher, weight: run.config.distill!.weight, temperature: run.config.distill!.temperature },
    recomputeBnStats: run.bnStats,
    saveCheckpoint: (c) => saveCheckpoint(ckptPath, c).catch((err: unknown) => {
      throw err instanceof SepconvError ? err : writeFailed(ckptPath, err);
    }),
    checkpointEverySteps: opts.checkpointEverySteps ?? 50,
    config: run.config as unknown as Record<string, unknown>, resume, signal: opts.signal,
    onStep: (s) => {
      if (s.epoch !== lastEpoch) {
        lastEpoch = s.epoch;
        bar.start();
      }
      bar.update({
        label: `${label} epoch ${s.epoch + 1}/${run.config.epochs}`, step: s.step, total: s.stepsPerEpoch,
        imagesPerSecond: s.imagesPerSecond,
        fields: { loss: s.loss.toFixed(4), acc: `${(100 * s.accuracy).toFixed(1)}%`, lr: s.lr.toPrecision(2) },
      });
    },
    onEpoch: (e) => {
      bar.done();
      const { confusion: _omit, ...test } = e.test ?? { confusion: [] };
      try {
        appendFileSync(logPath, JSON.stringify({ event: 'epoch', epoch: e.epoch + 1, lr: e.lr, seconds: e.seconds, train: e.train, test }) + '\n');
      } catch (err) {
        throw writeFailed(logPath, err);
      }
      opts.progress.write(`${label} epoch ${e.epoch + 1}/${run.config.epochs}: train loss ${e.train.loss.toFixed(4)} ` +
        `acc ${(100 * e.train.top1).toFixed(2)}%  test loss ${(e.test?.loss ?? NaN).toFixed(4)} acc ` +
        `${(100 * (e.test?.top1 ?? NaN)).toFixed(2)}%  (${formatDuration(e.seconds)})\n`);
    },
  });
  bar.done();
  writeFileSync(join(opts.outDir, CURVES_FILE), curvesSvg(result.history, label));
  return { ...run, ...result };
}
