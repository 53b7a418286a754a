/**
 * Channel conversion and resizing of decoded images. Resizing is separable bilinear interpolation whose triangle
 * filter widens by the shrink factor when downscaling (as Pillow's BILINEAR does), so that a large photo shrunk to
 * 32x32 averages its pixels instead of aliasing.
 */
import { ArgumentError } from '../errors.js';
import type { RgbaImage } from './image_decode.js';

/** RGBA bytes to `channels` floats in 0..255: 1 = luma (ITU-R 601, as Pillow's "L"), 3 = RGB (alpha dropped). */
export function rgbaToChannels(image: RgbaImage, channels: number): Float32Array {
  if (channels !== 1 && channels !== 3)
    throw new ArgumentError(`rgbaToChannels: channels must be 1 (grey) or 3 (RGB), got ${channels}`);
  const n = image.width * image.height;
  const out = new Float32Array(n * channels);
  const src = image.data;
  for (let p = 0; p < n; p++) {
    const r = src[4 * p], g = src[4 * p + 1], b = src[4 * p + 2];
    if (channels === 1) out[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    }
  }
  return out;
}

/** For each output index along one axis: the first source index and the normalised weights from there on. */
interface AxisWeights {
  start: Int32Array;
  weights: Float32Array[];
}

function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const support = Math.max(scale, 1);
  const start = new Int32Array(outSize);
  const weights: Float32Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(inSize - 1, Math.ceil(center + support));
    const w = new Float32Array(hi - lo + 1);
    let sum = 0;
    for (let i = lo; i <= hi; i++) {
      const v = Math.max(0, 1 - Math.abs(i + 0.5 - center) / support);
      w[i - lo] = v;
      sum += v;
    }
    // The clamped window at the borders can lose weight; renormalise so flat images stay flat.
    for (let k = 0; k < w.length; k++) w[k] /= sum;
    start[o] = lo;
    weights.push(w);
  }
  return { start, weights };
}

/** Resizes an HWC float image from `h x w` to `outH x outW` (channels unchanged). */
export function resizeImage(src: Float32Array, h: number, w: number, c: number, outH: number, outW: number): Float32Array {
  if (h === outH && w === outW) return src;
  const horiz = axisWeights(w, outW);
  const vert = axisWeights(h, outH);
  const rows = new Float32Array(h * outW * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < outW; x++) {
      const ws = horiz.weights[x];
      const base = (y * w + horiz.start[x]) * c;
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < ws.length; k++) acc += ws[k] * src[base + k * c + ch];
        rows[(y * outW + x) * c + ch] = acc;
      }
    }
  const out = new Float32Array(outH * outW * c);
  for (let y = 0; y < outH; y++) {
    const ws = vert.weights[y];
    const first = vert.start[y];
    for (let i = 0; i < outW * c; i++) {
      let acc = 0;
      for (let k = 0; k < ws.length; k++) acc += ws[k] * rows[(first + k) * outW * c + i];
      out[y * outW * c + i] = acc;
    }
  }
  return out;
}
