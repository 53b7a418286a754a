/**
 * safetensors checkpoints on disk: atomic saves (see atomic_write.ts) and fully validated loads. The format itself
 * (and the in-memory encode/decode that browsers use) is in safetensors_codec.ts.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomic } from './atomic_write.js';
import { decodeSafetensors, safetensorsChunks, type SafetensorsContents, type SafetensorsInput } from './safetensors_codec.js';

export { decodeSafetensors, encodeSafetensors, type SafetensorsContents, type SafetensorsInput,
  type SafetensorsTensor } from './safetensors_codec.js';

/**
 * Writes `tensors` (as F32, in name order) and string `metadata` to `path`, replacing any previous file atomically:
 * if anything fails, the previous file is left as it was. A `Map<string, Tensor>` (e.g. `module.stateDict()`) can be
 * passed as is.
 */
export async function saveSafetensors(path: string, tensors: ReadonlyMap<string, SafetensorsInput>,
    metadata?: Record<string, string>): Promise<void> {
  // safetensorsChunks validates every tensor before the target directory is touched.
  await writeFileAtomic(path, safetensorsChunks(tensors, metadata));
}

/** Reads and validates a safetensors file; every tensor comes back as float32 (FormatError names file, tensor, byte). */
export async function loadSafetensors(path: string): Promise<SafetensorsContents> {
  return decodeSafetensors(new Uint8Array(await readFile(path)), basename(path));
}
