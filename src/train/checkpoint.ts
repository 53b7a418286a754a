/**
 * Training checkpoints as safetensors: model state (`model.*`), optimizer buffers (`optimizer.*`), averaged weights
 * (`ema.*`), and in the metadata everything else a resumed run needs (epoch, global step, data-loader position,
 * generator state, optimizer scalars, the run's configuration and history). Files are written atomically.
 */
import { FormatError } from '../errors.js';
import type { DataLoaderState } from '../data/dataloader.js';
import { loadSafetensors, saveSafetensors, type SafetensorsInput } from '../io/safetensors.js';
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

interface Header {
  format: string;
  epoch: number;
  step: number;
  rng?: number[];
  loader?: DataLoaderState;
  config: Record<string, unknown>;
  history?: unknown[];
  optimizer?: { name: string; scalars: Record<string, number> };
}

export async function saveCheckpoint(path: string, ckpt: Checkpoint): Promise<void> {
  const tensors = new Map<string, SafetensorsInput>();
  for (const [k, t] of ckpt.model) tensors.set(`model.${k}`, t);
  for (const [k, b] of ckpt.optimizer?.state.buffers ?? []) tensors.set(`optimizer.${k}`, { shape: [b.length], data: b });
  for (const [k, b] of ckpt.ema ?? []) tensors.set(`ema.${k}`, { shape: [b.length], data: b });
  const header: Header = {
    format: FORMAT, epoch: ckpt.epoch, step: ckpt.step, rng: ckpt.rng, loader: ckpt.loader, config: ckpt.config,
    history: ckpt.history,
    optimizer: ckpt.optimizer === undefined ? undefined : { name: ckpt.optimizer.name, scalars: ckpt.optimizer.state.scalars },
  };
  // Non-finite numbers (an RNG's empty spare slot is NaN) survive JSON as null; restore them on load.
  await saveSafetensors(path, tensors, { sepconv: JSON.stringify(header) });
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const { tensors, metadata } = await loadSafetensors(path);
  const raw = metadata.sepconv;
  if (raw === undefined)
    throw new FormatError(`${path}: not a sepconv checkpoint (its safetensors metadata has no 'sepconv' entry); ` +
      'to load bare weights use loadSafetensors() and module.loadStateDict()');
  let header: Header;
  try {
    header = JSON.parse(raw) as Header;
  } catch (err) {
    throw new FormatError(`${path}: the checkpoint metadata is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || header.format !== FORMAT || !Number.isInteger(header.epoch) || !Number.isInteger(header.step))
    throw new FormatError(`${path}: unsupported checkpoint format ${JSON.stringify(header?.format)} (expected ${FORMAT})`);
  const model = new Map<string, SafetensorsInput>();
  const buffers = new Map<string, Float32Array>();
  const ema = new Map<string, Float32Array>();
  for (const [name, t] of tensors) {
    const dot = name.indexOf('.');
    const [group, key] = [name.slice(0, dot), name.slice(dot + 1)];
    if (group === 'model') model.set(key, { shape: t.shape, data: t.data });
    else if (group === 'optimizer') buffers.set(key, t.data);
    else if (group === 'ema') ema.set(key, t.data);
    else throw new FormatError(`${path}: unexpected tensor '${name}' (checkpoint tensors start with model., optimizer. or ema.)`);
  }
  const rng = header.rng?.map((v) => (v === null ? NaN : v));
  return {
    model, epoch: header.epoch, step: header.step, rng, loader: header.loader, config: header.config ?? {},
    history: header.history,
    optimizer: header.optimizer === undefined ? undefined : { name: header.optimizer.name, state: { buffers, scalars: header.optimizer.scalars } },
    ema: ema.size > 0 ? ema : undefined,
  };
}
