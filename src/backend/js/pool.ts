/**
 * Reference NHWC pooling. Window (oh, ow) covers input rows oh*strideH - padTop ... + kH - 1 (and likewise for
 * columns); cells outside the input are padding. Max pooling never picks a padded cell; average pooling divides by
 * the number of real cells, or by kH*kW when countIncludePad (the window always lies inside the padded input).
 * The ops guarantee every window holds at least one real cell (each pad is smaller than the kernel).
 */
import type { Kernels, PoolGeometry } from '../kernels.js';

/** The input rows (or columns) a window starting at `start` covers, clipped to [0, size). */
function clip(start: number, k: number, size: number): [number, number] {
  return [Math.max(start, 0), Math.min(start + k, size)];
}

/**
 * Calls `visit` for every output (index `o`, NHWC order) with the flat input indices its window covers, padding
 * excluded, in row-major order; every pooling kernel, forward and backward, walks these same windows.
 */
function forEachWindow(g: PoolGeometry, visit: (o: number, cells: number[]) => void): void {
  const { batch, inH, inW, channels: c, outH, outW } = g;
  const cells: number[] = [];
  let o = 0;
  for (let n = 0; n < batch; n++)
    for (let oh = 0; oh < outH; oh++) {
      const [h0, h1] = clip(oh * g.strideH - g.padTop, g.kH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const [w0, w1] = clip(ow * g.strideW - g.padLeft, g.kW, inW);
        for (let ch = 0; ch < c; ch++, o++) {
          cells.length = 0;
          for (let h = h0; h < h1; h++)
            for (let w = w0; w < w1; w++) cells.push(((n * inH + h) * inW + w) * c + ch);
          visit(o, cells);
        }
      }
    }
}

/** What an average pool divides a window's sum by. */
function avgDivisor(g: PoolGeometry, cells: number[], countIncludePad: boolean): number {
  return countIncludePad ? g.kH * g.kW : cells.length;
}

export const poolKernels: Pick<Kernels, 'maxPool2d' | 'maxPool2dBackward' | 'avgPool2d' | 'avgPool2dBackward'> = {
  maxPool2d(x, g) {
    const y = new Float32Array(g.batch * g.outH * g.outW * g.channels);
    const argmax = new Int32Array(y.length);
    forEachWindow(g, (o, cells) => {
      let best = -Infinity;
      let bestIndex = cells[0];
      // First maximum wins ties; a NaN wins outright (as in PyTorch) so the numerics check can see it.
      for (const i of cells) {
        const v = x[i];
        if (Number.isNaN(v)) {
          bestIndex = i;
          break;
        }
        if (v > best) {
          best = v;
          bestIndex = i;
        }
      }
      y[o] = x[bestIndex];
      argmax[o] = bestIndex;
    });
    return { y, argmax };
  },

  maxPool2dBackward(dy, argmax, g) {
    const dx = new Float32Array(g.batch * g.inH * g.inW * g.channels);
    for (let o = 0; o < dy.length; o++) dx[argmax[o]] += dy[o];
    return dx;
  },

  avgPool2d(x, g, countIncludePad) {
    const y = new Float32Array(g.batch * g.outH * g.outW * g.channels);
    forEachWindow(g, (o, cells) => {
      let sum = 0;
      for (const i of cells) sum += x[i];
      y[o] = sum / avgDivisor(g, cells, countIncludePad);
    });
    return y;
  },

  avgPool2dBackward(dy, g, countIncludePad) {
    const dx = new Float32Array(g.batch * g.inH * g.inW * g.channels);
    forEachWindow(g, (o, cells) => {
      const share = dy[o] / avgDivisor(g, cells, countIncludePad);
      for (const i of cells) dx[i] += share;
    });
    return dx;
  },
};
