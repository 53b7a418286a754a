/**
 * Training checkpoints as safetensors bytes: model state (`model.*`), optimizer buffers (`optimizer.*`), averaged
 * weights (`ema.*`), and in the metadata everything else a resumed run needs (epoch, global step, data-loader
 * position, generator state, optimizer scalars, the run's configuration and history). No file access here, so
 * browsers use it too; checkpoint.ts reads and writes files.
 */
import { FormatError } from '../errors.js';
import type { DataLoaderState } from '../data/dataloader.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from '../io/safetensors_codec.js';
import type { OptimizerState } from './optimizer.js';

const FORMAT = 'sepconv-checkpoint/1';

export interface Checkpoint {
  /** Model state dict (parameters and buffers). */
  model: Map<string, SafetensorsInput>;
  optimizer?: { name: string; state: OptimizerState };
  ema?: Map<string, Float32Array>;
  /** Epochs completed (0-based epoch of the next batch). */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  /** State of the library-wide generator (dropout, stochastic depth). */
  rng?: number[];
  loader?: DataLoaderState;
  /** How the run was started (model builder, options, data, hyper-parameters), so eval/predict/resume can rebuild it. */
  config: Record<string, unknown>;
  /** Per-epoch results so far. */
  history?: unknown[];
}

/** The metadata entry: the checkpoint's own fields as they are, the format tag, and the optimizer's scalars. */
interface Header extends Pick<Checkpoint, 'epoch' | 'step' | 'rng' | 'loader' | 'config' | 'history'> {
  format: string;
  optimizer?: { name: string; scalars: Record<string, number> };
}

/** The tensors and metadata of a checkpoint file (see {@link encodeCheckpoint}). */
export function checkpointContents(ckpt: Checkpoint): { tensors: Map<string, SafetensorsInput>; metadata: Record<string, string> } {
  const tensors = new Map<string, SafetensorsInput>();
  for (const [k, t] of ckpt.model) tensors.set(`model.${k}`, t);
  for (const [k, b] of ckpt.optimizer?.state.buffers ?? []) tensors.set(`optimizer.${k}`, { shape: [b.length], data: b });
  for (const [k, b] of ckpt.ema ?? []) tensors.set(`ema.${k}`, { shape: [b.length], data: b });
  const header: Header = {
    format: FORMAT, epoch: ckpt.epoch, step: ckpt.step, rng: ckpt.rng, loader: ckpt.loader, config: ckpt.config,
    history: ckpt.history,
    optimizer: ckpt.optimizer === undefined ? undefined : { name: ckpt.optimizer.name, scalars: ckpt.optimizer.state.scalars },
  };
  // Non-finite numbers (an RNG's empty spare slot is NaN) survive JSON as null; decodeCheckpoint restores them.
  return { tensors, metadata: { sepconv: JSON.stringify(header) } };
}

/** The bytes of a checkpoint file. */
export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  const { tensors, metadata } = checkpointContents(ckpt);
  return encodeSafetensors(tensors, metadata);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the metadata header's fields have the types a resumed run relies on; names the first that does not. */
function checkHeader(header: unknown, name: string): Header {
  const bad = (field: string, expected: string) =>
    new FormatError(`${name}: checkpoint metadata field '${field}' is not ${expected} (corrupt or hand-edited file; ` +
      'use an earlier checkpoint or retrain)');
  if (!isRecord(header) || header.format !== FORMAT) {
    const found = isRecord(header) && typeof header.format === 'string' ? `'${header.format.slice(0, 60)}'` : 'none';
    throw new FormatError(`${name}: unsupported checkpoint format ${found} (expected '${FORMAT}'); ` +
      'load it with the sepconv version that wrote it');
  }
  for (const field of ['epoch', 'step'] as const) {
    const v = header[field];
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(field, 'a non-negative integer');
  }
  if (header.rng !== undefined && (!Array.isArray(header.rng) || !header.rng.every((v) => v === null || typeof v === 'number')))
    throw bad('rng', 'a list of numbers');
  if (header.loader !== undefined && !isRecord(header.loader)) throw bad('loader', 'an object');
  if (header.config !== undefined && !isRecord(header.config)) throw bad('config', 'an object');
  if (header.history !== undefined && !Array.isArray(header.history)) throw bad('history', 'a list');
  const opt = header.optimizer;
  if (opt !== undefined && (!isRecord(opt) || typeof opt.name !== 'string' || !isRecord(opt.scalars) ||
      !Object.values(opt.scalars).every((v) => typeof v === 'number')))
    throw bad('optimizer', '{name, scalars} with numeric scalars');
  return header as unknown as Header;
}

/**
 * Decodes a checkpoint from the bytes of its file (`name`, e.g. the path, is used in errors). Everything is
 * validated: a corrupt or hostile file gives a FormatError, never a half-restored run.
 */
export function decodeCheckpoint(bytes: Uint8Array, name: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, name);
  const raw = metadata.sepconv;
  if (raw === undefined)
    throw new FormatError(`${name}: not a sepconv checkpoint (its safetensors metadata has no 'sepconv' entry); ` +
      'to load bare weights use loadSafetensors() and module.loadStateDict()');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new FormatError(`${name}: the checkpoint metadata is not valid JSON (${(err as Error).message}); the file is ` +
      'corrupt: use an earlier checkpoint or retrain');
  }
  const header = checkHeader(parsed, name);
  const model = new Map<string, SafetensorsInput>();
  const buffers = new Map<string, Float32Array>();
  const ema = new Map<string, Float32Array>();
  for (const [tensorName, t] of tensors) {
    const dot = tensorName.indexOf('.');
    const [group, key] = dot < 0 ? ['', tensorName] : [tensorName.slice(0, dot), tensorName.slice(dot + 1)];
    if (group === 'model') model.set(key, { shape: t.shape, data: t.data });
    else if (group === 'optimizer') buffers.set(key, t.data);
    else if (group === 'ema') ema.set(key, t.data);
    else throw new FormatError(`${name}: unexpected tensor '${tensorName.slice(0, 60)}' (checkpoint tensors start with model., ` +
      'optimizer. or ema.)');
  }
  const rng = header.rng?.map((v) => (v === null ? NaN : v));
  return {
    model, epoch: header.epoch, step: header.step, rng, loader: header.loader, config: header.config ?? {},
    history: header.history,
    optimizer: header.optimizer === undefined ? undefined : { name: header.optimizer.name, state: { buffers, scalars: header.optimizer.scalars } },
    ema: ema.size > 0 ? ema : undefined,
  };
}
