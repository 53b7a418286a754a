/** Checkpoint files: written atomically (temp file + rename), read and validated (format in checkpoint_codec.ts). */
import { readFile } from 'node:fs/promises';
import { saveSafetensors } from '../io/safetensors.js';
import { checkpointContents, decodeCheckpoint, type Checkpoint } from './checkpoint_codec.js';

export { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint_codec.js';

/** Writes `ckpt` to `path`; if anything fails, the previous file is left as it was. */
export async function saveCheckpoint(path: string, ckpt: Checkpoint): Promise<void> {
  const { tensors, metadata } = checkpointContents(ckpt);
  await saveSafetensors(path, tensors, metadata);
}

/** Reads and validates a checkpoint written by {@link saveCheckpoint}. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  return decodeCheckpoint(new Uint8Array(await readFile(path)), path);
}
