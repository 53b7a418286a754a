/**
 * The plan's intermediate form: a straight-line list of steps over numbered values. Activations are values without
 * data (their memory is assigned later); weights live inside the steps that use them, already in the layout of the
 * kernel contract (src/backend/kernels.ts). Fusion passes rewrite steps in place; executors run the final list.
 */
import type { ConvGeometry, PoolGeometry, UnaryKind } from '../backend/kernels.js';
import type { Tensor } from '../tensor/tensor.js';

/** An activation a step applies to its output: a UnaryKind (alpha = leakyRelu slope) or a clamp to [alpha, beta]. */
export interface Activation {
  kind: UnaryKind | 'clip';
  alpha: number;
  beta: number;
}

/** What a step applies to each output value v = acc + bias: act(v) + residual, or act(v + residual). */
export interface Epilogue {
  act: Activation | null;
  /** A value of the output's shape added to it. */
  residual: number | null;
  actAfterResidual: boolean;
}

/** Fusions a plan can apply; `compile` options can turn each off. */
export type FusionKind = 'batchNorm' | 'activation' | 'depthwisePointwise' | 'squeezeExcite' | 'residual';

export const FUSION_KINDS: readonly FusionKind[] = ['batchNorm', 'activation', 'depthwisePointwise', 'squeezeExcite', 'residual'];

/** A value of the traced graph: an activation (computed by a step) or a constant (data known at compile time). */
export interface PlanValue {
  id: number;
  shape: number[];
  size: number;
  /** Constants only: the data, copied when the plan was compiled. */
  constant: Float32Array | null;
}

interface StepBase {
  output: number;
  /** Module paths of the ops this step computes (several after fusion). */
  scopes: string[];
  /** What was fused into this step, for the report (e.g. 'batchNorm features.0.1'). */
  fused: string[];
  /** State-dict keys of the model parameters and buffers folded into this step's weights. */
  weights: string[];
}

/** Standard or grouped convolution; w [KH, KW, C_in/groups, C_out]. */
export interface ConvStep extends StepBase {
  kind: 'conv';
  x: number;
  w: Float32Array;
  bias: Float32Array | null;
  g: ConvGeometry;
  epilogue: Epilogue;
}

/** Depthwise convolution; w [KH, KW, C*M]. */
export interface DepthwiseStep extends StepBase {
  kind: 'depthwise';
  x: number;
  w: Float32Array;
  bias: Float32Array | null;
  g: ConvGeometry;
  epilogue: Epilogue;
}

/**
 * y [m, n] = x [m, k] · w [k, n] + bias: a pointwise convolution (m = N*H*W) or a linear layer (m = N). With
 * `scale`, x's channels are first multiplied per image by scale [N, k] (a fused squeeze-and-excitation gate;
 * image i owns rows [i*scaleRows, (i+1)*scaleRows)).
 */
export interface GemmStep extends StepBase {
  kind: 'gemm';
  x: number;
  w: Float32Array;
  bias: Float32Array | null;
  m: number;
  k: number;
  n: number;
  scale: number | null;
  scaleRows: number;
  epilogue: Epilogue;
}

/** A depthwise convolution whose output goes, band of rows by band, straight into a pointwise one. */
export interface DepthwisePointwiseStep extends StepBase {
  kind: 'dwpw';
  x: number;
  dw: { w: Float32Array; bias: Float32Array | null; g: ConvGeometry; act: Activation | null };
  pw: { w: Float32Array; bias: Float32Array | null; n: number };
  epilogue: Epilogue;
}

/** y = act(x * scale[c] + shift[c]): a batch norm with no convolution to fold into. */
export interface AffineStep extends StepBase {
  kind: 'affine';
  x: number;
  scale: Float32Array;
  shift: Float32Array;
  act: Activation | null;
}

/** y = act(a + b), same shapes. */
export interface AddStep extends StepBase {
  kind: 'add';
  a: number;
  b: number;
  act: Activation | null;
}

/** y = x [N, H, W, C] * gate [N, 1, 1, C]: a squeeze-and-excitation multiply left on its own. */
export interface ChannelScaleStep extends StepBase {
  kind: 'channelScale';
  x: number;
  gate: number;
}

export interface UnaryStep extends StepBase {
  kind: 'unary';
  x: number;
  act: Activation;
}

/** Max or average pooling (global average pooling is an average over the whole image). */
export interface PoolStep extends StepBase {
  kind: 'maxPool' | 'avgPool';
  x: number;
  g: PoolGeometry;
  countIncludePad: boolean;
}

/** Same data, new shape: the output shares the input's memory. */
export interface ReshapeStep extends StepBase {
  kind: 'reshape';
  x: number;
}

/** An op the plan runs through sepconv's eager ops (on tensors copied out of and back into the plan's memory). */
export interface EagerStep extends StepBase {
  kind: 'eager';
  op: string;
  inputs: number[];
  run: (inputs: Tensor[]) => Tensor;
  /** Why the op has no fused kernel, for the report. */
  reason: string;
}

/** Batch norm in eval mode as its affine map; only exists until the batch-norm pass folds or lowers it. */
export interface BatchNormStep extends StepBase {
  kind: 'batchNorm';
  x: number;
  scale: Float32Array;
  shift: Float32Array;
}

export type Step =
  | ConvStep | DepthwiseStep | GemmStep | DepthwisePointwiseStep | AffineStep | AddStep | ChannelScaleStep
  | UnaryStep | PoolStep | ReshapeStep | EagerStep | BatchNormStep;

/** Steps as produced by tracing and rewritten by the fusion passes. */
export interface PlanGraph {
  values: PlanValue[];
  steps: Step[];
  input: number;
  output: number;
}

/** The value ids a step reads, in a fixed order (residuals and scales included). */
export function stepInputs(s: Step): number[] {
  switch (s.kind) {
    case 'conv':
    case 'depthwise':
    case 'dwpw':
      return withResidual([s.x], s.epilogue);
    case 'gemm':
      return withResidual(s.scale === null ? [s.x] : [s.x, s.scale], s.epilogue);
    case 'add':
      return [s.a, s.b];
    case 'channelScale':
      return [s.x, s.gate];
    case 'eager':
      return [...s.inputs];
    default:
      return [s.x];
  }
}

function withResidual(ids: number[], e: Epilogue): number[] {
  return e.residual === null ? ids : [...ids, e.residual];
}

export const noEpilogue = (): Epilogue => ({ act: null, residual: null, actAfterResidual: false });

/** 'relu', 'leakyRelu(0.1)', 'clip(0, 6)'. */
export function activationName(a: Activation): string {
  if (a.kind === 'clip') return `clip(${a.alpha}, ${a.beta})`;
  return a.kind === 'leakyRelu' ? `leakyRelu(${a.alpha})` : a.kind;
}
