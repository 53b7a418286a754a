/** Pooling over the H and W axes of NHWC tensors: max, average and global average. */
import type { PoolGeometry } from '../backend/kernels.js';
import { kernel } from '../backend/registry.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { record } from '../tensor/autograd.js';
import { Tensor, shapeToString } from '../tensor/tensor.js';
import { pair, resolvePadding, windowOutput, type Padding } from './padding.js';

export interface PoolOptions {
  /** Window size, a number or [h, w]. */
  kernelSize: number | readonly [number, number];
  /** Step between windows; defaults to kernelSize (non-overlapping windows, as PyTorch). */
  stride?: number | readonly [number, number];
  /** Default 'valid'. Each pad must be smaller than the window so that every window sees a real cell. */
  padding?: Padding;
}

export interface AvgPoolOptions extends PoolOptions {
  /** Whether padded cells count in the divisor (PyTorch default true, Keras/TF false); default false. */
  countIncludePad?: boolean;
}

function requireNhwc(x: Tensor, op: string): void {
  if (x.rank !== 4)
    throw new ShapeError(`${op}: expected an NHWC tensor of rank 4 [batch, height, width, channels], got ${shapeToString(x.shape)}`);
}

/** Validates the options against x and builds the window geometry the kernels take. */
export function poolGeometry(x: Tensor, opts: PoolOptions, op: string): PoolGeometry {
  requireNhwc(x, op);
  if (opts === null || typeof opts !== 'object' || opts.kernelSize === undefined)
    throw new ArgumentError(`${op}: options must include kernelSize, e.g. { kernelSize: 2 }`);
  const [kH, kW] = pair(opts.kernelSize, `${op} kernelSize`);
  const [strideH, strideW] = opts.stride === undefined ? [kH, kW] : pair(opts.stride, `${op} stride`);
  const [batch, inH, inW, channels] = x.shape;
  const pads = resolvePadding(opts.padding ?? 'valid', inH, inW, kH, kW, strideH, strideW, 1, 1, op);
  if (pads.top >= kH || pads.bottom >= kH || pads.left >= kW || pads.right >= kW)
    throw new ArgumentError(`${op}: padding [top ${pads.top}, bottom ${pads.bottom}, left ${pads.left}, right ${pads.right}] must be ` +
      `smaller than the window ${kH}x${kW} on each side, otherwise some windows would hold only padding`);
  const outH = windowOutput(inH, pads.top, pads.bottom, kH, strideH, 1, op, 'height');
  const outW = windowOutput(inW, pads.left, pads.right, kW, strideW, 1, op, 'width');
  return {
    batch, inH, inW, channels, outH, outW, kH, kW, strideH, strideW,
    padTop: pads.top, padLeft: pads.left, padBottom: pads.bottom, padRight: pads.right,
  };
}

/** Max over each window; padded cells never win. Gradient goes to the first maximum of each window. */
export function maxPool2d(x: Tensor, opts: PoolOptions): Tensor {
  const g = poolGeometry(x, opts, 'maxPool2d');
  const { y, argmax } = kernel('maxPool2d')(x.data, g);
  const backward = kernel('maxPool2dBackward');
  return record(new Tensor(y, [g.batch, g.outH, g.outW, g.channels]), 'maxPool2d', [x],
    (dy) => [backward(dy, argmax, g)], { ...g });
}

/** Mean over each window; padded cells count in the divisor only with countIncludePad. */
export function avgPool2d(x: Tensor, opts: AvgPoolOptions): Tensor {
  const g = poolGeometry(x, opts, 'avgPool2d');
  const countIncludePad = opts.countIncludePad ?? false;
  if (typeof countIncludePad !== 'boolean')
    throw new ArgumentError(`avgPool2d: countIncludePad must be a boolean, got ${JSON.stringify(countIncludePad)}`);
  const y = kernel('avgPool2d')(x.data, g, countIncludePad);
  const backward = kernel('avgPool2dBackward');
  return record(new Tensor(y, [g.batch, g.outH, g.outW, g.channels]), 'avgPool2d', [x],
    (dy) => [backward(dy, g, countIncludePad)], { ...g, countIncludePad });
}

/** Mean over H and W: [N, H, W, C] -> [N, C], or [N, 1, 1, C] with keepDims (e.g. for squeeze-and-excitation). */
export function globalAvgPool2d(x: Tensor, keepDims = false): Tensor {
  requireNhwc(x, 'globalAvgPool2d');
  const [batch, inH, inW, channels] = x.shape;
  if (inH === 0 || inW === 0)
    throw new ShapeError(`globalAvgPool2d: input ${shapeToString(x.shape)} has no spatial cells to average`);
  const g: PoolGeometry = {
    batch, inH, inW, channels, outH: 1, outW: 1, kH: inH, kW: inW, strideH: 1, strideW: 1,
    padTop: 0, padLeft: 0, padBottom: 0, padRight: 0,
  };
  const y = kernel('avgPool2d')(x.data, g, false);
  const backward = kernel('avgPool2dBackward');
  return record(new Tensor(y, keepDims ? [batch, 1, 1, channels] : [batch, channels]), 'globalAvgPool2d', [x],
    (dy) => [backward(dy, g, false)], { ...g, countIncludePad: false, global: true });
}
