/** Writing result files (plots, JSON) from commands. */
import { writeFileSync } from 'node:fs';
import { SepconvError } from '../errors.js';

/** A command failed for a reason outside the arguments' form (a file could not be written, ...): exit code 1. */
export class CommandError extends SepconvError {}

/** Writes `text` to `path`, turning file-system failures into a one-line CommandError. */
export function writeTextFile(path: string, text: string, what: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CommandError(`cannot write the ${what} to '${path}': ${reason}`);
  }
}
