/**
 * The fusion passes, in the order `fuse` runs them. Each rewrites the graph in place and returns what it fused:
 * - batchNorm: an eval-mode batch norm whose input is a convolution's (or linear layer's) only use is folded into
 *   that layer's weights and bias (W' = W * s per output channel, b' = b * s + t); any other becomes a channel affine;
 * - activation: an activation after a conv, depthwise, pointwise/linear, affine or add becomes its epilogue;
 * - squeezeExcite: x * gate [N, 1, 1, C] feeding only a pointwise conv becomes a scale of that conv's input, applied
 *   per image while the GEMM packs its input block (the same products as the eager multiply, no extra pass);
 * - depthwisePointwise: a depthwise conv feeding only a pointwise conv becomes one step over bands of rows;
 * - residual: a + b where one side is a conv's only use becomes that conv's epilogue (the other side must be
 *   computed earlier), taking the add's activation along when the conv has none.
 */
import { absorb, graphUse, soleProducer } from './graph_use.js';
import {
  activationName, type Activation, type AffineStep, type DepthwisePointwiseStep, type FusionKind, type PlanGraph, type Step,
} from './ir.js';

/** One fusion applied: its kind, the layer it happened in, and what was fused. */
export interface FusionRecord {
  kind: FusionKind;
  scope: string;
  detail: string;
}

const WEIGHTED = new Set<Step['kind']>(['conv', 'depthwise', 'gemm']);
const WITH_EPILOGUE = new Set<Step['kind']>(['conv', 'depthwise', 'gemm', 'dwpw']);

const layer = (s: Step): string => s.scopes[0] ?? '';

/** Scales a weighted step's weight and bias per output channel: W' = W * s, b' = b * s + t. */
function foldInto(s: Step, scale: Float32Array, shift: Float32Array): void {
  if (s.kind !== 'conv' && s.kind !== 'depthwise' && s.kind !== 'gemm') return;
  const channels = scale.length;
  const w = s.w.slice();
  for (let i = 0; i < w.length; i++) w[i] *= scale[i % channels];
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) bias[c] = (s.bias === null ? 0 : s.bias[c] * scale[c]) + shift[c];
  s.w = w;
  s.bias = bias;
}

export function fuseBatchNorm(graph: PlanGraph, fold: boolean): FusionRecord[] {
  const done: FusionRecord[] = [];
  for (const bn of [...graph.steps]) {
    if (bn.kind !== 'batchNorm') continue;
    const p = fold ? soleProducer(graph, graphUse(graph), bn.x) : undefined;
    if (p !== undefined && WEIGHTED.has(p.kind) && 'epilogue' in p && p.epilogue.act === null && p.epilogue.residual === null) {
      foldInto(p, bn.scale, bn.shift);
      done.push({ kind: 'batchNorm', scope: layer(bn), detail: `folded into ${p.kind} '${layer(p)}'` });
      absorb(graph, p, bn, `batchNorm '${layer(bn)}'`);
      continue;
    }
    const affine: AffineStep = {
      kind: 'affine', x: bn.x, scale: bn.scale, shift: bn.shift, act: null, output: bn.output, scopes: bn.scopes, fused: bn.fused, weights: bn.weights,
    };
    graph.steps[graph.steps.indexOf(bn)] = affine;
  }
  return done;
}

function setActivation(p: Step, act: Activation): boolean {
  if (WITH_EPILOGUE.has(p.kind) && 'epilogue' in p && p.epilogue.act === null) {
    p.epilogue.act = act;
    p.epilogue.actAfterResidual = p.epilogue.residual !== null;
    return true;
  }
  if ((p.kind === 'affine' || p.kind === 'add') && p.act === null) {
    p.act = act;
    return true;
  }
  return false;
}

export function fuseActivations(graph: PlanGraph): FusionRecord[] {
  const done: FusionRecord[] = [];
  for (const u of [...graph.steps]) {
    if (u.kind !== 'unary') continue;
    const p = soleProducer(graph, graphUse(graph), u.x);
    if (p === undefined || !setActivation(p, u.act)) continue;
    done.push({ kind: 'activation', scope: layer(u), detail: `${activationName(u.act)} into ${p.kind} '${layer(p)}'` });
    absorb(graph, p, u, `${activationName(u.act)} '${layer(u)}'`);
  }
  return done;
}

export function fuseSqueezeExcite(graph: PlanGraph): FusionRecord[] {
  const done: FusionRecord[] = [];
  for (const s of [...graph.steps]) {
    if (s.kind !== 'channelScale') continue;
    const use = graphUse(graph);
    if (s.output === graph.output || use.reads.get(s.output) !== 1) continue;
    const c = graph.steps.find((t) => t.kind === 'gemm' && t.x === s.output);
    if (c === undefined || c.kind !== 'gemm' || c.scale !== null) continue;
    const [, h, w] = graph.values[s.x].shape;
    c.x = s.x;
    c.scale = s.gate;
    c.scaleRows = h * w;
    c.scopes.unshift(...s.scopes);
    c.fused.unshift(...s.fused, `squeeze-excite gate '${layer(s)}'`);
    c.weights.unshift(...s.weights);
    graph.steps.splice(graph.steps.indexOf(s), 1);
    done.push({ kind: 'squeezeExcite', scope: layer(s), detail: `gate scales the input of pointwise '${layer(c)}'` });
  }
  return done;
}

export function fuseDepthwisePointwise(graph: PlanGraph): FusionRecord[] {
  const done: FusionRecord[] = [];
  for (const p of [...graph.steps]) {
    if (p.kind !== 'gemm' || p.scale !== null || graph.values[p.x].shape.length !== 4) continue;
    const d = soleProducer(graph, graphUse(graph), p.x);
    if (d === undefined || d.kind !== 'depthwise' || d.epilogue.residual !== null) continue;
    const fused: DepthwisePointwiseStep = {
      kind: 'dwpw', x: d.x, dw: { w: d.w, bias: d.bias, g: d.g, act: d.epilogue.act }, pw: { w: p.w, bias: p.bias, n: p.n },
      epilogue: p.epilogue, output: p.output, scopes: [...d.scopes, ...p.scopes], fused: [...d.fused, ...p.fused, 'depthwise -> pointwise'],
      weights: [...d.weights, ...p.weights],
    };
    graph.steps[graph.steps.indexOf(p)] = fused;
    graph.steps.splice(graph.steps.indexOf(d), 1);
    done.push({ kind: 'depthwisePointwise', scope: layer(d), detail: `depthwise '${layer(d)}' -> pointwise '${layer(p)}' over row bands` });
  }
  return done;
}

export function fuseResiduals(graph: PlanGraph): FusionRecord[] {
  const done: FusionRecord[] = [];
  for (const add of [...graph.steps]) {
    if (add.kind !== 'add') continue;
    const use = graphUse(graph);
    // The later of the two producers takes the add; the other operand is then already computed.
    const sides = [[add.a, add.b], [add.b, add.a]]
      .map(([mine, other]) => ({ mine, other, at: use.producer.get(mine) ?? -1 }))
      .sort((p, q) => q.at - p.at);
    for (const { mine, other, at } of sides) {
      const p = soleProducer(graph, use, mine);
      if (p === undefined || !WITH_EPILOGUE.has(p.kind) || !('epilogue' in p) || p.epilogue.residual !== null) continue;
      if (graph.values[other].constant !== null || (use.producer.get(other) ?? -1) >= at) continue;
      if (add.act !== null && p.epilogue.act !== null) continue;
      p.epilogue.residual = other;
      if (add.act !== null) {
        p.epilogue.act = add.act;
        p.epilogue.actAfterResidual = true;
      }
      done.push({ kind: 'residual', scope: layer(add), detail: `add into ${p.kind} '${layer(p)}'${add.act === null ? '' : ` with ${activationName(add.act)}`}` });
      absorb(graph, p, add, `residual add '${layer(add)}'`);
      break;
    }
  }
  return done;
}

/** Runs the enabled passes; batch norms that are not folded are always lowered to channel affine steps. */
export function fuse(graph: PlanGraph, enabled: (k: FusionKind) => boolean): FusionRecord[] {
  const done = fuseBatchNorm(graph, enabled('batchNorm'));
  if (enabled('activation')) done.push(...fuseActivations(graph));
  if (enabled('squeezeExcite')) done.push(...fuseSqueezeExcite(graph));
  if (enabled('depthwisePointwise')) done.push(...fuseDepthwisePointwise(graph));
  if (enabled('residual')) done.push(...fuseResiduals(graph));
  return done;
}
