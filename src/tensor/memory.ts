/**
 * Live-tensor accounting and `tidy` scopes. Tensor storage is an ordinary Float32Array (garbage collected), but
 * long training loops still need explicit lifetimes: `tidy` disposes every tensor created inside it except the ones
 * it returns, which drops the data and the autograd graph at once, so memory stays flat step after step.
 */
import { Tensor } from './tensor.js';

let liveTensors = 0;
let liveBytes = 0;
const scopes: Set<Tensor>[] = [];

/** Called by the Tensor constructor. */
export function trackTensor(t: Tensor): void {
  liveTensors++;
  liveBytes += t.size * 4;
  const scope = scopes[scopes.length - 1];
  if (scope !== undefined) scope.add(t);
}

/** Called by Tensor.dispose (once per tensor). */
export function untrackTensor(t: Tensor): void {
  liveTensors--;
  liveBytes -= t.size * 4;
  for (const scope of scopes) scope.delete(t);
}

/** Removes a tensor from every open scope so that `tidy` will not dispose it. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

export interface MemoryInfo {
  /** Tensors created and not yet disposed (garbage-collected tensors that were never disposed still count). */
  numTensors: number;
  /** Bytes held by those tensors' data. */
  numBytes: number;
}

export function memory(): MemoryInfo {
  return { numTensors: liveTensors, numBytes: liveBytes };
}

type TensorContainer = Tensor | TensorContainer[] | { [key: string]: TensorContainer } | number | string | boolean | null | undefined | void;

function collect(value: unknown, out: Set<Tensor>): void {
  if (value instanceof Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collect(v, out);
}

/**
 * Runs `fn` and disposes every tensor it created, except tensors in its result (a tensor, an array or a plain
 * object of tensors) and tensors passed to `keep`. Scopes nest; kept results move to the enclosing scope.
 */
export function tidy<T extends TensorContainer>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw err;
  }
  scopes.pop();
  const kept = new Set<Tensor>();
  collect(result, kept);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent !== undefined) for (const t of kept) if (scope.has(t)) parent.add(t);
  return result;
}
