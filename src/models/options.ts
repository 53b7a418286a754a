/** Checks shared by the model builders, so that impossible configurations fail with one clear line. */
import { ArgumentError } from '../errors.js';

/** numClasses must be an integer >= 1. */
export function checkNumClasses(value: number, builder: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ArgumentError(`${builder}: numClasses must be an integer >= 1, got ${value}`);
  return value;
}

/** A width multiplier (alpha, width) must be a finite number > 0. */
export function checkMultiplier(value: number, what: string, builder: string): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new ArgumentError(`${builder}: ${what} must be a number > 0 (1 is the published width), got ${value}`);
  return value;
}

/** A drop probability must be in [0, 1). */
export function checkProbability(value: number, what: string, builder: string): number {
  if (!(value >= 0 && value < 1))
    throw new ArgumentError(`${builder}: ${what} must be in [0, 1), got ${value}`);
  return value;
}

/** Input channels must be an integer >= 1 (3 for RGB, 1 for grey). */
export function checkInChannels(value: number, builder: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ArgumentError(`${builder}: inChannels must be an integer >= 1 (3 for RGB, 1 for greyscale), got ${value}`);
  return value;
}

/** The input side must be an integer no smaller than the network's total stride (else a feature map vanishes). */
export function checkResolution(value: number, totalStride: number, builder: string): number {
  if (!Number.isInteger(value) || value < totalStride)
    throw new ArgumentError(`${builder}: resolution must be an integer >= ${totalStride} (the network's total stride), got ${value}`);
  return value;
}
