/** Pooling layers over the H and W axes of NHWC activations. */
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../ops/pool.js';
import { pair, type Padding } from '../ops/padding.js';
import { Tensor } from '../tensor/tensor.js';
import { checkPadding } from './args.js';
import { Module } from './module.js';

type Pair = number | readonly [number, number];

export interface Pool2dOptions {
  kernelSize: Pair;
  /** Defaults to kernelSize (non-overlapping windows). */
  stride?: Pair;
  /** 'valid' (default), 'same' or explicit amounts. */
  padding?: Padding;
}

function poolRepr(k: [number, number], s: [number, number], padding: Padding): string {
  const p = (v: [number, number]) => (v[0] === v[1] ? `${v[0]}` : `[${v[0]}, ${v[1]}]`);
  return `kernelSize=${p(k)}, stride=${p(s)}${padding === 'valid' ? '' : `, padding=${JSON.stringify(padding)}`}`;
}

/** Maximum over each window. */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;

  constructor(o: Pool2dOptions) {
    super();
    this.kernelSize = pair(o.kernelSize, 'MaxPool2d: kernelSize');
    this.stride = pair(o.stride ?? this.kernelSize, 'MaxPool2d: stride');
    this.padding = checkPadding(o.padding ?? 'valid', 'MaxPool2d');
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding });
  }

  protected override extraRepr(): string {
    return poolRepr(this.kernelSize, this.stride, this.padding);
  }
}

/** Mean over each window; padded cells are left out of the divisor unless countIncludePad. */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;
  readonly countIncludePad: boolean;

  constructor(o: Pool2dOptions & { countIncludePad?: boolean }) {
    super();
    this.kernelSize = pair(o.kernelSize, 'AvgPool2d: kernelSize');
    this.stride = pair(o.stride ?? this.kernelSize, 'AvgPool2d: stride');
    this.padding = checkPadding(o.padding ?? 'valid', 'AvgPool2d');
    this.countIncludePad = o.countIncludePad ?? false;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, countIncludePad: this.countIncludePad });
  }

  protected override extraRepr(): string {
    return poolRepr(this.kernelSize, this.stride, this.padding) + (this.countIncludePad ? ', countIncludePad=true' : '');
  }
}

/** Mean over H and W: [N, H, W, C] -> [N, C], or [N, 1, 1, C] with keepDims. */
export class GlobalAvgPool2d extends Module {
  readonly keepDims: boolean;

  constructor(options: { keepDims?: boolean } = {}) {
    super();
    this.keepDims = options.keepDims ?? false;
  }

  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x, this.keepDims);
  }

  protected override extraRepr(): string {
    return this.keepDims ? 'keepDims=true' : '';
  }
}
