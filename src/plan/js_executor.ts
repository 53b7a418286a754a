/**
 * The js plan executor: each fused step runs the js reference kernels in sequence (a fused step is its kernels
 * back to back; the reference kernels return fresh arrays) and writes its result into the planned slice of one
 * arena. It defines what every fused kernel must compute, and checks the memory plan on the oracle backend.
 */
import { jsBackend } from '../backend/js/index.js';
import type { Kernels } from '../backend/kernels.js';
import { ArgumentError } from '../errors.js';
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/memory.js';
import { Tensor } from '../tensor/tensor.js';
import type { LoadedPlan, PlanExecutor, Program } from './executor.js';
import type { Activation, Epilogue, Step } from './ir.js';

const k: Kernels = jsBackend.kernels;

function activate(y: Float32Array, act: Activation | null): Float32Array {
  if (act === null) return y;
  if (act.kind !== 'clip') return k.unary(act.kind, y, act.alpha);
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = Math.min(Math.max(y[i], act.alpha), act.beta);
  return out;
}

function addInto(y: Float32Array, r: Float32Array): Float32Array {
  for (let i = 0; i < y.length; i++) y[i] += r[i];
  return y;
}

/** The input channels of each image scaled by its gate: x [images, rows, k] * scale [images, k]. */
function scaleRows(x: Float32Array, scale: Float32Array, rows: number, channels: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const row = Math.floor(i / channels);
    y[i] = x[i] * scale[Math.floor(row / rows) * channels + (i % channels)];
  }
  return y;
}

class JsPlan implements LoadedPlan {
  private readonly arena: Float32Array;
  private readonly views: Float32Array[];
  readonly weightBytes: number;
  readonly scratchBytes = 0;
  readonly threads = 1;

  constructor(private readonly program: Program) {
    this.arena = new Float32Array(program.memory.arenaBytes / 4);
    this.views = program.values.map((v) => {
      if (v.constant !== null) return v.constant;
      const at = program.memory.offsets[v.id];
      return at < 0 ? new Float32Array(0) : this.arena.subarray(at / 4, at / 4 + v.size);
    });
    this.weightBytes = program.steps.reduce((sum, s) => sum + stepWeightBytes(s), 0);
  }

  get memoryBytes(): number {
    return this.arena.byteLength;
  }

  dispose(): void {
    // Nothing to release: the arena is garbage collected with the plan.
  }

  get input(): Float32Array {
    return this.views[this.program.input];
  }

  get output(): Float32Array {
    return this.views[this.program.output];
  }

  execute(): void {
    for (const s of this.program.steps) if (s.kind !== 'reshape') this.views[s.output].set(this.compute(s));
  }

  private epilogue(y: Float32Array, e: Epilogue): Float32Array {
    const residual = e.residual === null ? null : this.views[e.residual];
    if (residual === null) return activate(y, e.act);
    return e.actAfterResidual ? activate(addInto(y, residual), e.act) : addInto(activate(y, e.act), residual);
  }

  private compute(s: Exclude<Step, { kind: 'reshape' }>): Float32Array {
    const v = this.views;
    switch (s.kind) {
      case 'conv':
        return this.epilogue(k.conv2d(v[s.x], s.w, s.bias, s.g), s.epilogue);
      case 'depthwise':
        return this.epilogue(k.depthwiseConv2d(v[s.x], s.w, s.bias, s.g), s.epilogue);
      case 'gemm': {
        const a = s.scale === null ? v[s.x] : scaleRows(v[s.x], v[s.scale], s.scaleRows, s.k);
        return this.epilogue(k.matmul(a, s.w, s.bias, s.m, s.k, s.n, false, false), s.epilogue);
      }
      case 'dwpw': {
        const g = s.dw.g;
        const mid = activate(k.depthwiseConv2d(v[s.x], s.dw.w, s.dw.bias, g), s.dw.act);
        return this.epilogue(k.matmul(mid, s.pw.w, s.pw.bias, g.batch * g.outH * g.outW, g.outC, s.pw.n, false, false), s.epilogue);
      }
      case 'affine': {
        const x = v[s.x];
        const c = s.scale.length;
        const y = new Float32Array(x.length);
        for (let i = 0; i < x.length; i++) y[i] = x[i] * s.scale[i % c] + s.shift[i % c];
        return activate(y, s.act);
      }
      case 'add': {
        const a = v[s.a];
        const b = v[s.b];
        const y = new Float32Array(a.length);
        for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
        return activate(y, s.act);
      }
      case 'channelScale': {
        const [, h, w, c] = this.program.values[s.x].shape;
        return scaleRows(v[s.x], v[s.gate], h * w, c);
      }
      case 'unary':
        return activate(v[s.x], s.act);
      case 'maxPool':
        return k.maxPool2d(v[s.x], s.g).y;
      case 'avgPool':
        return k.avgPool2d(v[s.x], s.g, s.countIncludePad);
      case 'eager':
        return runEager(s, (id) => v[id], this.program);
      case 'batchNorm':
        throw new Error('internal: batch norm steps are lowered before execution');
    }
  }
}

/** Runs an eager step on copies of its inputs and returns a copy of the result. */
export function runEager(s: Extract<Step, { kind: 'eager' }>, data: (id: number) => Float32Array, program: Program): Float32Array {
  let out = new Float32Array(0);
  tidy(() => {
    const inputs = s.inputs.map((id) => new Tensor(data(id).slice(), program.values[id].shape));
    out = noGrad(() => s.run(inputs)).data.slice();
  });
  return out;
}

/** Bytes of weights a step holds (unpacked). */
function stepWeightBytes(s: Step): number {
  const bytes = (a: Float32Array | null): number => (a === null ? 0 : a.byteLength);
  switch (s.kind) {
    case 'conv':
    case 'depthwise':
    case 'gemm':
      return bytes(s.w) + bytes(s.bias);
    case 'dwpw':
      return bytes(s.dw.w) + bytes(s.dw.bias) + bytes(s.pw.w) + bytes(s.pw.bias);
    case 'affine':
      return bytes(s.scale) + bytes(s.shift);
    default:
      return 0;
  }
}

export const jsExecutor: PlanExecutor = {
  backend: 'js',
  load: async (program, options) => {
    if (options.threads !== 1)
      throw new ArgumentError(`compile: the js backend runs plans on one thread, got threads = ${options.threads}; use the wasm backend for more`);
    return new JsPlan(program);
  },
};
