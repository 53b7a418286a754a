/**
 * The runtimes the benchmarks compare, each behind the Runner interface: sepconv's compiled plan and ONNX Runtime
 * Node in this thread; ONNX Runtime Web and TF.js (cpu, wasm) each in a worker thread of their own, since both
 * configure their backend once per process (thread count, backend choice) and the runs are interleaved.
 */
import { Worker } from 'node:worker_threads';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { getBackend, setBackend } from '../src/backend/registry.js';
import type { Module } from '../src/nn/module.js';
import type { InferencePlan } from '../src/plan/compile.js';
import { timeOnce } from '../src/plan/benchmark.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Runner } from './common.js';
import type { PortableGraph } from './tfjs_steps.js';
import type { WorkerRequest, WorkerSetup } from './runner_worker.js';

/**
 * A compiled plan; each run copies x in and the output out (`run`), or with `inPlace` only executes on x already in
 * the plan's memory (the layer benchmark times kernels, not copies).
 */
export function planRunner(name: string, plan: InferencePlan, x: Float32Array, inPlace = false): Runner {
  const input = new Tensor(x, plan.inputShape);
  const out = new Float32Array(plan.outputShape.reduce((a, b) => a * b, 1));
  if (inPlace) plan.inputData.set(x);
  return {
    name, threads: plan.threads,
    run: async () => timeOnce(inPlace ? () => plan.execute() : () => plan.run(input, out)),
    output: async () => (inPlace ? plan.outputData.slice() : out),
    dispose: async () => plan.dispose(),
  };
}

/**
 * The model's eager forward pass (eval mode, no autograd) on `backend` with `threads.set(n)` threads, put back to
 * what `threads.get()` said after each run (outside the timing), since plans share the native pool.
 */
export function eagerRunner(name: string, model: Module, x: Float32Array, shape: number[], backend: string, count: number,
  threads: { get(): number; set(n: number): void }): Runner {
  const input = new Tensor(x, shape);
  let last: Float32Array | null = null;
  return {
    name, threads: count,
    run: async () => {
      const [previousBackend, previousThreads] = [getBackend(), threads.get()];
      setBackend(backend);
      threads.set(count);
      model.eval();
      try {
        return timeOnce(() => (last = noGrad(() => model.call(input)).data));
      } finally {
        setBackend(previousBackend);
        threads.set(previousThreads);
      }
    },
    output: async () => last,
    dispose: async () => undefined,
  };
}

/**
 * ONNX Runtime Node on its CPU execution provider, `threads` intra-op threads, all graph optimisations. Its pool
 * threads do not spin after a run: in interleaved rounds they would take the cores from the next runner.
 */
export async function ortNodeRunner(bytes: Uint8Array, xNchw: Float32Array, dims: number[], threads: number): Promise<Runner> {
  const session = await InferenceSession.create(bytes, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const feeds = { [session.inputNames[0]]: new OrtTensor('float32', xNchw, dims) };
  let last: Float32Array | null = null;
  return {
    name: 'onnxruntime-node', threads,
    run: async () => {
      const t0 = performance.now();
      const out = await session.run(feeds);
      const ms = performance.now() - t0;
      last = out[session.outputNames[0]].data as Float32Array;
      return ms;
    },
    output: async () => last,
    dispose: () => session.release(),
  };
}

/** A runtime hosted in a worker thread (bench/runner_worker.ts); times are measured inside the worker. */
export async function workerRunner(name: string, setup: WorkerSetup): Promise<Runner> {
  const worker = new Worker(new URL('./runner_worker.js', import.meta.url), { workerData: setup });
  let pending: ((value: unknown) => void) | null = null;
  let failed: ((e: unknown) => void) | null = null;
  worker.on('message', (m) => pending?.(m));
  worker.on('error', (e) => failed?.(e));
  const ask = <T>(request: WorkerRequest | null): Promise<T> => new Promise<T>((resolve, reject) => {
    pending = resolve as (value: unknown) => void;
    failed = reject;
    if (request !== null) worker.postMessage(request);
  });
  await ask<string>(null); // 'ready'
  return {
    name, threads: setup.threads,
    run: () => ask<number>('run'),
    output: () => ask<Float32Array>('output'),
    dispose: async () => {
      await worker.terminate();
    },
  };
}

export type { PortableGraph };
