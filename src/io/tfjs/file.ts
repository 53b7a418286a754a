/** Node-only: loading a TF.js model from a model.json path, with its weight shards read from the same folder. */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { FormatError } from '../../errors.js';
import { loadTfjsModelWith } from './load.js';
import type { TfjsModel } from './model.js';

/** A shard path that stays inside the model's folder: relative, no ".." segment. */
function checkShardPath(path: string): void {
  if (isAbsolute(path) || path.split(/[\\/]/).includes('..') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path))
    throw new FormatError(`TF.js weightsManifest: shard path "${path}" must be a file name relative to model.json ` +
      '(absolute paths, URLs and ".." are not read)');
}

/**
 * Loads the TF.js model whose model.json is at `path`, reading the weight shards it lists from the same folder.
 * Throws an Error with the OS code for an unreadable model.json, and FormatErrors as `loadTfjsModel` does (a shard
 * that does not exist is reported as missing).
 */
export function loadTfjsModelFromFile(path: string): TfjsModel {
  const text = readFileSync(path, 'utf8');
  const dir = dirname(path);
  return loadTfjsModelWith(text, (shard) => {
    checkShardPath(shard);
    try {
      return readFileSync(join(dir, shard));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new FormatError(`TF.js weight shard "${shard}" cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });
}
