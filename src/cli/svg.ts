/**
 * A small SVG chart writer with no dependencies: horizontal and vertical bar charts (grouped or stacked) and line
 * charts, each with axes, "nice" ticks (1-2-5 steps, or decades on a log scale), grid lines, axis labels, a legend
 * and a tooltip (<title>) on every bar and point. Output is a standalone SVG document string; `combineCharts` places
 * several side by side or one above another.
 */

/** Tableau 10: distinct, colour-blind-considerate hues. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const TEXT = '#222';
const MUTED = '#666';
const GRID = '#e3e3e3';
const AXIS = '#888';
const PAD = 16;
const TITLE_SIZE = 16;
const LABEL_SIZE = 12;
const TICK_SIZE = 11;

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? round(v) : escapeXml(v as string)}"`)
    .join('');
}

const round = (v: number): number => Math.round(v * 100) / 100;

function el(tag: string, a: Record<string, string | number | undefined>, children?: string): string {
  return children === undefined ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${children}</${tag}>`;
}

function text(x: number, y: number, content: string, a: Record<string, string | number | undefined> = {}): string {
  return el('text', { x, y, ...a }, escapeXml(content));
}

/** Approximate rendered width of `s` in a proportional sans-serif font (no font metrics available here). */
export function textWidth(s: string, size: number): number {
  let units = 0;
  for (const ch of s) units += /[ilj.,:;'|!I1()[\]]/.test(ch) ? 0.3 : /[mwMW@%]/.test(ch) ? 0.85 : /[A-Z0-9]/.test(ch) ? 0.64 : 0.55;
  return units * size;
}

function truncate(s: string, maxWidth: number, size: number): string {
  if (textWidth(s, size) <= maxWidth) return s;
  let t = s;
  while (t.length > 1 && textWidth(`…${t}`, size) > maxWidth) t = t.slice(1);
  return `…${t}`;
}

/** Compact tick/value label: 1500 -> "1.5K", 2.5e6 -> "2.5M", 0.125 -> "0.125". */
export function compactNumber(v: number): string {
  const a = Math.abs(v);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);
  for (const [scale, suffix] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']] as const)
    if (a >= scale) return trim((v / scale).toPrecision(3)) + suffix;
  if (a === 0) return '0';
  if (a >= 1) return trim(v.toPrecision(4));
  return trim(v.toPrecision(3));
}

/** Ticks covering [lo, hi] in steps of 1, 2 or 5 times a power of ten, about `target` of them. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) hi = lo + (lo === 0 ? 1 : Math.abs(lo));
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return ticks;
}

/**
 * Ticks for a log axis covering [lo, hi] (both > 0). The ends are the nearest 1, 2 or 5 × 10^e outside the range;
 * in between come decades, plus the 2× and 5× steps when the range spans at most two decades.
 */
export function logTicks(lo: number, hi: number): number[] {
  const steps = (e: number): number[] => [1, 2, 5].map((m) => Number((m * 10 ** e).toPrecision(12)));
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const candidates: number[] = [];
  for (let e = a; e <= b; e++) candidates.push(...steps(e));
  const first = [...candidates].reverse().find((v) => v <= lo * (1 + 1e-9)) ?? candidates[0];
  const last = candidates.find((v) => v >= hi * (1 - 1e-9)) ?? candidates[candidates.length - 1];
  const inner = candidates.filter((v) => v > first && v < last);
  const fine = Math.log10(last / first) <= 2;
  const ticks = [first, ...inner.filter((v) => fine || Number.isInteger(Math.log10(v))), last];
  return last > first ? ticks : [first, first * 10];
}

function document(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg"${attrs({ width, height, viewBox: `0 0 ${round(width)} ${round(height)}`, 'font-family': FONT })}>\n` +
    el('rect', { width: '100%', height: '100%', fill: 'white' }) + '\n' + body + '\n</svg>\n';
}

interface LegendItem {
  name: string;
  color: string;
  dashed?: boolean;
}

/** A legend laid out left to right from (x, y), wrapping at maxWidth; returns the markup and its height. */
function legend(items: readonly LegendItem[], x: number, y: number, maxWidth: number): { svg: string; height: number } {
  const parts: string[] = [];
  let cx = x;
  let cy = y;
  for (const item of items) {
    const w = 18 + textWidth(item.name, LABEL_SIZE) + 24;
    if (cx + w > x + maxWidth && cx > x) {
      cx = x;
      cy += 20;
    }
    parts.push(item.dashed === undefined
      ? el('rect', { x: cx, y: cy, width: 12, height: 12, rx: 2, fill: item.color })
      : el('line', { x1: cx, y1: cy + 6, x2: cx + 14, y2: cy + 6, stroke: item.color, 'stroke-width': 2.5, 'stroke-dasharray': item.dashed ? '5 3' : undefined }));
    parts.push(text(cx + 18, cy + 10.5, item.name, { 'font-size': LABEL_SIZE, fill: TEXT }));
    cx += w;
  }
  return { svg: el('g', { class: 'legend' }, parts.join('')), height: cy - y + 20 };
}

function header(title: string | undefined, subtitle: string | undefined, width: number): { svg: string; height: number } {
  const parts: string[] = [];
  let h = PAD;
  if (title !== undefined) {
    h += TITLE_SIZE;
    parts.push(text(PAD, h, title, { 'font-size': TITLE_SIZE, 'font-weight': 600, fill: TEXT }));
    h += 6;
  }
  if (subtitle !== undefined) {
    h += LABEL_SIZE + 2;
    parts.push(text(PAD, h, truncate(subtitle, width - 2 * PAD, LABEL_SIZE), { 'font-size': LABEL_SIZE, fill: MUTED }));
    h += 4;
  }
  return { svg: parts.join(''), height: h + (parts.length > 0 ? 10 : 0) };
}

export interface BarSeries {
  name: string;
  values: readonly number[];
  color?: string;
}

export interface BarChartOptions {
  title?: string;
  subtitle?: string;
  /** One label per bar (or group of bars). */
  categories: readonly string[];
  /** One value per category in each series. */
  series: readonly BarSeries[];
  /** 'vertical' (default): categories along the x axis; 'horizontal': categories down the left side. */
  orientation?: 'horizontal' | 'vertical';
  /** Stack the series in each category (default: side by side). */
  stacked?: boolean;
  /** Label of the value axis. */
  valueLabel?: string;
  /** Label of the category axis. */
  categoryLabel?: string;
  /** Formats tick labels and tooltips (default compactNumber). */
  format?: (v: number) => string;
  /** Print each bar's (or stack's) total at its end. */
  showValues?: boolean;
  /** Draw the legend (default: when there is more than one series). */
  legend?: boolean;
  /** Overall size; defaults grow with the number of categories. */
  width?: number;
  height?: number;
}

interface Bar {
  category: number;
  series: number;
  start: number;
  end: number;
}

function layoutBars(o: BarChartOptions): { bars: Bar[]; totals: number[]; lo: number; hi: number } {
  const bars: Bar[] = [];
  const totals: number[] = [];
  let lo = 0;
  let hi = 0;
  o.categories.forEach((_, c) => {
    let up = 0;
    let down = 0;
    o.series.forEach((s, i) => {
      const v = s.values[c] ?? 0;
      if (o.stacked === true) {
        const base = v >= 0 ? up : down;
        bars.push({ category: c, series: i, start: base, end: base + v });
        if (v >= 0) up += v;
        else down += v;
      } else {
        bars.push({ category: c, series: i, start: 0, end: v });
        up = Math.max(up, v);
        down = Math.min(down, v);
      }
    });
    totals.push(o.stacked === true ? up + down : up);
    hi = Math.max(hi, up);
    lo = Math.min(lo, down);
  });
  return { bars, totals, lo, hi };
}

function seriesColor(s: { color?: string }, i: number): string {
  return s.color ?? PALETTE[i % PALETTE.length];
}

/** A bar chart as a standalone SVG document. */
export function barChart(o: BarChartOptions): string {
  const horizontal = o.orientation === 'horizontal';
  const fmt = o.format ?? compactNumber;
  const n = o.categories.length;
  const stacked = o.stacked === true;
  const groups = stacked ? 1 : Math.max(1, o.series.length);
  const { bars, totals, lo, hi } = layoutBars(o);
  const ticks = niceTicks(lo, hi, horizontal ? 6 : 5);
  const vMin = ticks[0];
  const vMax = ticks[ticks.length - 1];
  const tickLabelWidth = Math.max(...ticks.map((t) => textWidth(fmt(t), TICK_SIZE)));
  const valueExtra = o.showValues === true ? Math.max(...totals.map((t) => textWidth(fmt(t), TICK_SIZE))) + 10 : 0;

  const width = o.width ?? (horizontal ? 760 : Math.max(480, Math.min(1400, 80 + n * Math.max(24, 14 * groups + 8))));
  const head = header(o.title, o.subtitle, width);
  const legendItems = (o.legend ?? o.series.length > 1) ? o.series.map((s, i) => ({ name: s.name, color: seriesColor(s, i) })) : [];
  const leg = legendItems.length > 0 ? legend(legendItems, PAD, head.height, width - 2 * PAD) : { svg: '', height: 0 };
  const top = head.height + leg.height + (leg.height > 0 ? 8 : 0) + (horizontal ? TICK_SIZE + 8 : 6);
  const parts: string[] = [head.svg, leg.svg];

  if (horizontal) {
    const rowHeight = o.height !== undefined ? 0 : Math.max(16, 6 + 8 * groups);
    const labelWidth = Math.min(280, Math.max(...o.categories.map((c) => textWidth(c, TICK_SIZE)), 20));
    const left = PAD + labelWidth + 10 + (o.categoryLabel !== undefined ? LABEL_SIZE + 8 : 0);
    const right = width - PAD - valueExtra - tickLabelWidth / 2;
    const bottomSpace = TICK_SIZE + 12 + (o.valueLabel !== undefined ? LABEL_SIZE + 10 : 0) + PAD;
    const height = o.height ?? top + n * rowHeight + bottomSpace;
    const plotBottom = height - bottomSpace;
    const band = (plotBottom - top) / Math.max(n, 1);
    const x = (v: number): number => left + ((v - vMin) / (vMax - vMin)) * (right - left);
    for (const t of ticks) {
      parts.push(el('line', { x1: x(t), y1: top, x2: x(t), y2: plotBottom, stroke: t === 0 ? AXIS : GRID, 'stroke-width': 1 }));
      parts.push(text(x(t), plotBottom + TICK_SIZE + 6, fmt(t), { 'font-size': TICK_SIZE, fill: MUTED, 'text-anchor': 'middle' }));
      if (n > 24) parts.push(text(x(t), top - 6, fmt(t), { 'font-size': TICK_SIZE, fill: MUTED, 'text-anchor': 'middle' }));
    }
    o.categories.forEach((c, i) => {
      parts.push(text(left - 8, top + (i + 0.5) * band + TICK_SIZE * 0.35, truncate(c, labelWidth, TICK_SIZE),
        { 'font-size': TICK_SIZE, fill: TEXT, 'text-anchor': 'end' }, ));
    });
    const thickness = (band * 0.78) / groups;
    for (const b of bars) {
      const y = top + b.category * band + band * 0.11 + (stacked ? 0 : b.series * thickness);
      const x0 = x(Math.min(b.start, b.end));
      const w = Math.abs(x(b.end) - x(b.start));
      if (w <= 0) continue;
      parts.push(el('rect', { x: x0, y, width: w, height: thickness, fill: seriesColor(o.series[b.series], b.series) },
        el('title', {}, escapeXml(`${o.categories[b.category]} — ${o.series[b.series].name}: ${fmt(b.end - b.start)}`))));
    }
    if (o.showValues === true)
      totals.forEach((t, i) => parts.push(text(x(Math.max(t, 0)) + 4, top + (i + 0.5) * band + TICK_SIZE * 0.35, fmt(t),
        { 'font-size': TICK_SIZE, fill: MUTED })));
    parts.push(el('line', { x1: left, y1: top, x2: left, y2: plotBottom, stroke: AXIS }));
    if (o.valueLabel !== undefined)
      parts.push(text((left + right) / 2, height - PAD, o.valueLabel, { 'font-size': LABEL_SIZE, fill: TEXT, 'text-anchor': 'middle' }));
    if (o.categoryLabel !== undefined)
      parts.push(text(PAD + LABEL_SIZE, (top + plotBottom) / 2, o.categoryLabel,
        { 'font-size': LABEL_SIZE, fill: TEXT, 'text-anchor': 'middle', transform: `rotate(-90 ${PAD + LABEL_SIZE} ${round((top + plotBottom) / 2)})` }));
    return document(width, height, parts.join('\n'));
  }

  const left = PAD + (o.valueLabel !== undefined ? LABEL_SIZE + 10 : 0) + tickLabelWidth + 8;
  const right = width - PAD;
  const band = (right - left) / Math.max(n, 1);
  const longest = Math.max(...o.categories.map((c) => textWidth(c, TICK_SIZE)), 0);
  const rotate = longest > band - 4;
  const labelSpace = rotate ? Math.min(160, longest) * 0.72 + TICK_SIZE : TICK_SIZE;
  const bottomSpace = labelSpace + 10 + (o.categoryLabel !== undefined ? LABEL_SIZE + 10 : 0) + PAD;
  const height = o.height ?? Math.max(360, top + 260 + bottomSpace);
  const plotBottom = height - bottomSpace;
  const plotTop = top + (o.showValues === true ? TICK_SIZE + 4 : 0);
  const y = (v: number): number => plotBottom - ((v - vMin) / (vMax - vMin)) * (plotBottom - plotTop);
  for (const t of ticks) {
    parts.push(el('line', { x1: left, y1: y(t), x2: right, y2: y(t), stroke: t === 0 ? AXIS : GRID, 'stroke-width': 1 }));
    parts.push(text(left - 6, y(t) + TICK_SIZE * 0.35, fmt(t), { 'font-size': TICK_SIZE, fill: MUTED, 'text-anchor': 'end' }));
  }
  o.categories.forEach((c, i) => {
    const cx = left + (i + 0.5) * band;
    const label = truncate(c, rotate ? 160 : band, TICK_SIZE);
    parts.push(rotate
      ? text(cx, plotBottom + 12, label, { 'font-size': TICK_SIZE, fill: TEXT, 'text-anchor': 'end', transform: `rotate(-40 ${round(cx)} ${round(plotBottom + 12)})` })
      : text(cx, plotBottom + TICK_SIZE + 6, label, { 'font-size': TICK_SIZE, fill: TEXT, 'text-anchor': 'middle' }));
  });
  const thickness = (band * 0.72) / groups;
  for (const b of bars) {
    const x0 = left + b.category * band + band * 0.14 + (stacked ? 0 : b.series * thickness);
    const h = Math.abs(y(b.end) - y(b.start));
    if (h <= 0) continue;
    parts.push(el('rect', { x: x0, y: y(Math.max(b.start, b.end)), width: thickness, height: h, fill: seriesColor(o.series[b.series], b.series) },
      el('title', {}, escapeXml(`${o.categories[b.category]} — ${o.series[b.series].name}: ${fmt(b.end - b.start)}`))));
    if (o.showValues === true && !stacked)
      parts.push(text(x0 + thickness / 2, y(Math.max(b.end, 0)) - 4, fmt(b.end), { 'font-size': TICK_SIZE, fill: MUTED, 'text-anchor': 'middle' }));
  }
  if (o.showValues === true && stacked)
    totals.forEach((t, i) => parts.push(text(left + (i + 0.5) * band, y(Math.max(t, 0)) - 4, fmt(t),
      { 'font-size': TICK_SIZE, fill: MUTED, 'text-anchor': 'middle' })));
  parts.push(el('line', { x1: left, y1: plotTop, x2: left, y2: plotBottom, stroke: AXIS }));
  if (o.valueLabel !== undefined) {
    const cy = (plotTop + plotBottom) / 2;
    parts.push(text(PAD + LABEL_SIZE, cy, o.valueLabel,
      { 'font-size': LABEL_SIZE, fill: TEXT, 'text-anchor': 'middle', transform: `rotate(-90 ${PAD + LABEL_SIZE} ${round(cy)})` }));
  }
  if (o.categoryLabel !== undefined)
    parts.push(text((left + right) / 2, height - PAD, o.categoryLabel, { 'font-size': LABEL_SIZE, fill: TEXT, 'text-anchor': 'middle' }));
  return document(width, height, parts.join('\n'));
}

export interface LineSeries {
  name: string;
  /** [x, y] pairs in drawing order; non-finite y values break the line. */
  points: readonly (readonly [number, number])[];
  color?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title?: string;
  subtitle?: string;
  series: readonly LineSeries[];
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (all y must be > 0), e.g. for losses. */
  logY?: boolean;
  /** Fix the y range instead of fitting the data (e.g. [0, 1] for accuracy). */
  yRange?: readonly [number, number];
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Draw a dot at each point (default: when no series has more than 40 points). */
  markers?: boolean;
  width?: number;
  height?: number;
}

/** A line chart (e.g. training curves) as a standalone SVG document. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 420;
  const xf = o.xFormat ?? compactNumber;
  const yf = o.yFormat ?? compactNumber;
  const logY = o.logY === true;
  const all = o.series.flatMap((s) => s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py) && (!logY || py > 0)));
  const xs = all.map(([px]) => px);
  const ys = all.map(([, py]) => py);
  const xTicks = niceTicks(Math.min(...xs, Infinity) === Infinity ? 0 : Math.min(...xs), xs.length > 0 ? Math.max(...xs) : 1, 6);
  const yLo = o.yRange?.[0] ?? (ys.length > 0 ? Math.min(...ys) : 0);
  const yHi = o.yRange?.[1] ?? (ys.length > 0 ? Math.max(...ys) : 1);
  const yTicks = logY ? logTicks(Math.max(yLo, Number.MIN_VALUE), Math.max(yHi, yLo)) : niceTicks(yLo, yHi, 5);
  const head = header(o.title, o.subtitle, width);
  const items = o.series.map((s, i) => ({ name: s.name, color: seriesColor(s, i), dashed: s.dashed === true }));
  const leg = items.length > 1 ? legend(items, PAD, head.height, width - 2 * PAD) : { svg: '', height: 0 };
  const top = head.height + leg.height + 10;
  const tickLabelWidth = Math.max(...yTicks.map((t) => textWidth(yf(t), TICK_SIZE)));
  const left = PAD + (o.yLabel !== undefined ? LABEL_SIZE + 10 : 0) + tickLabelWidth + 8;
  const right = width - PAD - textWidth(xf(xTicks[xTicks.length - 1]), TICK_SIZE) / 2;
  const bottom = height - PAD - TICK_SIZE - 8 - (o.xLabel !== undefined ? LABEL_SIZE + 10 : 0);
  const [x0, x1] = [xTicks[0], xTicks[xTicks.length - 1]];
  const [y0, y1] = [yTicks[0], yTicks[yTicks.length - 1]];
  const sx = (v: number): number => left + ((v - x0) / (x1 - x0)) * (right - left);
  const sy = logY
    ? (v: number): number => bottom - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (bottom - top)
    : (v: number): number => bottom - ((v - y0) / (y1 - y0)) * (bottom - top);
  const parts: string[] = [head.svg, leg.svg];
  for (const t of yTicks) {
    parts.push(el('line', { x1: left, y1: sy(t), x2: right, y2: sy(t), stroke: GRID }));
    parts.push(text(left - 6, sy(t) + TICK_SIZE * 0.35, yf(t), { 'font-size': TICK_SIZE, fill: MUTED, 'text-anchor': 'end' }));
  }
  for (const t of xTicks) {
    parts.push(el('line', { x1: sx(t), y1: bottom, x2: sx(t), y2: bottom + 4, stroke: AXIS }));
    parts.push(text(sx(t), bottom + TICK_SIZE + 8, xf(t), { 'font-size': TICK_SIZE, fill: MUTED, 'text-anchor': 'middle' }));
  }
  parts.push(el('polyline', { points: `${round(left)},${round(top)} ${round(left)},${round(bottom)} ${round(right)},${round(bottom)}`, fill: 'none', stroke: AXIS }));
  const markers = o.markers ?? o.series.every((s) => s.points.length <= 40);
  o.series.forEach((s, i) => {
    const color = seriesColor(s, i);
    // Split at gaps (non-finite or, on a log axis, non-positive values) so a NaN loss does not draw a spike.
    const runs: string[][] = [[]];
    for (const [px, py] of s.points) {
      if (Number.isFinite(px) && Number.isFinite(py) && (!logY || py > 0)) runs[runs.length - 1].push(`${round(sx(px))},${round(sy(py))}`);
      else if (runs[runs.length - 1].length > 0) runs.push([]);
    }
    for (const run of runs)
      if (run.length > 0)
        parts.push(el('polyline', { points: run.join(' '), fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round',
          'stroke-linecap': 'round', 'stroke-dasharray': s.dashed === true ? '6 4' : undefined }));
    if (markers)
      for (const [px, py] of s.points)
        if (Number.isFinite(px) && Number.isFinite(py) && (!logY || py > 0))
          parts.push(el('circle', { cx: sx(px), cy: sy(py), r: 2.8, fill: color },
            el('title', {}, escapeXml(`${s.name}: (${xf(px)}, ${yf(py)})`))));
  });
  if (o.xLabel !== undefined)
    parts.push(text((left + right) / 2, height - PAD, o.xLabel, { 'font-size': LABEL_SIZE, fill: TEXT, 'text-anchor': 'middle' }));
  if (o.yLabel !== undefined) {
    const cy = (top + bottom) / 2;
    parts.push(text(PAD + LABEL_SIZE, cy, o.yLabel,
      { 'font-size': LABEL_SIZE, fill: TEXT, 'text-anchor': 'middle', transform: `rotate(-90 ${PAD + LABEL_SIZE} ${round(cy)})` }));
  }
  return document(width, height, parts.join('\n'));
}

function svgSize(svg: string): [number, number] {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
}

export interface CombineOptions {
  /** 'row' (default): side by side; 'column': one above another. */
  direction?: 'row' | 'column';
  title?: string;
  subtitle?: string;
  /** One legend for all panels (give the panels `legend: false`). */
  legend?: readonly { name: string; color: string }[];
}

/** Places charts made by this module in a row or a column in one SVG document, under an optional title and legend. */
export function combineCharts(charts: readonly string[], o: CombineOptions = {}): string {
  const row = (o.direction ?? 'row') === 'row';
  const sizes = charts.map(svgSize);
  const along = sizes.reduce((sum, [w, h]) => sum + (row ? w : h), 0);
  const across = Math.max(0, ...sizes.map(([w, h]) => (row ? h : w)));
  const titleWidth = Math.max(o.title === undefined ? 0 : textWidth(o.title, TITLE_SIZE), o.subtitle === undefined ? 0 : textWidth(o.subtitle, LABEL_SIZE));
  const width = Math.max(row ? along : across, titleWidth + 2 * PAD);
  const head = header(o.title, o.subtitle, width);
  const leg = o.legend === undefined || o.legend.length === 0 ? { svg: '', height: 0 } : legend(o.legend, PAD, head.height, width - 2 * PAD);
  const top = head.height + leg.height;
  let offset = 0;
  const parts = charts.map((svg, i) => {
    const [w, h] = sizes[i];
    const inner = svg.replace(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, '<svg').trimEnd();
    const placed = inner.replace(/^<svg/, row ? `<svg x="${round(offset)}" y="${round(top)}"` : `<svg x="0" y="${round(top + offset)}"`);
    offset += row ? w : h;
    return placed;
  });
  const height = top + (row ? across : along);
  return document(width, height, [head.svg, leg.svg, ...parts].join('\n'));
}
