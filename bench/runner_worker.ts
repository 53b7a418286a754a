/**
 * Worker thread hosting one runtime for the benchmarks: ONNX Runtime Web (wasm backend, its own thread count) or
 * TF.js (cpu or wasm backend, the network given as sepconv plan steps). Answers 'run' with the milliseconds of
 * one forward pass and 'output' with the last result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PortableGraph } from './tfjs_steps.js';

export type WorkerSetup =
  | { kind: 'ort-web'; threads: number; model: Uint8Array; input: Float32Array; dims: number[] }
  | { kind: 'tfjs-cpu' | 'tfjs-wasm'; threads: number; graph: PortableGraph; input: Float32Array };

export type WorkerRequest = 'run' | 'output';

async function ortWeb(s: Extract<WorkerSetup, { kind: 'ort-web' }>): Promise<{ run: () => Promise<Float32Array> }> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = s.threads;
  // As for ONNX Runtime Node: pool threads do not spin after a run, which would take cores from the next runner.
  const session = await ort.InferenceSession.create(s.model, {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', s.input, s.dims) };
  return { run: async () => (await session.run(feeds))[session.outputNames[0]].data as Float32Array };
}

async function tfjs(s: Extract<WorkerSetup, { kind: 'tfjs-cpu' | 'tfjs-wasm' }>): Promise<{ run: () => Promise<Float32Array> }> {
  const tf = await import('@tensorflow/tfjs');
  if (s.kind === 'tfjs-wasm') {
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    const { fileURLToPath } = await import('node:url');
    // The .wasm files ship in the npm package: load them from node_modules, no network.
    setWasmPaths(fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url)));
  }
  if (!(await tf.setBackend(s.kind === 'tfjs-wasm' ? 'wasm' : 'cpu'))) throw new Error(`TF.js backend ${s.kind} did not load`);
  const { tfjsForward } = await import('./tfjs_steps.js');
  const forward = tfjsForward(tf, s.graph);
  return { run: async () => forward(s.input) };
}

const setup = workerData as WorkerSetup;
const runtime = setup.kind === 'ort-web' ? await ortWeb(setup) : await tfjs(setup);
let last: Float32Array | null = null;
parentPort!.on('message', async (request: WorkerRequest) => {
  if (request === 'output') {
    parentPort!.postMessage(last);
    return;
  }
  const t0 = performance.now();
  last = await runtime.run();
  parentPort!.postMessage(performance.now() - t0);
});
parentPort!.postMessage('ready');
