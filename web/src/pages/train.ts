/**
 * Train: a small separable CNN and its standard twin (small_cnn and separabilize(small_cnn)) trained side by side on
 * the built-in digits, each in its own Web Worker, with live loss and accuracy curves and a stop button. Finished
 * (or stopped) models go to the Run tab and can be downloaded as checkpoints for `sepconv predict`.
 */
import { digitsUrl } from '../lib/digits.js';
import { h, messageBox, setChildren, uniqueId } from '../lib/dom.js';
import { formatCompact, formatInt, formatPercent } from '../lib/format.js';
import { barChart, lineChart } from '../lib/sepconv.js';
import { putTrainedModel } from '../lib/trained_models.js';
import type { TrainEvent, TrainSettings, Twin } from '../workers/train_protocol.js';

const TWINS: readonly Twin[] = ['separable', 'standard'];
const COLORS: Record<Twin, string> = { separable: '#f28e2b', standard: '#4e79a7' };
const LABELS: Record<Twin, string> = { separable: 'Separable (depthwise + pointwise)', standard: 'Standard 3×3 convs' };

interface TwinState {
  worker: Worker | null;
  status: 'idle' | 'starting' | 'training' | 'stopping' | 'done' | 'failed';
  loss: [number, number][];
  smoothLoss: number | null;
  smoothAccuracy: number | null;
  accuracy: [number, number][];
  test: [number, number][];
  stepsPerEpoch: number;
  lastStep: number;
  ready?: Extract<TrainEvent, { type: 'ready' }>;
  lastStepEvent?: Extract<TrainEvent, { type: 'step' }>;
  done?: Extract<TrainEvent, { type: 'done' }>;
  error?: string;
  downloadUrl?: string;
}

function freshState(): TwinState {
  return { worker: null, status: 'idle', loss: [], smoothLoss: null, smoothAccuracy: null, accuracy: [], test: [], stepsPerEpoch: 0, lastStep: 0 };
}

function selectField(label: string, testId: string, options: readonly [string, string][], value: string): { field: HTMLElement; select: HTMLSelectElement } {
  const id = uniqueId(testId);
  const select = h('select', { id, 'data-testid': testId }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), select), select };
}

export function mountTrain(section: HTMLElement): void {
  const width = selectField('Channels', 'train-width', [['8', '8, 16, 32'], ['16', '16, 32, 64']], '16');
  const epochs = selectField('Epochs', 'train-epochs', [['1', '1'], ['2', '2'], ['3', '3'], ['5', '5'], ['10', '10']], '3');
  const batch = selectField('Batch', 'train-batch', [['16', '16'], ['32', '32'], ['64', '64']], '32');
  const lr = selectField('Learning rate (Adam)', 'train-lr', [['0.001', '0.001'], ['0.003', '0.003'], ['0.01', '0.01']], '0.003');
  const start = h('button', { type: 'button', 'data-testid': 'train-start' }, 'Train both');
  const stop = h('button', { type: 'button', class: 'danger', disabled: true, 'data-testid': 'train-stop' }, 'Stop');
  const message = h('div', { 'aria-live': 'polite' });
  const lossChart = h('div', { class: 'chart', 'data-testid': 'loss-chart', role: 'img', 'aria-label': 'training loss per step, both models' });
  const accChart = h('div', { class: 'chart', 'data-testid': 'accuracy-chart', role: 'img', 'aria-label': 'training accuracy per step, both models' });
  const testChart = h('div', { class: 'chart', 'data-testid': 'test-chart', role: 'img', 'aria-label': 'test accuracy after each epoch, both models' });
  const cards = new Map<Twin, HTMLElement>(TWINS.map((t) => [t, h('div', { class: 'card', 'data-testid': `twin-${t}` })]));
  const states = new Map<Twin, TwinState>(TWINS.map((t) => [t, freshState()]));
  const settingsControls = [width.select, epochs.select, batch.select, lr.select];

  const running = () => TWINS.some((t) => ['starting', 'training', 'stopping'].includes(states.get(t)!.status));

  const renderCard = (t: Twin): void => {
    const s = states.get(t)!;
    const card = cards.get(t)!;
    const pill = h('span', { class: `pill ${s.status === 'done' ? 'done' : s.status === 'idle' ? '' : 'running'}`, 'data-testid': `status-${t}` }, s.status);
    const rows: [string, string, string?][] = [];
    if (s.ready !== undefined) {
      rows.push(['parameters', formatInt(s.ready.params)], ['multiply-adds / image', formatCompact(s.ready.macs)], ['backend', s.ready.backend]);
    }
    if (s.lastStepEvent !== undefined) {
      const e = s.lastStepEvent;
      rows.push(['step', `${formatInt(e.globalStep)} (epoch ${e.epoch + 1}, ${e.step}/${s.stepsPerEpoch})`, 'step'],
        ['loss', (s.smoothLoss ?? e.loss).toFixed(3), 'loss'], ['train accuracy (epoch so far)', formatPercent(e.accuracy)],
        ['images / s', formatInt(Math.round(e.imagesPerSecond))]);
    }
    if (s.done !== undefined) rows.push(['test accuracy', formatPercent(s.done.testTop1), 'test-accuracy']);
    setChildren(card,
      h('h3', {}, h('span', { class: 'swatch', style: `background:${COLORS[t]}` }), LABELS[t], ' ', pill),
      rows.length === 0 ? h('p', { class: 'hint' }, 'Not started.') :
        h('table', {}, h('tbody', {}, rows.map(([k, v, id]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'num', 'data-testid': id && `${id}-${t}` }, v))))),
      s.error !== undefined ? messageBox(s.error) : null,
      s.done !== undefined && s.downloadUrl !== undefined ? h('div', { class: 'buttons' },
        h('a', { class: 'button', href: s.downloadUrl, download: s.done.fileName, 'data-testid': `download-${t}` }, 'Download checkpoint'),
        h('a', { href: '#run' }, 'Try it on the Run tab')) : null);
  };

  const renderCharts = (): void => {
    const w = Math.max(320, Math.min(620, lossChart.clientWidth || 560));
    const series = (pick: (s: TwinState) => [number, number][], dashed = false, suffix = '') => TWINS.map((t) => ({
      name: `${t}${suffix}`, color: COLORS[t], dashed, points: pick(states.get(t)!),
    }));
    const any = TWINS.some((t) => states.get(t)!.loss.length > 0);
    lossChart.dataset.points = String(TWINS.reduce((n, t) => n + states.get(t)!.loss.length, 0));
    if (!any) {
      setChildren(lossChart, h('p', { class: 'hint' }, 'The curves appear here as the models train.'));
      setChildren(accChart);
      return;
    }
    lossChart.innerHTML = lineChart({ title: 'Training loss (smoothed over steps)', xLabel: 'step', yLabel: 'cross-entropy', logY: true, width: w, height: 300, series: series((s) => s.loss) });
    accChart.innerHTML = lineChart({
      title: 'Training accuracy (smoothed over steps)', xLabel: 'step', yLabel: 'accuracy (%)', yRange: [0, 100], width: w, height: 300,
      markers: false, series: series((s) => s.accuracy),
    });
    const epochs = Math.max(...TWINS.map((t) => states.get(t)!.test.length));
    if (epochs === 0) {
      setChildren(testChart);
      return;
    }
    testChart.innerHTML = barChart({
      title: 'Test accuracy after each epoch', categories: Array.from({ length: epochs }, (_, i) => `epoch ${i + 1}`),
      series: TWINS.map((t) => ({ name: t, color: COLORS[t], values: states.get(t)!.test.map(([, acc]) => acc) })),
      valueLabel: 'accuracy (%)', showValues: true, format: (v) => `${Math.round(v)}`, width: Math.max(320, testChart.clientWidth || 2 * w), height: 260,
    });
  };

  let chartTimer: number | null = null;
  const scheduleCharts = (): void => {
    chartTimer ??= window.setTimeout(() => {
      chartTimer = null;
      renderCharts();
    }, 150);
  };

  const updateButtons = (): void => {
    const busy = running();
    start.disabled = busy;
    stop.disabled = !TWINS.some((t) => states.get(t)!.status === 'training' || states.get(t)!.status === 'starting');
    for (const c of settingsControls) c.disabled = busy;
  };

  const onEvent = (t: Twin, e: TrainEvent): void => {
    const s = states.get(t)!;
    switch (e.type) {
      case 'ready':
        s.ready = e;
        s.stepsPerEpoch = e.stepsPerEpoch;
        if (s.status === 'starting') s.status = 'training';
        break;
      case 'step':
        s.lastStepEvent = e;
        s.smoothLoss = s.smoothLoss === null ? e.loss : 0.9 * s.smoothLoss + 0.1 * e.loss;
        s.loss.push([e.globalStep, s.smoothLoss]);
        s.smoothAccuracy = s.smoothAccuracy === null ? e.batchAccuracy : 0.9 * s.smoothAccuracy + 0.1 * e.batchAccuracy;
        s.accuracy.push([e.globalStep, 100 * s.smoothAccuracy]);
        s.lastStep = e.globalStep;
        scheduleCharts();
        break;
      case 'epoch':
        s.test.push([s.lastStep, 100 * e.testTop1]);
        scheduleCharts();
        break;
      case 'done': {
        s.done = e;
        s.status = 'done';
        s.worker?.terminate();
        s.worker = null;
        if (s.downloadUrl !== undefined) URL.revokeObjectURL(s.downloadUrl);
        s.downloadUrl = URL.createObjectURL(new Blob([e.checkpoint], { type: 'application/octet-stream' }));
        putTrainedModel({
          id: t, fileName: e.fileName, bytes: e.checkpoint,
          label: `${t} small_cnn from the Train tab (${formatInt(e.steps)} steps${e.completed ? '' : ', stopped'}, test accuracy ${formatPercent(e.testTop1)})`,
        });
        break;
      }
      case 'error':
        s.error = e.message;
        s.status = 'failed';
        s.worker?.terminate();
        s.worker = null;
        break;
    }
    renderCard(t);
    updateButtons();
    if ((e.type === 'done' || e.type === 'error') && !running()) setChildren(message, summary());
  };

  /** The twins compared, once both finished. */
  const summary = (): HTMLElement | null => {
    const sep = states.get('separable')!;
    const std = states.get('standard')!;
    if (sep.done === undefined && std.done === undefined) return null;
    const parts = ['Finished: the trained models are on the Run tab; a downloaded checkpoint also works with sepconv predict.'];
    if (sep.done !== undefined && std.done !== undefined && sep.ready !== undefined && std.ready !== undefined)
      parts.push(`The separable twin has ${(std.ready.params / sep.ready.params).toFixed(1)}× fewer parameters and ` +
        `${(std.ready.macs / sep.ready.macs).toFixed(1)}× fewer multiply-adds; test accuracy ${formatPercent(sep.done.testTop1)} ` +
        `against ${formatPercent(std.done.testTop1)}.`);
    return messageBox(parts.join(' '), 'info');
  };

  start.addEventListener('click', () => {
    setChildren(message);
    for (const t of TWINS) {
      const old = states.get(t)!;
      if (old.downloadUrl !== undefined) URL.revokeObjectURL(old.downloadUrl);
      const s = freshState();
      states.set(t, s);
      const settings: TrainSettings = {
        twin: t, width: Number(width.select.value), epochs: Number(epochs.select.value), batch: Number(batch.select.value),
        lr: Number(lr.select.value), seed: 1, digitsUrl: digitsUrl(),
      };
      const worker = new Worker(new URL('../workers/train_worker.ts', import.meta.url), { type: 'module', name: `sepconv-train-${t}` });
      worker.onmessage = (e: MessageEvent<TrainEvent>) => onEvent(t, e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        onEvent(t, { type: 'error', message: e.message !== '' ? e.message : 'the training worker stopped unexpectedly' });
      };
      s.worker = worker;
      s.status = 'starting';
      worker.postMessage({ type: 'start', settings });
      renderCard(t);
    }
    renderCharts();
    updateButtons();
  });
  stop.addEventListener('click', () => {
    for (const t of TWINS) {
      const s = states.get(t)!;
      if (s.worker !== null && (s.status === 'training' || s.status === 'starting')) {
        s.worker.postMessage({ type: 'stop' });
        s.status = 'stopping';
        renderCard(t);
      }
    }
    setChildren(message, messageBox('Stopping after the current step; the models are then evaluated on the test digits.', 'info'));
    updateButtons();
  });

  section.append(
    h('h2', { id: 'h-train' }, 'Train a separable CNN and its standard twin'),
    h('p', { class: 'lead' }, 'Two Web Workers train the same small digits network on 2,000 built-in handwritten digits: once ' +
      'with standard 3×3 convolutions, once with each of them replaced by depthwise + pointwise. The page stays ' +
      'responsive; stop any time.'),
    h('div', { class: 'card' },
      h('div', { class: 'controls' }, width.field, epochs.field, batch.field, lr.field),
      h('div', { class: 'buttons' }, start, stop),
      message),
    h('div', { class: 'grid two' }, ...TWINS.map((t) => cards.get(t)!)),
    h('div', { class: 'card' }, h('div', { class: 'grid two' }, lossChart, accChart), testChart));
  for (const t of TWINS) renderCard(t);
  renderCharts();
  window.addEventListener('resize', scheduleCharts);
}
