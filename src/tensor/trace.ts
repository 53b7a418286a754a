/**
 * Observing ops as they run. Every op passes through `record` (autograd.ts), which reports here: the cost analyser
 * listens to op events (so functional ops such as residual adds and the SE multiply are counted, not only modules),
 * modules push their names so events and errors say which layer they came from, and the opt-in numerics check
 * stops at the first op that produced NaN or Inf.
 */
import { NumericsError } from '../errors.js';
import type { Tensor } from './tensor.js';

export interface OpEvent {
  op: string;
  inputs: readonly Tensor[];
  output: Tensor;
  /** Op-specific attributes (conv geometry, pool window, ...). */
  attrs: Readonly<Record<string, unknown>> | undefined;
  /** Dotted path of the module that ran the op ('' at top level), e.g. 'features.3.conv.1'. */
  scope: string;
}

type Listener = (event: OpEvent) => void;

const listeners: Listener[] = [];
const scopeStack: string[] = [];
let checkNumerics = false;

/** The dotted path of the module now running. */
export function currentScope(): string {
  return scopeStack.length === 0 ? '' : scopeStack[scopeStack.length - 1];
}

/** Runs `fn` inside the named child scope of the current one (Module.call uses this). */
export function inScope<T>(name: string, fn: () => T): T {
  const parent = currentScope();
  scopeStack.push(parent === '' ? name : `${parent}.${name}`);
  try {
    return fn();
  } finally {
    scopeStack.pop();
  }
}

/** Calls `listener` for every op run inside `fn`. */
export function traceOps<T>(listener: Listener, fn: () => T): T {
  listeners.push(listener);
  try {
    return fn();
  } finally {
    listeners.splice(listeners.indexOf(listener), 1);
  }
}

/** Turns the NaN/Inf check on or off (off by default: it reads every output). Returns the previous setting. */
export function setNumericsCheck(on: boolean): boolean {
  const previous = checkNumerics;
  checkNumerics = on;
  return previous;
}

function stats(t: Tensor): string {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let bad = 0;
  for (const v of t.data) {
    if (!Number.isFinite(v)) {
      bad++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const n = t.size - bad;
  // Four significant digits: enough to see the scale of a value, short enough to read three inputs in one line.
  const show = (v: number) => String(Number(v.toPrecision(4)));
  return `[${t.shape.join(', ')}] min ${show(min)} max ${show(max)} mean ${show(n > 0 ? sum / n : NaN)}` +
    (bad > 0 ? ` (${bad} non-finite)` : '');
}

/** Reports an op that just ran. */
export function emitOp(op: string, inputs: readonly Tensor[], output: Tensor, attrs?: Record<string, unknown>): void {
  if (checkNumerics) {
    const d = output.data;
    for (let i = 0; i < d.length; i++)
      if (!Number.isFinite(d[i])) {
        const where = currentScope() === '' ? '' : ` in layer '${currentScope()}'`;
        throw new NumericsError(`${op}${where} produced ${d[i]} at output index ${i}; inputs: ` +
          inputs.map((t) => stats(t)).join('; ') + '. Lower the learning rate, check the input data, or add normalisation');
      }
  }
  if (listeners.length === 0) return;
  const event: OpEvent = { op, inputs, output, attrs, scope: currentScope() };
  for (const l of listeners) l(event);
}
