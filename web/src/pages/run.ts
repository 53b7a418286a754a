/**
 * Run: classify an image with a model, in the model worker on sepconv's wasm backend, and (optionally) the same
 * model converted to TF.js on TF.js' own wasm backend, side by side. The model is a dropped ONNX file, sepconv
 * checkpoint or TF.js model (model.json with its weight shards), or one trained on the Train tab; the image a
 * dropped file, a digit drawn on the pad, or a test digit.
 */
import { digitsUrl, loadDigits, type DigitsSplit } from '../lib/digits.js';
import { describeFiles, dropzone } from '../lib/dropzone.js';
import { h, messageBox, setChildren, uniqueId } from '../lib/dom.js';
import { errorMessage } from '../lib/errors.js';
import { formatMs, formatPercent } from '../lib/format.js';
import { canvasPixels, decodeImageFile, MAX_IMAGE_BYTES } from '../lib/image_file.js';
import { runModel } from '../lib/model_client.js';
import { MAX_MODEL_BYTES, readModelFiles, type ModelSource } from '../lib/model_source.js';
import { NORMALIZATIONS, type RgbaPixels } from '../lib/preprocess.js';
import { onTrainedModelsChanged, trainedModels } from '../lib/trained_models.js';
import type { BackendChoice, Prediction, RunResult } from '../workers/protocol.js';
import { drawPad } from './draw_pad.js';

function predictionBars(top: readonly Prediction[], testId: string): HTMLElement {
  return h('div', { class: 'bars', 'data-testid': testId },
    top.map((p, i) => h('div', { class: 'bar-row', 'data-index': p.index, 'data-probability': p.probability },
      h('span', { class: 'name', title: p.name }, i === 0 ? h('b', {}, p.name) : p.name),
      h('div', { class: 'bar-track', role: 'img', 'aria-label': `${p.name}: ${formatPercent(p.probability)}` },
        h('div', { class: 'bar-fill', style: `width:${(100 * p.probability).toFixed(2)}%;${i === 0 ? '' : 'opacity:0.55'}` })),
      h('span', { class: 'pct' }, formatPercent(p.probability)))));
}

function latencyStats(r: { latency: { firstMs: number; medianMs: number; runs: number } }, backend: string, testId: string): HTMLElement {
  return h('div', { class: 'stats', style: 'margin-top:12px' },
    h('div', { class: 'stat' }, h('div', { class: 'label' }, 'Latency'), h('div', { class: 'value', 'data-testid': testId, 'data-value': r.latency.medianMs }, formatMs(r.latency.medianMs)),
      h('div', { class: 'sub' }, `median of ${r.latency.runs} runs on ${backend}`)),
    h('div', { class: 'stat' }, h('div', { class: 'label' }, 'First run'), h('div', { class: 'value' }, formatMs(r.latency.firstMs)),
      h('div', { class: 'sub' }, 'includes one-off set-up')));
}

function resultView(r: RunResult): HTMLElement {
  const sepconv = h('div', { class: 'card', 'data-testid': 'sepconv-result', 'data-probabilities': JSON.stringify(r.probabilities) },
    h('h3', {}, `sepconv (${r.backend})`),
    h('p', { class: 'hint' }, `${r.info.title}; input ${r.input.join('×')}`),
    predictionBars(r.top, 'predictions'),
    latencyStats(r, r.backend, 'latency'),
    r.backendNote !== undefined ? messageBox(r.backendNote, 'info') : null);
  if (r.tfjs === undefined) return sepconv;
  const t = r.tfjs;
  const tf = h('div', { class: 'card', 'data-testid': 'tfjs-result' },
    h('h3', {}, t.backend ?? 'TF.js'),
    t.error !== undefined ? messageBox(t.error) : [
      h('p', { class: 'hint' }, `the same weights as TF.js ops; largest difference in probability ${t.maxDifference?.toExponential(1)}`),
      predictionBars(t.top ?? [], 'tfjs-predictions'),
      latencyStats({ latency: t.latency! }, t.backend ?? 'wasm', 'tfjs-latency')]);
  return h('div', { class: 'grid two' }, sepconv, tf);
}

export function mountRun(section: HTMLElement): void {
  const out = h('div', { 'aria-live': 'polite', 'data-testid': 'run-results' });
  const status = h('div', { class: 'status', role: 'status', 'data-testid': 'run-status' });
  const modelNote = h('div', { class: 'hint', 'data-testid': 'model-note' }, 'No model yet.');
  const imageNote = h('div', { class: 'hint', 'data-testid': 'image-note' }, 'No image yet.');
  const preview = h('div', { class: 'preview' });
  let model: { source: ModelSource; key: string; label: string } | null = null;
  let image: { pixels: RgbaPixels; label: string } | null = null;
  let digits: Promise<DigitsSplit> | null = null;
  let ticket = 0;

  const normId = uniqueId('norm');
  const backendId = uniqueId('backend');
  const trainedId = uniqueId('trained');
  const tfjsId = uniqueId('tfjs');
  const normalization = h('select', { id: normId, 'data-testid': 'normalization' },
    Object.entries(NORMALIZATIONS).map(([k, n]) => h('option', { value: k }, n.label)));
  const backend = h('select', { id: backendId, 'data-testid': 'run-backend' }, h('option', { value: 'wasm' }, 'wasm (SIMD)'), h('option', { value: 'js' }, 'js (reference)'));
  const tfjs = h('input', { id: tfjsId, type: 'checkbox', 'data-testid': 'tfjs-toggle' });
  const trained = h('select', { id: trainedId, 'data-testid': 'trained-select' });

  const showError = (m: string) => setChildren(out, messageBox(m));

  const run = async (): Promise<void> => {
    if (model === null || image === null) return;
    const my = ++ticket;
    status.textContent = 'Running…';
    try {
      const r = await runModel({
        source: model.source, key: model.key, image: image.pixels, normalize: NORMALIZATIONS[normalization.value].value,
        backend: backend.value as BackendChoice, tfjs: tfjs.checked,
      }, (text) => { if (my === ticket) status.textContent = text; });
      if (my !== ticket) return;
      status.textContent = '';
      modelNote.textContent = `${r.info.title}: expects ${r.info.inputShape.join('×')}` +
        (r.info.normalize !== undefined ? ', normalised as in training' : '');
      normalization.disabled = r.info.normalize !== undefined;
      setChildren(out, resultView(r));
    } catch (err) {
      if (my !== ticket) return;
      status.textContent = '';
      showError(errorMessage(err));
    }
  };

  const setModel = (m: typeof model) => {
    model = m;
    modelNote.textContent = m === null ? 'No model yet.' : m.label;
    void run();
  };

  const setImage = (pixels: RgbaPixels, label: string) => {
    image = { pixels, label };
    imageNote.textContent = label;
    const c = h('canvas', { width: pixels.width, height: pixels.height, 'aria-label': `the image: ${label}`, role: 'img' });
    const scale = 96 / Math.max(pixels.width, pixels.height);
    c.style.width = `${Math.round(pixels.width * scale)}px`;
    c.style.height = `${Math.round(pixels.height * scale)}px`;
    c.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(pixels.data), pixels.width, pixels.height), 0, 0);
    setChildren(preview, c);
    if (model === null) setChildren(out, messageBox('Now choose a model: drop a file, or train one on the Train tab.', 'info'));
    void run();
  };

  const modelDrop = dropzone({
    label: 'Model file', hint: 'ONNX (.onnx), a checkpoint from sepconv train / the Train tab (.safetensors), or a TF.js model.json with its weight shards (.bin)',
    accept: '.onnx,.safetensors,.json,.bin,application/octet-stream,application/json', multiple: true, maxBytes: MAX_MODEL_BYTES,
    testId: 'run-model-file', onError: showError,
    onFiles: (files) => void readModelFiles(files).then(
      ({ source, key }) => {
        trained.value = '';
        setModel({ source, key, label: describeFiles(files) });
      },
      (err: unknown) => showError(errorMessage(err))),
  });
  const imageDrop = dropzone({
    label: 'Image file', hint: 'PNG, JPEG, WebP… Digits models expect a white digit on black',
    accept: 'image/*', maxBytes: MAX_IMAGE_BYTES, testId: 'run-image-file', onError: showError,
    onFile: (file) => void decodeImageFile(file, file.name).then((pixels) => setImage(pixels, file.name), (err: unknown) => showError(errorMessage(err))),
  });

  const refreshTrained = () => {
    const list = trainedModels();
    setChildren(trained, h('option', { value: '' }, list.length === 0 ? '(train one on the Train tab)' : '(choose)'),
      list.map((m) => h('option', { value: m.id }, m.label)));
    trained.disabled = list.length === 0;
    if (model === null && list.length > 0) {
      trained.value = list[list.length - 1].id;
      trained.dispatchEvent(new Event('change'));
    }
  };
  trained.addEventListener('change', () => {
    const m = trainedModels().find((t) => t.id === trained.value);
    if (m === undefined) return;
    modelDrop.setName(null);
    setModel({ source: { kind: 'file', fileName: m.fileName, bytes: m.bytes }, key: `trained:${m.id}:${m.bytes.byteLength}:${m.label}`, label: m.label });
  });
  onTrainedModelsChanged(refreshTrained);
  refreshTrained();

  const pad = drawPad((canvas) => setImage(canvasPixels(canvas), 'your drawing'));
  const randomDigit = async () => {
    try {
      digits ??= loadDigits(digitsUrl());
      const { test } = await digits;
      const i = Math.floor(Math.random() * test.length);
      const grey = test.pixels.subarray(i * 784, (i + 1) * 784);
      const rgba = new Uint8Array(784 * 4);
      grey.forEach((v, k) => rgba.set([v, v, v, 255], 4 * k));
      setImage({ width: 28, height: 28, data: rgba }, `test digit #${i} (a ${test.labels[i]})`);
    } catch (err) {
      digits = null;
      showError(errorMessage(err));
    }
  };

  for (const control of [normalization, backend, tfjs]) control.addEventListener('change', () => void run());

  section.append(
    h('h2', { id: 'h-run' }, 'Run a model on your image'),
    h('p', { class: 'lead' }, 'Everything runs on your device: sepconv\'s WebAssembly SIMD kernels in a worker, with the top ' +
      'classes and the latency. Tick the TF.js box to run the same weights in TensorFlow.js\' wasm backend, side by side.'),
    h('div', { class: 'grid two' },
      h('div', { class: 'card' }, h('h3', {}, '1. Model'),
        modelDrop.element,
        h('div', { class: 'field', style: 'margin-top:10px' }, h('label', { for: trainedId }, 'Or a model trained on the Train tab'), trained),
        h('div', { class: 'field', style: 'margin-top:10px' }, h('label', { for: normId }, 'Input scaling (ONNX and TF.js models; checkpoints bring their own)'), normalization),
        h('div', { class: 'field', style: 'margin-top:10px' }, h('label', { for: backendId }, 'Backend'), backend),
        h('label', { class: 'checkbox', for: tfjsId, style: 'margin-top:10px' }, tfjs, 'Also run in TF.js (wasm) for comparison'),
        modelNote),
      h('div', { class: 'card' }, h('h3', {}, '2. Image'),
        imageDrop.element,
        h('div', { class: 'preview', style: 'margin-top:10px' },
          pad.element,
          h('div', {},
            h('p', { class: 'hint', style: 'margin:0 0 6px' }, 'Draw a digit on the black pad, or:'),
            h('div', { class: 'buttons', style: 'margin-top:0' },
              h('button', { type: 'button', class: 'secondary', onclick: () => void randomDigit(), 'data-testid': 'random-digit' }, 'Random test digit'),
              h('button', { type: 'button', class: 'secondary', onclick: pad.clear }, 'Clear pad')),
            h('div', { style: 'margin-top:8px' }, h('div', { class: 'label', style: 'font-size:0.85rem;color:var(--muted);font-weight:600' }, 'Input'), preview))),
        imageNote)),
    status,
    out);
}
