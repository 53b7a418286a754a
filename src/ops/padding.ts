/**
 * Padding and output-size rules shared by convolutions and pools.
 * 'valid': no padding. 'same': output = ceil(input / stride), the total padding split with the extra cell at the
 * bottom/right (TensorFlow and ONNX SAME_UPPER). A number pads all sides; [h, w] pads top/bottom by h and left/right
 * by w; [top, bottom, left, right] is explicit and may be asymmetric.
 */
import { ArgumentError, ShapeError } from '../errors.js';

export type Padding = 'same' | 'valid' | number | readonly [number, number] | readonly [number, number, number, number];

export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** A positive integer pair from a number or [h, w]; `what` names the argument in errors. */
export function pair(value: number | readonly [number, number], what: string, min = 1): [number, number] {
  const p: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  if (typeof value !== 'number' && value.length !== 2)
    throw new ArgumentError(`${what}: expected a number or [h, w], got [${value.join(', ')}]`);
  for (const v of p)
    if (!Number.isInteger(v) || v < min)
      throw new ArgumentError(`${what}: must be an integer >= ${min}, got ${typeof value === 'number' ? value : `[${value.join(', ')}]`}`);
  return p;
}

function samePad(size: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Resolves a padding spec for a window of kH x kW (already dilated extents are computed here). */
export function resolvePadding(padding: Padding, inH: number, inW: number, kH: number, kW: number,
  strideH: number, strideW: number, dilationH: number, dilationW: number, where: string): Pads {
  if (padding === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (padding === 'same') {
    const [top, bottom] = samePad(inH, kH, strideH, dilationH);
    const [left, right] = samePad(inW, kW, strideW, dilationW);
    return { top, bottom, left, right };
  }
  let p: number[];
  if (typeof padding === 'number') p = [padding, padding, padding, padding];
  else if (Array.isArray(padding) && padding.length === 2) p = [padding[0], padding[0], padding[1], padding[1]];
  else if (Array.isArray(padding) && padding.length === 4) p = [...padding];
  else throw new ArgumentError(`${where}: padding must be 'same', 'valid', a number, [h, w] or [top, bottom, left, right], got ${JSON.stringify(padding)}`);
  for (const v of p)
    if (!Number.isInteger(v) || v < 0)
      throw new ArgumentError(`${where}: padding values must be non-negative integers, got ${JSON.stringify(padding)}`);
  return { top: p[0], bottom: p[1], left: p[2], right: p[3] };
}

/** Output length of a sliding window; throws if the (dilated) window is larger than the padded input. */
export function windowOutput(size: number, padBefore: number, padAfter: number, k: number, stride: number,
  dilation: number, where: string, axis: string): number {
  const extent = (k - 1) * dilation + 1;
  const padded = size + padBefore + padAfter;
  if (extent > padded)
    throw new ShapeError(`${where}: kernel ${axis} extent ${extent} (kernel ${k}, dilation ${dilation}) is larger than the padded input ` +
      `${axis} ${padded} (input ${size} + padding ${padBefore}+${padAfter}); use a smaller kernel, more padding or a larger input`);
  return Math.floor((padded - extent) / stride) + 1;
}
