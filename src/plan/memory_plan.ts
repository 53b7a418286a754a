/**
 * Buffer planning: every activation gets a fixed byte offset in one arena, chosen once at compile time, so a run
 * allocates nothing. Values whose lifetimes (first write to last read, in step order) overlap never share bytes;
 * the others reuse them. Placement is TFLite's greedy-by-size: largest first, each at the lowest offset that fits
 * between the blocks already placed whose lifetimes overlap its own. A reshape's output is its input's bytes.
 */
import { stepInputs, type PlanGraph } from './ir.js';

/** Offsets are multiples of this (a cache line). */
const ALIGN = 64;

export interface MemoryPlan {
  /** Byte offset of each activation value in the arena (-1 for constants). */
  offsets: number[];
  /** Bytes of the arena. */
  arenaBytes: number;
  /** Bytes the activations would take without reuse. */
  unsharedBytes: number;
}

interface Block {
  root: number;
  bytes: number;
  first: number;
  last: number;
  offset: number;
}

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export function planMemory(graph: PlanGraph): MemoryPlan {
  const { values, steps } = graph;
  // Reshapes alias their input: follow them to the value that owns the bytes.
  const owner = values.map((v) => v.id);
  for (const s of steps) if (s.kind === 'reshape') owner[s.output] = owner[s.x];
  const blocks = new Map<number, Block>();
  const touch = (id: number, at: number): void => {
    if (values[id].constant !== null) return;
    const root = owner[id];
    const b = blocks.get(root);
    if (b === undefined) blocks.set(root, { root, bytes: align(values[root].size * 4), first: at, last: at, offset: -1 });
    else {
      b.first = Math.min(b.first, at);
      b.last = Math.max(b.last, at);
    }
  };
  touch(graph.input, -1);
  steps.forEach((s, i) => {
    for (const v of stepInputs(s)) touch(v, i);
    touch(s.output, i);
  });
  touch(graph.output, steps.length);

  const placed: Block[] = [];
  let arenaBytes = 0;
  for (const b of [...blocks.values()].sort((p, q) => q.bytes - p.bytes || p.first - q.first)) {
    const busy = placed.filter((o) => o.first <= b.last && b.first <= o.last).sort((p, q) => p.offset - q.offset);
    let offset = 0;
    for (const o of busy) {
      if (offset + b.bytes <= o.offset) break;
      offset = Math.max(offset, o.offset + o.bytes);
    }
    b.offset = offset;
    placed.push(b);
    arenaBytes = Math.max(arenaBytes, offset + b.bytes);
  }
  const offsets = values.map((v) => (v.constant !== null ? -1 : blocks.get(owner[v.id])?.offset ?? -1));
  const unsharedBytes = [...blocks.values()].reduce((sum, b) => sum + b.bytes, 0);
  return { offsets, arenaBytes, unsharedBytes };
}
