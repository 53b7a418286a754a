/** Reading files for the ONNX commands (inspect, run): a missing or unreadable file is a one-line CommandError. */
import { readFileSync } from 'node:fs';
import { importOnnx, type OnnxModel } from '../../io/onnx/import.js';
import { CommandError } from '../output.js';

/** The bytes of `path`; `what` names the file in the error ("model", "input"). */
export function readInputFile(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CommandError(`cannot read the ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Imports an ONNX file (FormatErrors from the importer pass through with the file name in front). */
export function loadOnnxFile(path: string): OnnxModel {
  const bytes = readInputFile(path, 'model');
  try {
    return importOnnx(bytes);
  } catch (err) {
    if (err instanceof Error && err.name === 'FormatError') err.message = `${path}: ${err.message}`;
    throw err;
  }
}

/** "1x3x224x224"-style text of ONNX dims, '?' for unknown and the name for symbolic ones. */
export function dimsText(dims: readonly (number | string | null)[] | null): string {
  return dims === null ? '(unknown shape)' : `[${dims.map((d) => d ?? '?').join(', ')}]`;
}
