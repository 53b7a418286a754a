/**
 * A worker thread of a threaded wasm plan: its own instance of wasm/sepconv-mt.wasm on the plan's shared memory
 * (with its own stack), running its part of every step each time the main thread starts a run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CONTROL_WORDS, FAILED, RUN, STOP, barrier } from './barrier.js';
import type { Task } from './wasm_steps.js';

export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Top of this thread's stack in the shared memory. */
  stackTop: number;
  /** Byte offset of the control words. */
  control: number;
  threads: number;
  /** Export names, by task function index. */
  functions: readonly string[];
  /** For each phase of the plan, this thread's calls (empty for phases only the main thread runs). */
  phases: Task[][];
  /** Whether the threads meet after each phase (wasm_executor's barriersAfter). */
  barriers: boolean[];
}

const data = workerData as WorkerData;
const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
const exports = instance.exports as Record<string, unknown>;
(exports['__stack_pointer'] as WebAssembly.Global).value = data.stackTop;
const functions = data.functions.map((name) => exports[name] as (...args: number[]) => void);
const phases = data.phases.map((tasks) => tasks.map(([fn, ...args]) => () => functions[fn](...args)));
const control = new Int32Array(data.memory.buffer, data.control, CONTROL_WORDS);

// Read before saying ready: the first run may start as soon as the main thread hears it.
let runs = Atomics.load(control, RUN);
parentPort!.postMessage('ready');
for (;;) {
  Atomics.wait(control, RUN, runs);
  if (Atomics.load(control, STOP) !== 0) break;
  runs = Atomics.load(control, RUN);
  for (const [i, calls] of phases.entries()) {
    try {
      for (const c of calls) c();
    } catch {
      Atomics.store(control, FAILED, 1);
    }
    if (data.barriers[i]) barrier(control, data.threads);
  }
}
