/** Parsers for option values; each throws a UsageError naming the option, what it got and the accepted form. */
import { UsageError } from './command.js';

/** "224x224x3" -> [224, 224, 3] (height, width, channels; positive integers). */
export function parseShape(text: string, option: string): [number, number, number] {
  const m = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text);
  const dims = m === null ? [] : [Number(m[1]), Number(m[2]), Number(m[3])];
  if (dims.length !== 3 || dims.some((d) => !Number.isSafeInteger(d) || d < 1))
    throw new UsageError(`--${option} '${text}' is not a shape; the accepted form is HxWxC with positive integers, e.g. 224x224x3`);
  return dims as [number, number, number];
}

/** A positive integer, e.g. for --classes or --cin. */
export function parsePositiveInt(text: string, option: string): number {
  const v = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`--${option} must be a positive integer, got '${text}'`);
  return v;
}

/** A finite number > 0, e.g. for --alpha. */
export function parsePositiveNumber(text: string, option: string): number {
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${option} must be a number greater than 0, got '${text}'`);
  return v;
}

/** One of `choices`. */
export function parseChoice<T extends string>(text: string, option: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text))
    throw new UsageError(`--${option} must be one of ${choices.join(', ')}; got '${text}'`);
  return text as T;
}
