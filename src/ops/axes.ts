/** Axis arguments: negative axes count from the end, as in NumPy and PyTorch. */
import { ArgumentError } from '../errors.js';

export function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank)
    throw new ArgumentError(`${where}: axis ${axis} is out of range for a tensor of rank ${rank} (valid: ${-rank}..${rank - 1})`);
  return a;
}
