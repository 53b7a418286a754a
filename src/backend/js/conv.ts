/**
 * Reference convolution kernels: direct loops over NHWC, one output (or one input/weight contribution) at a time.
 * They favour being obviously correct over speed; faster backends are tested against them.
 *
 * Index conventions (g = ConvGeometry):
 * - input  x[n, ih, iw, c]  at ((n * inH + ih) * inW + iw) * inC + c, with ih = oh * strideH - padTop + kh * dilationH
 *   (and likewise for iw); taps that fall in the padding read zero.
 * - grouped conv weight w[kh, kw, ci, co] at ((kh * kW + kw) * inC/groups + ci) * outC + co; output channel co
 *   belongs to group co / (outC/groups) and reads input channels group * (inC/groups) + ci.
 * - depthwise weight w[kh, kw, oc] at (kh * kW + kw) * outC + oc; output channel oc = c * M + m reads input channel
 *   c = oc / M (M = outC / inC, the depth multiplier).
 *
 * Forward sums accumulate in float64 (a JS number) and round once; backward kernels scatter into float64 arrays and
 * round once at the end.
 */
import type { ConvGeometry, Kernels } from '../kernels.js';

/** Input row (or column) read by output position `o` at tap `k`; may be outside [0, size) (padding). */
function inputIndex(o: number, k: number, stride: number, pad: number, dilation: number): number {
  return o * stride - pad + k * dilation;
}

/** Calls `visit(xIndex, kh, kw, yPixel)` for every (output pixel, tap) pair whose tap lands inside the input. */
function forEachTap(g: ConvGeometry, visit: (xPixel: number, kh: number, kw: number, yPixel: number) => void): void {
  for (let n = 0; n < g.batch; n++)
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++) {
        const yPixel = (n * g.outH + oh) * g.outW + ow;
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = inputIndex(oh, kh, g.strideH, g.padTop, g.dilationH);
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = inputIndex(ow, kw, g.strideW, g.padLeft, g.dilationW);
            if (iw < 0 || iw >= g.inW) continue;
            visit((n * g.inH + ih) * g.inW + iw, kh, kw, yPixel);
          }
        }
      }
}

/** Adds bias[c] to every pixel's channel c of an [.., C] accumulator. */
function addBias(acc: Float64Array, bias: Float32Array | null, channels: number): void {
  if (bias === null) return;
  for (let i = 0; i < acc.length; i++) acc[i] += bias[i % channels];
}

/**
 * Calls `visit(xGroup, wTap, yIndex)` for every (output pixel, in-bounds tap, output channel co) of a grouped conv:
 * xGroup indexes the tapped pixel's first input channel of co's group, wTap indexes w[kh, kw, 0, co] (input channel
 * ci of the group is at xGroup + ci and wTap + ci * outC), and yIndex indexes y[pixel, co].
 */
function forEachGroupedTap(g: ConvGeometry, visit: (xGroup: number, wTap: number, yIndex: number) => void): void {
  const cinPerGroup = g.inC / g.groups;
  const coutPerGroup = g.outC / g.groups;
  forEachTap(g, (xPixel, kh, kw, yPixel) => {
    const tap = (kh * g.kW + kw) * cinPerGroup;
    for (let co = 0; co < g.outC; co++) {
      const group = Math.floor(co / coutPerGroup);
      visit(xPixel * g.inC + group * cinPerGroup, tap * g.outC + co, yPixel * g.outC + co);
    }
  });
}

function conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: ConvGeometry): Float32Array {
  const cinPerGroup = g.inC / g.groups;
  const acc = new Float64Array(g.batch * g.outH * g.outW * g.outC);
  forEachGroupedTap(g, (xGroup, wTap, yIndex) => {
    let s = 0;
    for (let ci = 0; ci < cinPerGroup; ci++) s += x[xGroup + ci] * w[wTap + ci * g.outC];
    acc[yIndex] += s;
  });
  addBias(acc, bias, g.outC);
  return Float32Array.from(acc);
}

function conv2dBackwardInput(dy: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array {
  const cinPerGroup = g.inC / g.groups;
  const dx = new Float64Array(g.batch * g.inH * g.inW * g.inC);
  forEachGroupedTap(g, (xGroup, wTap, yIndex) => {
    const d = dy[yIndex];
    for (let ci = 0; ci < cinPerGroup; ci++) dx[xGroup + ci] += d * w[wTap + ci * g.outC];
  });
  return Float32Array.from(dx);
}

function conv2dBackwardFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array {
  const cinPerGroup = g.inC / g.groups;
  const dw = new Float64Array(g.kH * g.kW * cinPerGroup * g.outC);
  forEachGroupedTap(g, (xGroup, wTap, yIndex) => {
    const d = dy[yIndex];
    for (let ci = 0; ci < cinPerGroup; ci++) dw[wTap + ci * g.outC] += d * x[xGroup + ci];
  });
  return Float32Array.from(dw);
}

function depthwiseConv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, g: ConvGeometry): Float32Array {
  const multiplier = g.outC / g.inC;
  const acc = new Float64Array(g.batch * g.outH * g.outW * g.outC);
  forEachTap(g, (xPixel, kh, kw, yPixel) => {
    const tap = (kh * g.kW + kw) * g.outC;
    for (let oc = 0; oc < g.outC; oc++)
      acc[yPixel * g.outC + oc] += x[xPixel * g.inC + Math.floor(oc / multiplier)] * w[tap + oc];
  });
  addBias(acc, bias, g.outC);
  return Float32Array.from(acc);
}

function depthwiseConv2dBackwardInput(dy: Float32Array, w: Float32Array, g: ConvGeometry): Float32Array {
  const multiplier = g.outC / g.inC;
  const dx = new Float64Array(g.batch * g.inH * g.inW * g.inC);
  forEachTap(g, (xPixel, kh, kw, yPixel) => {
    const tap = (kh * g.kW + kw) * g.outC;
    for (let oc = 0; oc < g.outC; oc++)
      dx[xPixel * g.inC + Math.floor(oc / multiplier)] += dy[yPixel * g.outC + oc] * w[tap + oc];
  });
  return Float32Array.from(dx);
}

function depthwiseConv2dBackwardFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array {
  const multiplier = g.outC / g.inC;
  const dw = new Float64Array(g.kH * g.kW * g.outC);
  forEachTap(g, (xPixel, kh, kw, yPixel) => {
    const tap = (kh * g.kW + kw) * g.outC;
    for (let oc = 0; oc < g.outC; oc++)
      dw[tap + oc] += dy[yPixel * g.outC + oc] * x[xPixel * g.inC + Math.floor(oc / multiplier)];
  });
  return Float32Array.from(dw);
}

export const convKernels: Pick<Kernels, 'conv2d' | 'conv2dBackwardInput' | 'conv2dBackwardFilter' | 'depthwiseConv2d' |
  'depthwiseConv2dBackwardInput' | 'depthwiseConv2dBackwardFilter'> = {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardFilter,
  depthwiseConv2d,
  depthwiseConv2dBackwardInput,
  depthwiseConv2dBackwardFilter,
};
