/** Who produces and who reads each value of a plan graph, recomputed by each fusion pass after it edits steps. */
import { stepInputs, type PlanGraph, type Step } from './ir.js';

export interface GraphUse {
  /** Index of the step that computes each value (absent for the input and constants). */
  producer: Map<number, number>;
  /** Reads of each value; the graph output counts as one extra read. */
  reads: Map<number, number>;
}

export function graphUse(graph: PlanGraph): GraphUse {
  const producer = new Map<number, number>();
  const reads = new Map<number, number>([[graph.output, 1]]);
  graph.steps.forEach((s, i) => {
    producer.set(s.output, i);
    for (const v of stepInputs(s)) reads.set(v, (reads.get(v) ?? 0) + 1);
  });
  return { producer, reads };
}

/** The step computing `value` when the value has exactly one reader and is not the graph output (so fusing it away loses nothing). */
export function soleProducer(graph: PlanGraph, use: GraphUse, value: number): Step | undefined {
  if (value === graph.output || use.reads.get(value) !== 1) return undefined;
  const i = use.producer.get(value);
  return i === undefined ? undefined : graph.steps[i];
}

/** Moves `from`'s output and provenance onto `into` (which now computes what `from` did) and drops `from`. */
export function absorb(graph: PlanGraph, into: Step, from: Step, what: string): void {
  into.output = from.output;
  into.scopes.push(...from.scopes);
  into.fused.push(...from.fused, what);
  into.weights.push(...from.weights);
  graph.steps.splice(graph.steps.indexOf(from), 1);
}
