/**
 * Reverse-mode autograd. Each op output that needs gradients holds a GradFn: its inputs and a closure mapping the
 * output gradient to input gradients (raw arrays, computed by backend kernels). `backward()` walks the graph in
 * reverse topological order and accumulates into the `.grad` of leaves.
 */
import { ShapeError } from '../errors.js';
import { keep } from './memory.js';
import { Tensor, shapeToString } from './tensor.js';
import { emitOp } from './trace.js';

export interface GradFn {
  /** Op name, for error messages and graph dumps. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients for each input (null where an input needs none), given the gradient of the output. */
  backward(gradOut: Float32Array): (Float32Array | null)[];
}

let gradEnabled = true;

/** Whether ops currently record gradients. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording gradients (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Every op ends by calling this with its output. It attaches a GradFn if any input requires gradients and recording
 * is on (`backward` runs later, during `loss.backward()`), and reports the op to tracers (trace.ts) with `attrs`.
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: GradFn['backward'],
  attrs?: Record<string, unknown>): Tensor {
  emitOp(op, inputs, out, attrs);
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep networks would overflow the call stack with recursion.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

export function runBackward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad)
    throw new ShapeError('backward: this tensor does not require gradients (no parameter or input with requiresGrad led to it); ' +
      'compute the loss from parameters (or inputs with requiresGrad = true), outside noGrad()');
  let seedData: Float32Array;
  if (seed === undefined) {
    if (root.size !== 1)
      throw new ShapeError(`backward: called without a gradient on a tensor of shape ${shapeToString(root.shape)}; ` +
        'pass a gradient of the same shape or reduce to a scalar loss first');
    seedData = new Float32Array([1]);
  } else {
    if (seed.size !== root.size)
      throw new ShapeError(`backward: gradient shape ${shapeToString(seed.shape)} does not match tensor shape ${shapeToString(root.shape)}`);
    seedData = seed.data;
  }
  const grads = new Map<Tensor, Float32Array>([[root, seedData]]);
  for (const t of topoOrder(root)) {
    const g = grads.get(t);
    if (g === undefined) continue;
    grads.delete(t);
    const fn = t.gradFn;
    if (fn === null) {
      accumulateLeaf(t, g);
      continue;
    }
    const inputGrads = fn.backward(g);
    fn.inputs.forEach((input, i) => {
      const ig = inputGrads[i];
      if (!input.requiresGrad || ig === null || ig === undefined) return;
      if (ig.length !== input.size)
        throw new ShapeError(`backward of ${fn.op}: gradient for input ${i} has ${ig.length} values, input has shape ${shapeToString(input.shape)}`);
      // Stored gradients are never mutated in place: backward closures may return aliases (of gradOut, or one
      // array for two inputs), so a second contribution makes a new sum.
      const prev = grads.get(input);
      if (prev === undefined) grads.set(input, ig);
      else {
        const sum = new Float32Array(prev.length);
        for (let k = 0; k < sum.length; k++) sum[k] = prev[k] + ig[k];
        grads.set(input, sum);
      }
    });
  }
}

function accumulateLeaf(t: Tensor, g: Float32Array): void {
  if (t.grad === null || t.grad.isDisposed) {
    // Gradients outlive the tidy scope of the step that computed them (optimizers read them afterwards).
    t.grad = keep(new Tensor(g.slice(), t.shape));
  } else {
    const acc = t.grad.data;
    for (let k = 0; k < acc.length; k++) acc[k] += g[k];
  }
}
