/**
 * The page side of the model worker: one worker shared by the Model explorer and the Run tab, requests answered in
 * order, progress text forwarded, and a crashed worker (out of memory on a huge model) replaced so the next
 * request works.
 */
import type { ExploreRequest, ExploreResult, ModelRequest, ModelResponse, RunRequest, RunResult } from '../workers/protocol.js';

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  progress?: (text: string) => void;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function start(): Worker {
  const w = new Worker(new URL('../workers/model_worker.ts', import.meta.url), { type: 'module', name: 'sepconv-models' });
  w.onmessage = (e: MessageEvent<ModelResponse>) => {
    const msg = e.data;
    const p = pending.get(msg.id);
    if (p === undefined) return;
    if ('progress' in msg) return p.progress?.(msg.progress);
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(msg.error));
  };
  w.onerror = (e) => {
    e.preventDefault();
    const reason = e.message !== '' ? e.message : 'the model worker stopped (out of memory?)';
    for (const p of pending.values()) p.reject(new Error(`${reason}; try a smaller model or input`));
    pending.clear();
    w.terminate();
    if (worker === w) worker = null;
  };
  return w;
}

function send<T>(request: ModelRequest, progress?: (text: string) => void): Promise<T> {
  worker ??= start();
  const id = nextId++;
  const w = worker;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (r: unknown) => void, reject, progress });
    w.postMessage({ id, request });
  });
}

export function exploreModel(request: Omit<ExploreRequest, 'type'>, progress?: (text: string) => void): Promise<ExploreResult> {
  return send({ type: 'explore', ...request }, progress);
}

export function runModel(request: Omit<RunRequest, 'type'>, progress?: (text: string) => void): Promise<RunResult> {
  return send({ type: 'run', ...request }, progress);
}
