/**
 * Backend selection. Ops ask for kernels by name; the active backend answers, or the `js` reference when the
 * active backend lacks that kernel. Faster backends register themselves when loaded.
 */
import { ArgumentError } from '../errors.js';
import type { Backend, KernelName, Kernels } from './kernels.js';
import { jsBackend } from './js/index.js';
import { metaBackend } from './meta.js';

const backends = new Map<string, Backend>([[jsBackend.name, jsBackend], [metaBackend.name, metaBackend]]);
let active: Backend = jsBackend;

export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** Makes `name` the active backend ('js', 'wasm', 'native'). */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (b === undefined)
    throw new ArgumentError(`setBackend: unknown backend '${name}'; registered backends: ${[...backends.keys()].join(', ')}`);
  active = b;
}

export function getBackend(): string {
  return active.name;
}

export function listBackends(): string[] {
  return [...backends.keys()];
}

/** The active backend's kernel `name`, or the reference one. */
export function kernel<K extends KernelName>(name: K): Kernels[K] {
  return (active.kernels[name] ?? jsBackend.kernels[name]) as Kernels[K];
}

/** The reference kernel, whatever backend is active (tests compare against it). */
export function referenceKernel<K extends KernelName>(name: K): Kernels[K] {
  return jsBackend.kernels[name];
}
