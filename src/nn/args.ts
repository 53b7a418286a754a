/** Constructor-argument and input checks shared by the layers, so that bad configurations fail at construction. */
import { ArgumentError, ShapeError } from '../errors.js';
import { resolvePadding, type Padding } from '../ops/padding.js';
import { shapeToString, type Tensor } from '../tensor/tensor.js';

/** `value` must be an integer >= `min` (1 unless given); `what` is e.g. "Conv2d: inChannels". */
export function checkInt(value: number, what: string, min = 1): number {
  if (!Number.isInteger(value) || value < min)
    throw new ArgumentError(`${what} must be an integer >= ${min}, got ${value}`);
  return value;
}

/** Validates a padding spec now rather than at the first forward pass (resolved against a 1x1 window). */
export function checkPadding(padding: Padding, what: string): Padding {
  resolvePadding(padding, 1, 1, 1, 1, 1, 1, 1, 1, what);
  return padding;
}

/**
 * Throws a ShapeError unless `x` is NHWC with `channels` channels; `setting` names the layer option that fixed the
 * count (Module.call prefixes the layer path and class).
 */
export function expectNHWC(x: Tensor, channels: number, setting: string): void {
  if (x.rank !== 4 || x.shape[3] !== channels)
    throw new ShapeError(`expected an NHWC input [N, H, W, ${channels}] (${setting} = ${channels}), got ${shapeToString(x.shape)}; ` +
      (x.rank === 4 ? `the previous layer must output ${channels} channels, or build this layer with ${setting} = ${x.shape[3]}`
        : 'reshape the input to [N, H, W, C] (channels last)'));
}
