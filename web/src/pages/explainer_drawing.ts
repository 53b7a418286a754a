/**
 * The explainer's drawings: an input tensor H×W×C_in as a box in oblique projection (width across, height down,
 * channels into the page) with the part one filter reads highlighted, an arrow, and the output tensor with the value
 * that filter writes. Sizes are schematic: spatial sides share one scale (windows kept big enough to see), channels
 * are drawn on a log scale.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const DX = 0.62;
const DY = -0.42;

interface Box {
  x: number;
  y: number;
  z: number;
  w: number;
  h: number;
  d: number;
}

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function project(ox: number, oy: number, x: number, y: number, z: number): string {
  return `${(ox + x + z * DX).toFixed(1)},${(oy + y + z * DY).toFixed(1)}`;
}

/** Front, top and right faces of a box, the top and side shaded darker. */
function drawBox(svg: SVGElement, ox: number, oy: number, b: Box, fill: string, stroke: string, opacity = 1): void {
  const p = (x: number, y: number, z: number) => project(ox, oy, x, y, z);
  const { x, y, z, w, h, d } = b;
  const faces: [string, number][] = [
    [[p(x, y, z), p(x + w, y, z), p(x + w, y + h, z), p(x, y + h, z)].join(' '), 1],
    [[p(x, y, z), p(x, y, z + d), p(x + w, y, z + d), p(x + w, y, z)].join(' '), 0.82],
    [[p(x + w, y, z), p(x + w, y, z + d), p(x + w, y + h, z + d), p(x + w, y + h, z)].join(' '), 0.68],
  ];
  for (const [points, shade] of faces)
    svg.append(el('polygon', { points, fill, stroke, 'stroke-width': 1, 'stroke-linejoin': 'round', opacity, style: `filter: brightness(${shade})` }));
}

/** Channel depth on a log scale: 1 channel is a thin slab, 1024 the deepest box. */
function depthOf(channels: number): number {
  return 6 + 64 * Math.min(1, Math.log2(channels) / 10);
}

export type FilterKind = 'standard' | 'depthwise' | 'pointwise';

export interface DrawingInput {
  kind: FilterKind;
  k: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  outH: number;
  outW: number;
}

const COLORS: Record<FilterKind, string> = { standard: '#8a96a3', depthwise: '#f28e2b', pointwise: '#4e79a7' };

/** The SVG for one kind of filter. */
export function drawFilter(d: DrawingInput): SVGSVGElement {
  const svg = el('svg', { viewBox: '0 0 360 210', role: 'img' }) as SVGSVGElement;
  const color = COLORS[d.kind];
  // Input: the image for standard and depthwise; the depthwise output (outH x outW x C_in) for pointwise.
  const inH = d.kind === 'pointwise' ? d.outH : d.h;
  const inW = d.kind === 'pointwise' ? d.outW : d.w;
  const inC = d.cin;
  const outC = d.kind === 'depthwise' ? d.cin : d.cout;
  const window = d.kind === 'pointwise' ? 1 : d.k;
  const scale = 118 / Math.max(d.h, d.w);
  const side = (n: number) => Math.max(14, n * scale);
  const input: Box = { x: 0, y: 0, z: 0, w: side(inW), h: side(inH), d: depthOf(inC) };
  const output: Box = { x: 0, y: 0, z: 0, w: side(d.outW), h: side(d.outH), d: depthOf(outC) };
  const inX = 14, inY = 70 + (118 - input.h) / 2 + 10;
  drawBox(svg, inX, inY, input, '#eef1f4', '#8893a0');
  const win = Math.min(input.w, Math.max(16, window * scale));
  const winH = Math.min(input.h, Math.max(16, window * scale));
  // What one filter reads: the whole channel depth (standard, pointwise) or one channel (depthwise).
  const slab = d.kind === 'depthwise' ? { z: input.d * 0.35, d: Math.max(3, input.d / Math.max(inC, 1)) } : { z: 0, d: input.d };
  drawBox(svg, inX, inY, { x: 0, y: 0, z: slab.z, w: win, h: winH, d: slab.d }, color, '#333', 0.92);

  const outX = 360 - 14 - output.w - output.d * DX;
  const outY = 70 + (118 - output.h) / 2 + 10;
  drawBox(svg, outX, outY, output, '#eef1f4', '#8893a0');
  const px = Math.max(6, Math.min(output.w, scale));
  const pz = d.kind === 'depthwise' ? output.d * 0.35 : 0;
  drawBox(svg, outX, outY, { x: 0, y: 0, z: pz, w: px, h: px, d: Math.max(3, output.d / Math.max(outC, 1)) }, color, '#333');

  const ax1 = inX + input.w + input.d * DX + 8;
  const ax2 = outX - 8;
  const ay = 70 + 10 + 59;
  if (ax2 - ax1 > 16) {
    svg.append(el('line', { x1: ax1, y1: ay, x2: ax2 - 6, y2: ay, stroke: '#5b6570', 'stroke-width': 2 }));
    svg.append(el('polygon', { points: `${ax2},${ay} ${ax2 - 9},${ay - 5} ${ax2 - 9},${ay + 5}`, fill: '#5b6570' }));
  }
  const label = (x: number, y: number, text: string, anchor = 'start') =>
    svg.append(el('text', { x, y, 'font-size': 13, fill: '#3b444d', 'text-anchor': anchor }, text));
  label(inX, 200, `${inH}×${inW}×${inC}`);
  label(356, 200, `${d.outH}×${d.outW}×${outC}`, 'end');
  const reads = d.kind === 'standard' ? `${d.k}×${d.k}×${d.cin} block` : d.kind === 'depthwise' ? `${d.k}×${d.k} window, 1 channel` : `1×1×${d.cin} column`;
  label(inX, 22, `one filter reads a ${reads}`);
  const count = d.kind === 'standard' ? `${d.cout} such filters` : d.kind === 'depthwise' ? `${d.cin} filters, one per channel` : `${d.cout} such filters`;
  label(inX, 40, count);
  svg.append(el('title', {}, `${d.kind} convolution: ${reads}; ${count}`));
  return svg;
}
