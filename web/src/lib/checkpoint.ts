/**
 * sepconv checkpoints in memory, for the browser: the same safetensors layout `sepconv train` writes
 * (src/train/checkpoint.ts: `model.*` tensors, and in the `sepconv` metadata entry the format, epoch, step, run
 * configuration and history), and the model a checkpoint's configuration describes, built the way the CLI's
 * `modelFromConfig` builds it (src/cli/training_run.ts), which reads files and so cannot be imported here.
 */
import {
  ArgumentError, FormatError, Random, Tensor, buildModel, decodeSafetensors, encodeSafetensors, separabilize,
  type Module,
} from './sepconv.js';

const FORMAT = 'sepconv-checkpoint/1';

/** The part of the CLI's RunConfig that rebuilding and feeding a model needs. */
export interface RunConfigLike {
  model: string;
  separable: boolean;
  width?: number;
  seed: number;
  normalize?: { mean: number[]; std: number[] };
  dataInfo: { imageShape: [number, number, number]; numClasses: number; classNames?: string[] };
  [other: string]: unknown;
}

/** A trained model ready to run, with what the page needs to feed it and label its outputs. */
export interface LoadedCheckpoint {
  model: Module;
  config: RunConfigLike;
  epoch: number;
  step: number;
}

/** The model a run configuration describes, with fresh seeded weights (structure as `sepconv train` builds it). */
export function modelFromRunConfig(config: RunConfigLike): Module {
  const [h, w, c] = config.dataInfo.imageShape;
  const rng = new Random(config.seed);
  const model = buildModel(config.model, {
    numClasses: config.dataInfo.numClasses, inputChannels: c, resolution: h, width: config.width, rng,
  });
  return config.separable ? separabilize(model, { inputShape: [h, w, c], batchNorm: true, activation: 'relu', rng }).model : model;
}

/** Safetensors bytes of a checkpoint that `sepconv predict --checkpoint` and this page both read. */
export function encodeCheckpoint(model: Module, config: RunConfigLike, epoch: number, step: number, history: unknown[]): Uint8Array {
  const tensors = new Map<string, Tensor>();
  for (const [k, t] of model.stateDict()) tensors.set(`model.${k}`, t);
  const header = { format: FORMAT, epoch, step, config, history };
  return encodeSafetensors(tensors, { sepconv: JSON.stringify(header) });
}

function checkConfig(config: unknown, name: string): RunConfigLike {
  const c = config as Partial<RunConfigLike> | null;
  const shape = c?.dataInfo?.imageShape;
  if (c === null || typeof c !== 'object' || typeof c.model !== 'string' || !Array.isArray(shape) || shape.length !== 3 ||
      !Number.isInteger(c.dataInfo?.numClasses))
    throw new FormatError(`${name}: the checkpoint's configuration does not name a model builder and its input ` +
      "(it was not written by 'sepconv train' or this page's Train tab)");
  return { separable: false, seed: 0, ...c } as RunConfigLike;
}

/** Reads a checkpoint written by `sepconv train` or the Train tab and rebuilds its trained model (in eval mode). */
export function loadCheckpointBytes(bytes: Uint8Array, name: string): LoadedCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, name);
  const raw = metadata.sepconv;
  if (raw === undefined)
    throw new FormatError(`${name}: a safetensors file without sepconv metadata (bare weights); the page needs a ` +
      "checkpoint from 'sepconv train' or the Train tab, whose metadata says which model the weights belong to");
  let header: { format?: unknown; epoch?: unknown; step?: unknown; config?: unknown };
  try {
    header = JSON.parse(raw) as typeof header;
  } catch (err) {
    throw new FormatError(`${name}: the checkpoint metadata is not valid JSON (${(err as Error).message})`);
  }
  if (header?.format !== FORMAT)
    throw new FormatError(`${name}: unsupported checkpoint format ${JSON.stringify(header?.format)} (expected ${FORMAT})`);
  const config = checkConfig(header.config, name);
  let model: Module;
  try {
    model = modelFromRunConfig(config);
  } catch (err) {
    if (err instanceof ArgumentError) throw new FormatError(`${name}: its configuration cannot be built: ${err.message}`);
    throw err;
  }
  const state = new Map<string, Tensor>();
  for (const [key, t] of tensors) if (key.startsWith('model.')) state.set(key.slice('model.'.length), new Tensor(t.data, t.shape));
  model.loadStateDict(state);
  model.eval();
  return { model, config, epoch: Number(header.epoch) || 0, step: Number(header.step) || 0 };
}
