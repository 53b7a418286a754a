/**
 * The wasm backend's kernels in eager mode: each call copies its inputs into the module's memory, runs the C
 * kernel (csrc/) and copies the result out. Geometry structs are written as int32 fields (../c_abi.ts).
 */
import { convFields, poolFields, unaryCodes } from '../c_abi.js';
import type { ConvGeometry, Kernels, PoolGeometry } from '../kernels.js';
import { WasmArena } from './arena.js';
import type { SepconvWasmExports } from './exports.js';

const convInSize = (g: ConvGeometry): number => g.batch * g.inH * g.inW * g.inC;
const convOutSize = (g: ConvGeometry): number => g.batch * g.outH * g.outW * g.outC;
const poolInSize = (g: PoolGeometry): number => g.batch * g.inH * g.inW * g.channels;
const poolOutSize = (g: PoolGeometry): number => g.batch * g.outH * g.outW * g.channels;

/** Builds the Kernels over one instantiated module; the arena is shared by all of them (calls never overlap). */
export function createWasmKernels(wasm: SepconvWasmExports): Kernels & { readonly arena: WasmArena } {
  const arena = new WasmArena(wasm.memory, wasm.__heap_base.value as number);
  // `>>> 0`: workspace sizes come back from C as i32, read unsigned.
  const floats = (count: number): number => arena.alloc((count >>> 0) * 4);
  const optional = (data: Float32Array | null): number => (data === null ? 0 : arena.put(data));

  // Standard and depthwise convolutions share their calling convention; only the C entry points differ.
  type Workspace = (g: number) => number;
  const convForward = (run: (x: number, w: number, bias: number, y: number, g: number, ws: number) => void, workspace: Workspace) =>
    (x: Float32Array, w: Float32Array, bias: Float32Array | null, g: ConvGeometry): Float32Array => {
      arena.reset();
      const gp = arena.put(convFields(g));
      const xp = arena.put(x), wp = arena.put(w), biasp = optional(bias), yp = floats(convOutSize(g));
      run(xp, wp, biasp, yp, gp, floats(workspace(gp)));
      return arena.readF32(yp, convOutSize(g));
    };
  const convBackwardInput = (run: (dy: number, w: number, dx: number, g: number, ws: number) => void, workspace: Workspace) =>
    (dy: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array => {
      arena.reset();
      const gp = arena.put(convFields(g));
      const dyp = arena.put(dy), wp = arena.put(w), dxp = floats(convInSize(g));
      run(dyp, wp, dxp, gp, floats(workspace(gp)));
      return arena.readF32(dxp, convInSize(g));
    };

  return {
    arena,

    matmul(a, b, bias, m, k, n, transA, transB) {
      arena.reset();
      const ap = arena.put(a), bp = arena.put(b), biasp = optional(bias), cp = floats(m * n);
      const ws = floats(wasm.sepconv_matmul_workspace(m, k, n));
      wasm.sepconv_matmul(ap, bp, biasp, cp, m, k, n, transA ? 1 : 0, transB ? 1 : 0, ws);
      return arena.readF32(cp, m * n);
    },

    conv2d: convForward(wasm.sepconv_conv2d, wasm.sepconv_conv2d_workspace),
    conv2dBackwardInput: convBackwardInput(wasm.sepconv_conv2d_backward_input, wasm.sepconv_conv2d_backward_input_workspace),

    conv2dBackwardFilter(x, dy, g) {
      arena.reset();
      const gp = arena.put(convFields(g));
      const size = g.kH * g.kW * (g.inC / g.groups) * g.outC;
      const xp = arena.put(x), dyp = arena.put(dy), dwp = floats(size);
      const ws = floats(wasm.sepconv_conv2d_backward_filter_workspace(gp));
      wasm.sepconv_conv2d_backward_filter(xp, dyp, dwp, gp, ws);
      return arena.readF32(dwp, size);
    },

    depthwiseConv2d: convForward(wasm.sepconv_depthwise_conv2d, wasm.sepconv_depthwise_conv2d_workspace),
    depthwiseConv2dBackwardInput: convBackwardInput(wasm.sepconv_depthwise_conv2d_backward_input,
      wasm.sepconv_depthwise_conv2d_backward_input_workspace),

    depthwiseConv2dBackwardFilter(x, dy, g) {
      arena.reset();
      const gp = arena.put(convFields(g));
      const size = g.kH * g.kW * g.outC;
      const xp = arena.put(x), dyp = arena.put(dy), dwp = floats(size);
      wasm.sepconv_depthwise_conv2d_backward_filter(xp, dyp, dwp, gp);
      return arena.readF32(dwp, size);
    },

    unary(kind, x, alpha) {
      arena.reset();
      const xp = arena.put(x), yp = floats(x.length);
      wasm.sepconv_unary(unaryCodes[kind], xp, yp, x.length, alpha);
      return arena.readF32(yp, x.length);
    },

    unaryBackward(kind, x, dy, alpha) {
      arena.reset();
      const xp = arena.put(x), dyp = arena.put(dy), dxp = floats(x.length);
      wasm.sepconv_unary_backward(unaryCodes[kind], xp, dyp, dxp, x.length, alpha);
      return arena.readF32(dxp, x.length);
    },

    maxPool2d(x, g) {
      arena.reset();
      const gp = arena.put(poolFields(g));
      const size = poolOutSize(g);
      const xp = arena.put(x), yp = floats(size), ip = floats(size);
      wasm.sepconv_max_pool2d(xp, yp, ip, gp);
      return { y: arena.readF32(yp, size), argmax: arena.readI32(ip, size) };
    },

    maxPool2dBackward(dy, argmax, g) {
      arena.reset();
      const gp = arena.put(poolFields(g));
      const dyp = arena.put(dy), ip = arena.put(argmax), dxp = floats(poolInSize(g));
      wasm.sepconv_max_pool2d_backward(dyp, ip, dxp, gp);
      return arena.readF32(dxp, poolInSize(g));
    },

    avgPool2d(x, g, countIncludePad) {
      arena.reset();
      const gp = arena.put(poolFields(g));
      const xp = arena.put(x), yp = floats(poolOutSize(g));
      wasm.sepconv_avg_pool2d(xp, yp, gp, countIncludePad ? 1 : 0);
      return arena.readF32(yp, poolOutSize(g));
    },

    avgPool2dBackward(dy, g, countIncludePad) {
      arena.reset();
      const gp = arena.put(poolFields(g));
      const dyp = arena.put(dy), dxp = floats(poolInSize(g));
      wasm.sepconv_avg_pool2d_backward(dyp, dxp, gp, countIncludePad ? 1 : 0);
      return arena.readF32(dxp, poolInSize(g));
    },

    channelMoments(x, channels) {
      arena.reset();
      const positions = x.length / channels;
      const xp = arena.put(x), meanp = floats(channels), varp = floats(channels);
      const ws = floats(wasm.sepconv_channel_moments_workspace(channels));
      wasm.sepconv_channel_moments(xp, positions, channels, meanp, varp, ws);
      return { mean: arena.readF32(meanp, channels), variance: arena.readF32(varp, channels) };
    },

    batchNormForward(x, mean, invStd, gamma, beta) {
      arena.reset();
      const channels = mean.length;
      const xp = arena.put(x), meanp = arena.put(mean), sp = arena.put(invStd), gp = arena.put(gamma);
      const bp = arena.put(beta), yp = floats(x.length);
      const ws = floats(wasm.sepconv_batch_norm_forward_workspace(channels));
      wasm.sepconv_batch_norm_forward(xp, meanp, sp, gp, bp, yp, x.length / channels, channels, ws);
      return arena.readF32(yp, x.length);
    },

    batchNormBackward(x, dy, mean, invStd, gamma, training) {
      arena.reset();
      const channels = mean.length;
      const xp = arena.put(x), dyp = arena.put(dy), meanp = arena.put(mean), sp = arena.put(invStd);
      const gp = arena.put(gamma), dxp = floats(x.length), dgp = floats(channels), dbp = floats(channels);
      const ws = floats(wasm.sepconv_batch_norm_backward_workspace(channels));
      wasm.sepconv_batch_norm_backward(xp, dyp, meanp, sp, gp, training ? 1 : 0, dxp, dgp, dbp, x.length / channels,
        channels, ws);
      return { dx: arena.readF32(dxp, x.length), dGamma: arena.readF32(dgp, channels), dBeta: arena.readF32(dbp, channels) };
    },
  };
}
