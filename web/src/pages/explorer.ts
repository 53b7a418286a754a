/**
 * Model explorer: a zoo model (or a dropped ONNX model, checkpoint, or TF.js model.json with its shards) profiled in the model worker: per-block
 * multiply-adds and measured time, each split depthwise / pointwise / other, the totals, and which layers dominate
 * the arithmetic versus the clock.
 */
import { dropzone } from '../lib/dropzone.js';
import { h, messageBox, setChildren, uniqueId } from '../lib/dom.js';
import { errorMessage } from '../lib/errors.js';
import { formatCompact, formatInt, formatMs, formatPercent } from '../lib/format.js';
import { exploreModel } from '../lib/model_client.js';
import { MAX_MODEL_BYTES, readModelFiles, type ModelSource } from '../lib/model_source.js';
import { SPLIT_KINDS, splitTotal, type LayerProfile, type ModelProfile, type Split, type SplitKind } from '../lib/profile.js';
import { barChart, defaultResolution, modelNames } from '../lib/sepconv.js';
import type { BackendChoice, ExploreResult } from '../workers/protocol.js';

const KIND_COLORS: Record<SplitKind, string> = { depthwise: '#f28e2b', pointwise: '#4e79a7', other: '#b7b0ab' };
const KIND_LABELS: Record<SplitKind, string> = { depthwise: 'depthwise', pointwise: 'pointwise', other: 'other' };
const TIME_SIDES = [64, 96, 128, 160, 224];
const MAX_BLOCKS = 40;

interface Block {
  name: string;
  macs: Split;
  ms: Split;
}

function emptyBlock(name: string): Block {
  return { name, macs: { depthwise: 0, pointwise: 0, other: 0 }, ms: { depthwise: 0, pointwise: 0, other: 0 } };
}

function addTo(b: Block, l: LayerProfile): void {
  for (const k of SPLIT_KINDS) {
    b.macs[k] += l.macs[k];
    b.ms[k] += l.ms[k];
  }
}

/** Layers merged by the first `depth` parts of their dotted paths, in model order. */
function byPathPrefix(layers: readonly LayerProfile[], depth: number): Block[] {
  const groups = new Map<string, Block>();
  for (const l of layers) {
    const name = l.name === '' ? '(model)' : l.name.split('.').slice(0, depth).join('.');
    let b = groups.get(name);
    if (b === undefined) groups.set(name, (b = emptyBlock(name)));
    addTo(b, l);
  }
  return [...groups.values()];
}

/** Flat names (Keras style 'conv_dw_1', 'conv_dw_1_bn', 'conv_dw_1_relu'): a layer joins the block it extends. */
function byNamePrefix(layers: readonly LayerProfile[]): Block[] {
  const blocks: Block[] = [];
  for (const l of layers) {
    const last = blocks[blocks.length - 1];
    if (last !== undefined && l.name.startsWith(`${last.name}_`)) addTo(last, l);
    else {
      const b = emptyBlock(l.name === '' ? '(model)' : l.name);
      addTo(b, l);
      blocks.push(b);
    }
  }
  return blocks;
}

/**
 * Layers grouped into chart blocks: by the deepest path prefix that gives at most MAX_BLOCKS groups (one level
 * deeper when that leaves fewer than 8 and the next level is still readable), or by name prefixes for flat names.
 */
function groupBlocks(layers: readonly LayerProfile[]): Block[] {
  const maxDepth = Math.max(1, ...layers.map((l) => l.name.split('.').length));
  const levels = Array.from({ length: maxDepth }, (_, i) => byPathPrefix(layers, i + 1));
  let pick = -1;
  levels.forEach((blocks, i) => { if (blocks.length <= MAX_BLOCKS) pick = i; });
  if (pick === -1) {
    const named = byNamePrefix(layers);
    return named.length < levels[0].length ? named : levels[0];
  }
  if (levels[pick].length < 8 && pick + 1 < levels.length && levels[pick + 1].length <= 2 * MAX_BLOCKS) pick++;
  return levels[pick];
}

function kindTable(p: ModelProfile): HTMLElement {
  const macs = splitTotal(p.totals.macs);
  const ms = splitTotal(p.totals.ms);
  return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'kind-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'kind'), h('th', { class: 'num' }, 'MACs'), h('th', { class: 'num' }, 'share'),
      h('th', { class: 'num' }, 'time'), h('th', { class: 'num' }, 'share'))),
    h('tbody', {}, SPLIT_KINDS.map((k) => h('tr', { 'data-kind': k },
      h('td', { style: 'white-space:nowrap' }, h('span', { class: `swatch sw-${k}` }), KIND_LABELS[k]),
      h('td', { class: 'num' }, formatCompact(p.totals.macs[k])),
      h('td', { class: 'num' }, formatPercent(macs === 0 ? 0 : p.totals.macs[k] / macs)),
      h('td', { class: 'num' }, formatMs(p.totals.ms[k])),
      h('td', { class: 'num' }, formatPercent(ms === 0 ? 0 : p.totals.ms[k] / ms)))))));
}

function insight(p: ModelProfile): string {
  const macs = splitTotal(p.totals.macs);
  const ms = splitTotal(p.totals.ms);
  if (macs === 0 || ms === 0) return '';
  const dwM = p.totals.macs.depthwise / macs, dwT = p.totals.ms.depthwise / ms;
  const pwM = p.totals.macs.pointwise / macs, pwT = p.totals.ms.pointwise / ms;
  if (dwM === 0 && pwM === 0)
    return 'This model has no depthwise or pointwise convolutions: its standard convolutions do the work (try separabilizing it).';
  return `Depthwise convolutions do ${formatPercent(dwM)} of the multiply-adds and take ${formatPercent(dwT)} of the time; ` +
    `pointwise convolutions ${formatPercent(pwM)} and ${formatPercent(pwT)}. ` +
    (dwT > dwM ? 'Depthwise layers do little arithmetic per byte they move, so they cost more time than their MACs suggest.' : '');
}

function topTable(title: string, layers: readonly LayerProfile[], by: 'macs' | 'ms', testId: string): HTMLElement {
  const total = layers.reduce((n, l) => n + splitTotal(l[by]), 0);
  const top = [...layers].sort((a, b) => splitTotal(b[by]) - splitTotal(a[by])).slice(0, 8).filter((l) => splitTotal(l[by]) > 0);
  return h('div', { class: 'card' }, h('h3', {}, title), h('div', { class: 'table-wrap' }, h('table', { 'data-testid': testId },
    h('thead', {}, h('tr', {}, h('th', {}, 'layer'), h('th', {}, 'kind'), h('th', { class: 'num' }, by === 'macs' ? 'MACs' : 'time'), h('th', { class: 'num' }, 'share'))),
    h('tbody', {}, top.map((l) => h('tr', {},
      h('td', {}, h('code', {}, l.name === '' ? '(model)' : l.name)),
      h('td', {}, l.kind),
      h('td', { class: 'num' }, by === 'macs' ? formatCompact(splitTotal(l.macs)) : formatMs(splitTotal(l.ms))),
      h('td', { class: 'num' }, formatPercent(total === 0 ? 0 : splitTotal(l[by]) / total))))))));
}

function chart(blocks: readonly Block[], by: 'macs' | 'ms', width: number): HTMLElement {
  const svg = barChart({
    title: by === 'macs' ? 'Multiply-adds per block' : 'Measured time per block',
    categories: blocks.map((b) => b.name),
    series: SPLIT_KINDS.map((k) => ({ name: k, color: KIND_COLORS[k], values: blocks.map((b) => b[by][k]) })),
    orientation: 'horizontal', stacked: true, width,
    valueLabel: by === 'macs' ? 'multiply-adds' : 'milliseconds',
    format: by === 'ms' ? (v) => String(Number(v.toPrecision(2))) : undefined,
  });
  const div = h('div', { class: 'chart', 'data-testid': `chart-${by}`, role: 'img', 'aria-label': `${by === 'macs' ? 'multiply-adds' : 'time'} per block, split by kind` });
  div.innerHTML = svg;
  return div;
}

function results(r: ExploreResult, container: HTMLElement): void {
  const p = r.profile;
  const [, th, tw] = p.timeInput;
  const [, ch, cw, cc] = p.costInput;
  const blocks = groupBlocks(p.layers);
  // Side by side when there is room, so a block's multiply-adds and time sit on one line.
  const wide = container.clientWidth >= 640;
  const chartWidth = Math.max(300, Math.min(760, wide ? (container.clientWidth - 16) / 2 - 36 : container.clientWidth - 36));
  setChildren(container,
    h('div', { class: 'card' },
      h('h3', { 'data-testid': 'model-title' }, r.info.title),
      h('div', { class: 'stats' },
        h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Parameters'), h('div', { class: 'value', 'data-testid': 'total-params', 'data-value': p.totals.params }, formatCompact(p.totals.params)), h('div', { class: 'sub' }, formatInt(p.totals.params))),
        h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Multiply-adds'), h('div', { class: 'value', 'data-testid': 'total-macs', 'data-value': splitTotal(p.totals.macs) }, formatCompact(splitTotal(p.totals.macs))), h('div', { class: 'sub' }, `one ${ch}×${cw}×${cc} image`)),
        h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Measured time'), h('div', { class: 'value', 'data-testid': 'total-ms' }, formatMs(splitTotal(p.totals.ms))), h('div', { class: 'sub' }, `at ${th}×${tw} on ${r.backend}, best of ${p.runs}`)),
        h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Layers'), h('div', { class: 'value' }, formatInt(p.layers.length)), h('div', { class: 'sub' }, `${blocks.length} blocks in the charts`))),
      h('p', { class: 'hint', style: 'margin-top:12px' }, insight(p)),
      kindTable(p),
      h('p', { class: 'hint', style: 'margin:8px 0 0' }, "'other' is everything else: standard and grouped convolutions, linear layers, " +
        'batch norm, activations, pooling, residual adds and squeeze-and-excitation.')),
    h('div', { class: 'card' },
      h('div', { class: 'grid', style: wide ? 'grid-template-columns: 1fr 1fr' : '' }, chart(blocks, 'macs', chartWidth), chart(blocks, 'ms', chartWidth))),
    h('div', { class: 'grid tables' },
      topTable('Most multiply-adds', p.layers, 'macs', 'top-macs'),
      topTable('Most time', p.layers, 'ms', 'top-time')));
}

export function mountExplorer(section: HTMLElement): void {
  const selectId = uniqueId('model');
  const resId = uniqueId('res');
  const timeId = uniqueId('time');
  const backendId = uniqueId('backend');
  const select = h('select', { id: selectId, 'data-testid': 'model-select' }, modelNames.map((n) => h('option', { value: n, selected: n === 'mobilenet_v2' }, n)));
  const resolution = h('input', { id: resId, type: 'number', min: 8, max: 1024, step: 1, value: defaultResolution.mobilenet_v2, 'data-testid': 'resolution' });
  const timeSide = h('select', { id: timeId, 'data-testid': 'time-side' }, TIME_SIDES.map((s) => h('option', { value: s, selected: s === 128 }, `${s}×${s}`)));
  const backend = h('select', { id: backendId, 'data-testid': 'backend' }, h('option', { value: 'wasm' }, 'wasm (SIMD)'), h('option', { value: 'js' }, 'js (reference)'));
  const status = h('div', { class: 'status', role: 'status', 'data-testid': 'status' });
  const out = h('div', { 'data-testid': 'explorer-results' });
  let fileSource: { source: ModelSource; key: string } | null = null;
  let current = 0;
  let shown: ExploreResult | null = null;
  let resizeTimer: number | undefined;
  window.addEventListener('resize', () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => { if (shown !== null && !section.hidden) results(shown, out); }, 200);
  });

  const analyse = async (): Promise<void> => {
    const ticket = ++current;
    let source: ModelSource;
    let key: string;
    if (fileSource !== null) ({ source, key } = fileSource);
    else {
      const res = Number(resolution.value);
      if (!Number.isInteger(res) || res < 8 || res > 1024) {
        resolution.setAttribute('aria-invalid', 'true');
        setChildren(out, messageBox(`Input size must be a whole number from 8 to 1024 (got '${resolution.value}')`));
        return;
      }
      resolution.setAttribute('aria-invalid', 'false');
      source = { kind: 'zoo', name: select.value, resolution: res };
      key = `zoo:${select.value}:${res}`;
    }
    status.textContent = 'Working…';
    out.setAttribute('aria-busy', 'true');
    try {
      const r = await exploreModel({ source, key, timeSide: Number(timeSide.value), backend: backend.value as BackendChoice },
        (text) => { if (ticket === current) status.textContent = text; });
      if (ticket !== current) return;
      shown = r;
      results(r, out);
    } catch (err) {
      if (ticket !== current) return;
      shown = null;
      setChildren(out, messageBox(errorMessage(err)));
    }
    status.textContent = '';
    out.setAttribute('aria-busy', 'false');
  };

  const drop = dropzone({
    label: 'Or drop a model file', hint: 'ONNX (.onnx), a sepconv checkpoint (.safetensors), or a TF.js model.json with its weight shards (.bin)',
    accept: '.onnx,.safetensors,.json,.bin,application/octet-stream,application/json', multiple: true,
    maxBytes: MAX_MODEL_BYTES, testId: 'model-file',
    onError: (m) => setChildren(out, messageBox(m)),
    onFiles: (files) => {
      void readModelFiles(files).then((read) => {
        fileSource = read;
        void analyse();
      }, (err: unknown) => setChildren(out, messageBox(errorMessage(err))));
    },
  });
  select.addEventListener('change', () => {
    fileSource = null;
    drop.setName(null);
    resolution.value = String(defaultResolution[select.value] ?? 224);
    void analyse();
  });
  resolution.addEventListener('change', () => { fileSource = null; drop.setName(null); void analyse(); });
  timeSide.addEventListener('change', () => void analyse());
  backend.addEventListener('change', () => void analyse());

  section.append(
    h('h2', { id: 'h-explorer' }, 'Where a model spends its multiply-adds, and its time'),
    h('p', { class: 'lead' }, 'The cost analyser counts every layer from shapes alone; the model worker then runs the model and ' +
      'clocks each layer. Multiply-adds and milliseconds do not line up: memory-bound layers take more time than their ' +
      'arithmetic suggests.'),
    h('div', { class: 'card' },
      h('div', { class: 'explorer-controls' },
        h('div', { class: 'controls' },
          h('div', { class: 'field wide' }, h('label', { for: selectId }, 'Zoo model'), select),
          h('div', { class: 'field' }, h('label', { for: resId }, 'Input size'), resolution),
          h('div', { class: 'field' }, h('label', { for: timeId }, 'Time at'), timeSide),
          h('div', { class: 'field' }, h('label', { for: backendId }, 'Backend'), backend)),
        drop.element),
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => void analyse(), 'data-testid': 'analyse' }, 'Analyse again'), status)),
    out);
  void analyse();
}
