/**
 * Per-layer cost and time of a model: the cost analyser's report (parameters and multiply-adds per layer, from
 * shapes alone) next to the measured time of each layer, found by running the model with an op listener that reads
 * the clock between consecutive ops (each op's time lands in the layer that ran it, as the analyser counts it).
 */
import { Random, Tensor, analyse, noGrad, opCostKind, tidy, traceOps, type Module } from './sepconv.js';

/** The depthwise / pointwise / other split the page draws. */
export type SplitKind = 'depthwise' | 'pointwise' | 'other';
export const SPLIT_KINDS: readonly SplitKind[] = ['depthwise', 'pointwise', 'other'];

export type Split = Record<SplitKind, number>;

export interface LayerProfile {
  /** Dotted module path ('' for ops of the root module itself). */
  name: string;
  /** The analyser's kind of the layer (its op with the most MACs). */
  kind: string;
  params: number;
  macs: Split;
  /** Milliseconds per forward pass, by kind of op. */
  ms: Split;
}

export interface ModelProfile {
  /** [N, H, W, C] of the cost analysis and of the timed runs. */
  costInput: number[];
  timeInput: number[];
  layers: LayerProfile[];
  totals: { params: number; macs: Split; ms: Split; flops: number; bytes: number };
  /** Timed passes the per-layer times are the minimum of. */
  runs: number;
}

const zeroSplit = (): Split => ({ depthwise: 0, pointwise: 0, other: 0 });

/** The analyser's kind of a layer or op, folded into the page's three-way split. */
function splitKind(kind: string): SplitKind {
  return kind === 'depthwise' || kind === 'pointwise' ? kind : 'other';
}

interface TimedOp {
  scope: string;
  kind: SplitKind;
  ms: number;
}

/** One forward pass with the clock read at every op; each op's time is the gap since the previous op ended. */
function timedPass(model: Module, input: Tensor): TimedOp[] {
  const ops: TimedOp[] = [];
  let last = performance.now();
  noGrad(() => tidy(() => traceOps((e) => {
    const now = performance.now();
    ops.push({ scope: e.scope, kind: splitKind(opCostKind(e)), ms: now - last });
    last = now;
  }, () => model.call(input))));
  return ops;
}

/**
 * Profiles `model`: costs for one image of `costShape` ([H, W, C]) and times at `timeShape` (a smaller input keeps
 * large models quick; the shares stay close). Runs up to `maxRuns` timed passes after a warm-up, fewer when a pass is
 * slow, and keeps each op's fastest time (so a garbage-collection pause does not land on one layer).
 */
export function profileModel(model: Module, costShape: [number, number, number], timeShape: [number, number, number], maxRuns = 3): ModelProfile {
  const report = analyse(model, costShape);
  const layers = new Map<string, LayerProfile>();
  const layer = (name: string, kind: string): LayerProfile => {
    let l = layers.get(name);
    if (l === undefined) layers.set(name, (l = { name, kind, params: 0, macs: zeroSplit(), ms: zeroSplit() }));
    return l;
  };
  for (const l of report.layers) layer(l.name, l.kind).params = l.params;
  for (const op of report.ops) layer(op.scope, 'other').macs[splitKind(op.kind)] += op.macs;

  const wasTraining = model.training;
  model.eval();
  const rng = new Random(1);
  const input = new Tensor(Float32Array.from({ length: timeShape[0] * timeShape[1] * timeShape[2] }, () => rng.uniform()), [1, ...timeShape]);
  let best: TimedOp[];
  let runs = 0;
  try {
    const warmStart = performance.now();
    timedPass(model, input);
    const passMs = performance.now() - warmStart;
    const budget = passMs > 2000 ? 1 : maxRuns;
    best = timedPass(model, input);
    runs = 1;
    for (; runs < budget; runs++) timedPass(model, input).forEach((op, i) => {
      if (best[i] !== undefined && op.ms < best[i].ms) best[i] = op;
    });
  } finally {
    model.train(wasTraining);
    input.dispose();
  }
  for (const op of best) layer(op.scope, 'other').ms[op.kind] += op.ms;

  const totals = { params: report.totals.params, macs: zeroSplit(), ms: zeroSplit(), flops: report.totals.flops, bytes: report.totals.bytes };
  for (const l of layers.values())
    for (const k of SPLIT_KINDS) {
      totals.macs[k] += l.macs[k];
      totals.ms[k] += l.ms[k];
    }
  return { costInput: report.input, timeInput: [1, ...timeShape], layers: [...layers.values()], totals, runs };
}

/** Sum of a split. */
export function splitTotal(s: Split): number {
  return s.depthwise + s.pointwise + s.other;
}
