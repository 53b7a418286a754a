/**
 * Runs a sepconv plan's steps with TF.js ops, so TF.js times the same network with the same (batch-norm folded)
 * weights, in the form its converter produces: conv / depthwise / matMul fused with bias and activation where
 * TF.js has the fused op, the rest composed from tf ops. NHWC throughout, as in sepconv.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { ConvGeometry } from '../src/backend/kernels.js';
import type { Activation, Epilogue, PlanGraph, Step } from '../src/plan/ir.js';

type Tf = typeof tfType;
type T4 = tfType.Tensor4D;
type TfPad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];

/** The value shapes and steps of a plan graph without its eager closures (so it can be posted to a worker). */
export interface PortableGraph {
  shapes: number[][];
  steps: Exclude<Step, { kind: 'eager' }>[];
  input: number;
  output: number;
}

export function portable(graph: PlanGraph): PortableGraph {
  const steps = graph.steps.map((s) => {
    if (s.kind === 'eager') throw new Error(`tfjs_steps: step '${s.op}' runs eagerly in sepconv and has no TF.js form here`);
    return s;
  });
  return { shapes: graph.values.map((v) => v.shape), steps, input: graph.input, output: graph.output };
}

/** TF.js padding for a geometry: 'valid', 'same' (TF's split), a symmetric number, or explicit (unfused ops only). */
function padding(g: ConvGeometry): TfPad {
  const { padTop: t, padBottom: b, padLeft: l, padRight: r } = g;
  if (t === 0 && b === 0 && l === 0 && r === 0) return 'valid';
  const same = (inSize: number, outSize: number, k: number, s: number, d: number): [number, number] => {
    const total = Math.max((outSize - 1) * s + (k - 1) * d + 1 - inSize, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [st, sb] = same(g.inH, g.outH, g.kH, g.strideH, g.dilationH);
  const [sl, sr] = same(g.inW, g.outW, g.kW, g.strideW, g.dilationW);
  if (t === st && b === sb && l === sl && r === sr) return 'same';
  if (t === b && b === l && l === r) return t;
  return [[0, 0], [t, b], [l, r], [0, 0]];
}

const FUSABLE: ReadonlySet<string> = new Set(['relu', 'relu6', 'sigmoid', 'leakyRelu']);

function activate(tf: Tf, x: tfType.Tensor, a: Activation | null): tfType.Tensor {
  if (a === null) return x;
  switch (a.kind) {
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'leakyRelu': return tf.leakyRelu(x, a.alpha);
    case 'swish': return tf.mul(x, tf.sigmoid(x));
    case 'hardSigmoid': return tf.div(tf.relu6(tf.add(x, 3)), 6);
    case 'hardSwish': return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    case 'clip': return tf.clipByValue(x, a.alpha, a.beta);
  }
}

/** The fused-op activation, when TF.js has it and nothing (a residual) comes between it and the op. */
function fusedAct(e: Epilogue): { activation: 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'leakyrelu'; alpha?: number } | null {
  if (e.act === null) return { activation: 'linear' };
  if (!FUSABLE.has(e.act.kind) || (e.residual !== null && e.actAfterResidual)) return null;
  const activation = e.act.kind === 'leakyRelu' ? 'leakyrelu' : (e.act.kind as 'relu' | 'relu6' | 'sigmoid');
  return { activation, alpha: e.act.kind === 'leakyRelu' ? e.act.alpha : undefined };
}

/** Applies what the fused op did not: the activation (when not fused) and the residual, in the epilogue's order. */
function finish(tf: Tf, y: tfType.Tensor, e: Epilogue, fused: boolean, residual: tfType.Tensor | null): tfType.Tensor {
  if (residual === null) return fused ? y : activate(tf, y, e.act);
  if (e.actAfterResidual) return activate(tf, tf.add(y, residual), e.act);
  return tf.add(fused ? y : activate(tf, y, e.act), residual);
}

/**
 * Builds a function running `graph` on `tf`'s current backend: weights become tf tensors once; each call runs in
 * tf.tidy and returns the output's data.
 */
export function tfjsForward(tf: Tf, graph: PortableGraph): (x: Float32Array) => Float32Array {
  const { steps, shapes } = graph;
  const keep = <T extends tfType.Tensor>(t: T): T => tf.keep(t);
  const weights = steps.map((s) => {
    switch (s.kind) {
      case 'conv':
        return { w: keep(tf.tensor4d(s.w, [s.g.kH, s.g.kW, s.g.inC / s.g.groups, s.g.outC])), b: s.bias && keep(tf.tensor1d(s.bias)) };
      case 'depthwise':
        return { w: keep(tf.tensor4d(s.w, [s.g.kH, s.g.kW, s.g.inC, s.g.outC / s.g.inC])), b: s.bias && keep(tf.tensor1d(s.bias)) };
      case 'gemm':
        return { w: keep(tf.tensor2d(s.w, [s.k, s.n])), b: s.bias && keep(tf.tensor1d(s.bias)) };
      case 'dwpw':
        return {
          w: keep(tf.tensor4d(s.dw.w, [s.dw.g.kH, s.dw.g.kW, s.dw.g.inC, s.dw.g.outC / s.dw.g.inC])), b: s.dw.bias && keep(tf.tensor1d(s.dw.bias)),
          pw: keep(tf.tensor2d(s.pw.w, [s.dw.g.outC, s.pw.n])), pb: s.pw.bias && keep(tf.tensor1d(s.pw.bias)),
        };
      case 'affine':
        return { w: keep(tf.tensor1d(s.scale)), b: keep(tf.tensor1d(s.shift)) };
      default:
        return null;
    }
  });

  const conv = (x: T4, w: T4, b: tfType.Tensor1D | null, g: ConvGeometry, e: Epilogue, residual: tfType.Tensor | null): tfType.Tensor => {
    if (g.groups !== 1) throw new Error('tfjs_steps: TF.js has no grouped convolution');
    const pad = padding(g);
    const act = fusedAct(e);
    const opts = { x, filter: w, strides: [g.strideH, g.strideW] as [number, number], dilations: [g.dilationH, g.dilationW] as [number, number], pad };
    const y = act === null
      ? tf.fused.conv2d({ ...opts, bias: b ?? undefined })
      : tf.fused.conv2d({ ...opts, bias: b ?? undefined, activation: act.activation, leakyreluAlpha: act.alpha });
    return finish(tf, y, e, act !== null, residual);
  };

  const depthwise = (x: T4, w: T4, b: tfType.Tensor1D | null, g: ConvGeometry, e: Epilogue, residual: tfType.Tensor | null): tfType.Tensor => {
    const pad = padding(g);
    const strides: [number, number] = [g.strideH, g.strideW];
    const dilations: [number, number] = [g.dilationH, g.dilationW];
    if (Array.isArray(pad)) {
      // fused.depthwiseConv2d takes no explicit padding: the plain op, then bias and activation.
      let y: tfType.Tensor = tf.depthwiseConv2d(x, w, strides, pad, 'NHWC', dilations);
      if (b !== null) y = tf.add(y, b);
      return finish(tf, y, e, false, residual);
    }
    const act = fusedAct(e);
    const y = tf.fused.depthwiseConv2d({
      x, filter: w, strides, pad, dilations, bias: b ?? undefined,
      ...(act === null ? {} : { activation: act.activation, leakyreluAlpha: act.alpha }),
    });
    return finish(tf, y, e, act !== null, residual);
  };

  return (input: Float32Array): Float32Array => tf.tidy(() => {
    const v = new Map<number, tfType.Tensor>([[graph.input, tf.tensor(input, shapes[graph.input])]]);
    const get = (id: number): tfType.Tensor => v.get(id)!;
    const res = (e: Epilogue): tfType.Tensor | null => (e.residual === null ? null : get(e.residual));
    steps.forEach((s, i) => {
      const p = weights[i] as { w: T4; b: tfType.Tensor1D | null; pw: tfType.Tensor2D; pb: tfType.Tensor1D | null } | null;
      let y: tfType.Tensor;
      switch (s.kind) {
        case 'conv':
          y = conv(get(s.x) as T4, p!.w, p!.b, s.g, s.epilogue, res(s.epilogue));
          break;
        case 'depthwise':
          y = depthwise(get(s.x) as T4, p!.w, p!.b, s.g, s.epilogue, res(s.epilogue));
          break;
        case 'gemm': {
          let x = get(s.x);
          if (s.scale !== null) x = tf.mul(x, get(s.scale));
          const act = fusedAct(s.epilogue);
          const w = p!.w as unknown as tfType.Tensor2D;
          if (x.rank === 4) {
            // A pointwise conv, as the TF.js converter writes it: a 1x1 fused conv2d.
            y = tf.fused.conv2d({ x: x as T4, filter: tf.reshape(w, [1, 1, s.k, s.n]), strides: 1, pad: 'valid', bias: p!.b ?? undefined,
              ...(act === null ? {} : { activation: act.activation, leakyreluAlpha: act.alpha }) });
          } else {
            y = tf.fused.matMul({ a: x as tfType.Tensor2D, b: w, bias: p!.b ?? undefined,
              ...(act === null ? {} : { activation: act.activation, leakyreluAlpha: act.alpha }) });
          }
          y = finish(tf, y, s.epilogue, act !== null, res(s.epilogue));
          break;
        }
        case 'dwpw': {
          const mid = depthwise(get(s.x) as T4, p!.w, p!.b, s.dw.g, { act: s.dw.act, residual: null, actAfterResidual: false }, null) as T4;
          const act = fusedAct(s.epilogue);
          y = tf.fused.conv2d({ x: mid, filter: tf.reshape(p!.pw, [1, 1, s.dw.g.outC, s.pw.n]), strides: 1, pad: 'valid', bias: p!.pb ?? undefined,
            ...(act === null ? {} : { activation: act.activation, leakyreluAlpha: act.alpha }) });
          y = finish(tf, y, s.epilogue, act !== null, res(s.epilogue));
          break;
        }
        case 'affine':
          y = activate(tf, tf.add(tf.mul(get(s.x), p!.w), p!.b!), s.act);
          break;
        case 'add':
          y = activate(tf, tf.add(get(s.a), get(s.b)), s.act);
          break;
        case 'channelScale':
          y = tf.mul(get(s.x), get(s.gate));
          break;
        case 'unary':
          y = activate(tf, get(s.x), s.act);
          break;
        case 'maxPool':
        case 'avgPool': {
          const g = s.g;
          const x = get(s.x) as T4;
          if (g.kH === g.inH && g.kW === g.inW && g.outH === 1 && g.outW === 1) y = tf.mean(x, [1, 2], true);
          else {
            const pad = padding({ ...g, inC: g.channels, outC: g.channels, dilationH: 1, dilationW: 1, groups: 1 });
            if (Array.isArray(pad)) throw new Error('tfjs_steps: pooling with explicit padding');
            y = s.kind === 'maxPool' ? tf.maxPool(x, [g.kH, g.kW], [g.strideH, g.strideW], pad) : tf.avgPool(x, [g.kH, g.kW], [g.strideH, g.strideW], pad);
          }
          break;
        }
        case 'reshape':
          y = tf.reshape(get(s.x), shapes[s.output]);
          break;
        case 'batchNorm':
          throw new Error('tfjs_steps: batch norm steps are lowered before execution');
      }
      v.set(s.output, tf.reshape(y, shapes[s.output]));
    });
    return get(graph.output).dataSync() as Float32Array;
  });
}
