/** What a compiled plan did: its steps, the fusions applied, the ops left to eager execution, and its memory. */
import type { FusionRecord } from './fusions.js';
import { activationName, type FusionKind, type PlanGraph, type Step } from './ir.js';

export interface StepReport {
  /** The fused kernel that runs: 'conv', 'depthwise', 'gemm', 'dwpw', 'affine', 'add', ..., or 'eager'. */
  kind: string;
  /** The layer (module path) the step starts in. */
  scope: string;
  /** What was fused into the step. */
  fused: string[];
  /** State-dict keys of the model parameters and buffers folded into the step's weights. */
  weights: string[];
  /** For eager steps: the op. */
  op?: string;
}

/** An op the plan runs eagerly, and why. */
export interface FallbackNote {
  op: string;
  scope: string;
  reason: string;
}

export interface PlanReport {
  backend: string;
  threads: number;
  inputShape: number[];
  outputShape: number[];
  steps: StepReport[];
  fusions: FusionRecord[];
  /** Fusions applied, by kind. */
  counts: Record<FusionKind, number>;
  fallbacks: FallbackNote[];
  memory: {
    /** Bytes of the planned activation arena. */
    activationBytes: number;
    /** What the activations would take without reuse. */
    unsharedActivationBytes: number;
    weightBytes: number;
    scratchBytes: number;
    /** Everything the plan holds (for wasm, the module's memory). */
    totalBytes: number;
  };
}

function stepReport(s: Step): StepReport {
  const base = { kind: s.kind, scope: s.scopes[0] ?? '', fused: [...s.fused], weights: [...s.weights] };
  if (s.kind === 'eager') return { ...base, op: s.op };
  if (s.kind === 'unary') return { ...base, fused: [activationName(s.act), ...base.fused] };
  return base;
}

export function buildReport(backend: string, threads: number, graph: PlanGraph, fusions: FusionRecord[], fallbacks: FallbackNote[],
  memory: PlanReport['memory']): PlanReport {
  const counts: Record<FusionKind, number> = { batchNorm: 0, activation: 0, depthwisePointwise: 0, squeezeExcite: 0, residual: 0 };
  for (const f of fusions) counts[f.kind]++;
  return {
    backend,
    threads,
    inputShape: [...graph.values[graph.input].shape],
    outputShape: [...graph.values[graph.output].shape],
    steps: graph.steps.map(stepReport),
    fusions,
    counts,
    fallbacks,
    memory,
  };
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** A few lines for people: steps by kind, fusions by kind, eager fallbacks, memory. */
export function formatReport(r: PlanReport): string {
  const kinds = new Map<string, number>();
  for (const s of r.steps) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
  const lines = [
    `plan on ${r.backend}${r.threads > 1 ? ` (${r.threads} threads)` : ''}: [${r.inputShape.join(', ')}] -> [${r.outputShape.join(', ')}], ${r.steps.length} steps ` +
      `(${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`,
    `fusions: ${Object.entries(r.counts).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `memory: activations ${mib(r.memory.activationBytes)} (${mib(r.memory.unsharedActivationBytes)} without reuse), ` +
      `weights ${mib(r.memory.weightBytes)}, scratch ${mib(r.memory.scratchBytes)}, total ${mib(r.memory.totalBytes)}`,
  ];
  for (const f of r.fallbacks) lines.push(`eager: ${f.op}${f.scope === '' ? '' : ` in '${f.scope}'`}: ${f.reason}`);
  return lines.join('\n');
}
