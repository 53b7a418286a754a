/**
 * The float32 tensor: a contiguous row-major Float32Array and a shape. Activations are channels-last (NHWC).
 * Autograd state lives here too (`requiresGrad`, `grad`, `gradFn`); the engine that fills `grad` is in autograd.ts.
 */
import { DisposedError, ShapeError } from '../errors.js';
import { runBackward, type GradFn } from './autograd.js';
import { trackTensor, untrackTensor } from './memory.js';

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Whether two shapes are identical (same rank, same sizes). */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkShape(shape: Shape, where: string): void {
  for (const d of shape)
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`${where}: invalid shape ${shapeToString(shape)}: every dimension must be a non-negative integer`);
}

let nextId = 0;

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  /** Whether gradients flow to this tensor. Parameters set it; op outputs inherit it from their inputs. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf tensor after `backward()`; null until then. */
  grad: Tensor | null = null;
  /** How this tensor was computed, when it is part of a graph that needs gradients. */
  gradFn: GradFn | null = null;
  /** Optional name, used in error messages and state dicts. */
  name: string | undefined;
  private storage: Float32Array | null;

  constructor(data: Float32Array | readonly number[], shape: Shape, requiresGrad = false) {
    checkShape(shape, 'Tensor');
    const size = shapeSize(shape);
    if (data.length !== size)
      throw new ShapeError(`Tensor: data has ${data.length} elements but shape ${shapeToString(shape)} needs ${size}`);
    this.storage = data instanceof Float32Array ? data : Float32Array.from(data);
    this.shape = Object.freeze([...shape]);
    this.size = size;
    this.requiresGrad = requiresGrad;
    trackTensor(this);
  }

  static zeros(shape: Shape, requiresGrad = false): Tensor {
    checkShape(shape, 'Tensor.zeros');
    return new Tensor(new Float32Array(shapeSize(shape)), shape, requiresGrad);
  }

  static full(shape: Shape, value: number, requiresGrad = false): Tensor {
    checkShape(shape, 'Tensor.full');
    return new Tensor(new Float32Array(shapeSize(shape)).fill(value), shape, requiresGrad);
  }

  static scalar(value: number): Tensor {
    return new Tensor(new Float32Array([value]), []);
  }

  /** The underlying data (row-major). Throws if the tensor was disposed. */
  get data(): Float32Array {
    if (this.storage === null)
      throw new DisposedError(`Tensor ${this.name ?? '#' + this.id} ${shapeToString(this.shape)} was used after dispose() ` +
        '(or after the tidy() scope that created it ended); keep() it or return it from tidy() to use it later');
    return this.storage;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storage === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`Tensor.item: tensor has shape ${shapeToString(this.shape)}, not one element; reduce it first ` +
      '(e.g. ops.mean) or read .data');
    return this.data[0];
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  /** Frees the data and the autograd graph behind this tensor. Safe to call twice. */
  dispose(): void {
    if (this.storage === null) return;
    untrackTensor(this);
    this.storage = null;
    this.gradFn = null;
  }

  /** Replaces the data in place (same size), e.g. for optimizer updates and loading state dicts. */
  assign(data: Float32Array): void {
    if (data.length !== this.size)
      throw new ShapeError(`Tensor.assign: got ${data.length} values for a tensor of shape ${shapeToString(this.shape)}`);
    this.data.set(data);
  }

  /** A new tensor with a copy of the data and no graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** A new tensor sharing nothing with the graph (a copy of the data, requiresGrad false). */
  detach(): Tensor {
    return this.clone();
  }

  /**
   * Back-propagates from this tensor. With no argument it must hold one element (a loss); `grad` (same shape)
   * seeds the gradient otherwise. Gradients accumulate into `.grad` of every leaf that requires them.
   */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  toString(): string {
    return `Tensor${shapeToString(this.shape)}`;
  }
}
