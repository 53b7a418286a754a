/**
 * The web page in a real browser (Debian's Chromium through playwright-core): every tab loads without console errors,
 * its controls work, the explainer's numbers equal compareConv's, the explorer's totals equal the cost analyser's,
 * the Run tab's probabilities equal `sepconv predict`'s for the same checkpoint and image (and `loadTfjsModel`'s for a
 * TF.js layers or graph model.json dropped with its shards), training runs and its curves update, and bad input shows a message. Screenshots at desktop and phone width go to test/web/screenshots/.
 */
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { PNG } from 'pngjs';
import { compareConv } from '../../src/cost/compare.js';
import { analyse } from '../../src/cost/analyse.js';
import { loadTfjsModel } from '../../src/io/tfjs/load.js';
import { buildModel } from '../../src/models/index.js';
import { sepconv } from '../cli/run.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { modelFromConfig, type RunConfig } from '../../src/train/run_config.js';
import { decodeImage } from '../../src/data/image_decode.js';
import { resizeImage, rgbaToChannels } from '../../src/data/resize.js';
import { softmax } from '../../src/ops/softmax.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { PHONE, openPage, openSite, screenshot, skipBrowserTests, type Site, type WatchedPage } from './harness.js';
import { randomizeWeights, saveLayersModel, tf, type SavedModel } from '../io/tfjs/tfjs_fixtures.js';
import { mobilenetGraphModel } from './tfjs_graph_fixture.js';
import type { Page } from 'playwright-core';

let site: Site;
let files: string;

before(async () => {
  if (skipBrowserTests !== false) return;
  site = await openSite();
  files = mkdtempSync(join(tmpdir(), 'sepconv-web-files-'));
});

after(async () => {
  if (skipBrowserTests !== false) return;
  await site?.close();
  rmSync(files, { recursive: true, force: true });
});

/** A test that needs Chromium: skipped, with the install line, where it is missing. */
function browserTest(name: string, fn: (t: TestContext) => Promise<void>): void {
  test(name, { skip: skipBrowserTests }, fn);
}

/** The explorer tab once it shows its default model's costs, so that what a test drops replaces a finished analysis. */
async function openExplorer(): Promise<WatchedPage> {
  const explorer = await openPage(site, 'explorer');
  await explorer.page.getByTestId('total-macs').waitFor({ timeout: 30_000 });
  return explorer;
}

/** The Run tab with the ring image already chosen. */
async function openRunWithImage(): Promise<WatchedPage> {
  const run = await openPage(site, 'run');
  await run.page.getByTestId('run-image-file').setInputFiles(ringPng());
  return run;
}

async function numberAt(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).first().getAttribute('data-value'));
}

/** A checkpoint as `sepconv train` writes it: a separable small_cnn with random weights and batch-norm statistics. */
async function writeCheckpoint(path: string): Promise<void> {
  const config: RunConfig = {
    model: 'small_cnn', separable: true, width: 8, data: 'mnist', epochs: 1, batch: 32, lr: 0.01, optimizer: 'adam',
    schedule: 'constant', warmupEpochs: 0, weightDecay: 0, momentum: 0, labelSmoothing: 0, seed: 3,
    augment: { cropPadding: 0, horizontalFlip: false }, normalize: { mean: [0.13], std: [0.31] },
    dataInfo: { imageShape: [28, 28, 1], numClasses: 10, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
  };
  const model = modelFromConfig(config);
  const rng = new Random(11);
  for (const [key, t] of model.stateDict())
    if (key.endsWith('running_mean')) t.assign(Float32Array.from(t.data, () => rng.uniform() - 0.5));
    else if (key.endsWith('running_var')) t.assign(Float32Array.from(t.data, () => 0.5 + rng.uniform()));
  await saveCheckpoint(path, { model: model.stateDict(), epoch: 1, step: 10, config: config as unknown as Record<string, unknown> });
}

/** An opaque RGB PNG of a blurry ring (a zero-ish digit) with noise, 40x36 so the page has to resize it. */
function writePng(path: string): void {
  const png = { width: 40, height: 36, data: Buffer.alloc(40 * 36 * 4) };
  const rng = new Random(5);
  for (let y = 0; y < 36; y++)
    for (let x = 0; x < 40; x++) {
      const r = Math.hypot((x - 20) / 12, (y - 18) / 14);
      const v = Math.max(0, Math.min(255, Math.round(255 * Math.exp(-((r - 1) ** 2) * 12) + 40 * rng.uniform())));
      png.data.set([v, Math.min(255, v + 10), Math.max(0, v - 10), 255], 4 * (y * 40 + x));
    }
  writeFileSync(path, PNG.sync.write(png, { colorType: 2 }));
}

/** files/ring.png, written afresh: the image every Run test feeds the models; returns its path. */
function ringPng(): string {
  const path = join(files, 'ring.png');
  writePng(path);
  return path;
}

/** An image file as the Run tab feeds it to a model of input [h, w, c]: resized, scaled to 0..1, batch of one. */
function imageInput(path: string, h: number, w: number, c: number): Tensor {
  const image = decodeImage(readFileSync(path), path);
  return new Tensor(resizeImage(rgbaToChannels(image, c), image.height, image.width, c, h, w).map((v) => v / 255), [1, h, w, c]);
}

/** A file of `bytes` zeros without writing them (sparse), for the size limits. */
function bigFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

/** A TF.js model's files in their own folder: model.json first, then its shards in manifest order. */
interface TfjsFiles {
  dir: string;
  json: string;
  shards: string[];
}

/**
 * A tiny Keras-style image classifier built with @tensorflow/tfjs (conv, BN, ReLU6, depthwise, pointwise, separable,
 * pooling, softmax dense) on a 20x24 RGB input, saved as model.json + several small weight shards the way
 * `model.save('file://...')` lays them out. `extra` adds layers before the pooling (an unsupported one, for the
 * message).
 */
async function writeTfjsModel(name: string, extra: (m: tf.Sequential) => void = () => {}): Promise<TfjsFiles> {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [20, 24, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  m.add(tf.layers.batchNormalization({ epsilon: 1e-3 }));
  m.add(tf.layers.reLU({ maxValue: 6 }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'relu' }));
  m.add(tf.layers.separableConv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu6' }));
  extra(m);
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 7, activation: 'softmax' }));
  randomizeWeights(m, 4);
  const saved = await saveLayersModel(m, { shardBytes: 1024 });
  m.dispose();
  return writeTfjsFiles(name, saved);
}

/** Writes a saved TF.js model (layers or graph) into its own folder under `files`. */
function writeTfjsFiles(name: string, saved: SavedModel): TfjsFiles {
  const dir = join(files, name);
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'model.json');
  writeFileSync(json, JSON.stringify(saved.json));
  const shards = [...saved.weights].map(([path, bytes]) => {
    writeFileSync(join(dir, path), bytes);
    return join(dir, path);
  });
  return { dir, json, shards };
}

/**
 * Drops `model` without its second shard on the file input `testId`; the page's alert must name that shard. Returns
 * the shard's file name.
 */
async function dropWithoutSecondShard(page: Page, testId: string, model: TfjsFiles): Promise<string> {
  const missing = model.shards[1].split('/').pop()!;
  await page.getByTestId(testId).setInputFiles([model.json, ...model.shards.filter((_, i) => i !== 1)]);
  const alert = page.getByRole('alert').filter({ hasText: 'not dropped with it' });
  await alert.waitFor({ timeout: 30_000 });
  assert.match(await alert.innerText(),
    new RegExp(`model\\.json needs the weight shard "${missing.replace(/\./g, '\\.')}", which was not dropped with it`));
  return missing;
}

/** The model Node's importer reads from the same files. */
function nodeTfjsModel(f: TfjsFiles): ReturnType<typeof loadTfjsModel> {
  return loadTfjsModel({ json: readFileSync(f.json, 'utf8'), weights: new Map(f.shards.map((s) => [s.slice(f.dir.length + 1), readFileSync(s)])) });
}

/** Drops `paths` on the drop zone that holds the file input `testId`, as one drag of several files. */
async function dropFiles(page: Page, testId: string, paths: readonly string[]): Promise<void> {
  const payload = paths.map((p) => ({ name: p.split('/').pop()!, bytes: Array.from(readFileSync(p)) }));
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return dt;
  }, payload);
  const zone = page.locator('.dropzone', { has: page.getByTestId(testId) });
  await zone.dispatchEvent('dragover', { dataTransfer: transfer });
  await zone.dispatchEvent('drop', { dataTransfer: transfer });
}

async function pageProbabilities(page: Page): Promise<number[]> {
  return JSON.parse((await page.getByTestId('sepconv-result').getAttribute('data-probabilities'))!) as number[];
}

function assertSameProbabilities(actual: readonly number[], expected: readonly number[], atol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: class count`);
  const worst = Math.max(...actual.map((p, i) => Math.abs(p - expected[i])));
  assert.ok(worst <= atol, `${what}: largest difference ${worst} > ${atol}\npage ${actual}\nnode ${expected}`);
}

/**
 * The run page on a TF.js model (model.json and its shards): sepconv's probabilities on wasm and js equal `expected`
 * (Node's) within 1e-5, and TF.js run beside it picks the same top class.
 */
async function checkTfjsRunPage(png: string, model: TfjsFiles, expected: readonly number[],
  o: { format: 'layers' | 'graph'; shape: string; screenshotName: string }): Promise<void> {
  const { page, errors } = await openPage(site, 'run');
  await page.getByTestId('run-image-file').setInputFiles(png);
  await page.getByTestId('run-model-file').setInputFiles([model.json, ...model.shards]);
  await page.getByTestId('predictions').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('sepconv-result').innerText(), new RegExp(`model\\.json \\(TF\\.js ${o.format} model, \\d+ weight shards`));
  assert.match(await page.getByTestId('model-note').innerText(), new RegExp(`expects ${o.shape}`));
  assertSameProbabilities(await pageProbabilities(page), expected, 1e-5, `TF.js ${o.format} model (wasm)`);
  const top = Number(await page.getByTestId('predictions').locator('.bar-row').first().getAttribute('data-index'));
  assert.equal(top, expected.indexOf(Math.max(...expected)), 'top class');
  await page.getByLabel('Backend').selectOption('js');
  await page.getByTestId('sepconv-result').filter({ hasText: 'sepconv (js)' }).waitFor({ timeout: 30_000 });
  assertSameProbabilities(await pageProbabilities(page), expected, 1e-5, `TF.js ${o.format} model (js)`);
  await page.getByLabel('Also run in TF.js').check();
  await page.getByTestId('tfjs-predictions').waitFor({ timeout: 30_000 });
  const tfjsTop = Number(await page.getByTestId('tfjs-predictions').locator('.bar-row').first().getAttribute('data-index'));
  assert.equal(tfjsTop, top, 'TF.js side-by-side top class');
  await screenshot(page, o.screenshotName);
  assert.deepEqual(errors, []);
  await page.close();
}

describe('web page', () => {
  browserTest('explainer: numbers equal compareConv and follow the inputs', async () => {
    const { page, errors } = await openPage(site, 'explainer');
    const check = async (o: { k: number; cin: number; cout: number; h: number; w: number; stride: number }) => {
      const c = compareConv({ ...o, padding: 'same' });
      for (const kind of ['standard', 'depthwise', 'pointwise'] as const) {
        assert.equal(await numberAt(page, `${kind}-macs`), c[kind].macs, `${kind} MACs`);
        assert.equal(await numberAt(page, `${kind}-params`), c[kind].params, `${kind} params`);
        assert.equal(await numberAt(page, `${kind}-params-bias`), c[kind].paramsWithBias, `${kind} params with bias`);
      }
      assert.equal(await numberAt(page, 'ratio-formula'), c.ratio.formula);
      assert.equal(await numberAt(page, 'ratio-macs'), c.ratio.macs);
    };
    await check({ k: 3, cin: 32, cout: 64, h: 56, w: 56, stride: 1 });
    await screenshot(page, 'explainer-desktop');
    await page.getByLabel('Kernel K').fill('5');
    await page.getByLabel('C_out').fill('128');
    await page.getByLabel('Stride').fill('2');
    await page.getByLabel('H', { exact: true }).fill('31');
    await check({ k: 5, cin: 32, cout: 128, h: 31, w: 56, stride: 2 });
    await page.getByLabel('Kernel K').fill('0');
    await page.getByRole('alert').filter({ hasText: 'Kernel K must be a whole number' }).waitFor();
    await page.getByLabel('Kernel K').fill('3');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'explainer-phone');
    assert.deepEqual(errors, []);
    await page.close();
  });

  browserTest('model explorer: totals equal the cost analyser, charts drawn, another model and a bad file', async () => {
    const { page, errors } = await openExplorer();
    const report = analyse(buildModel('mobilenet_v2'), [224, 224, 3]);
    assert.equal(await numberAt(page, 'total-params'), report.totals.params);
    assert.equal(await numberAt(page, 'total-macs'), report.totals.macs);
    assert.ok(await page.locator('[data-testid="chart-ms"] svg rect').count() > 10, 'time chart has bars');
    assert.ok(await page.locator('[data-testid="top-time"] tbody tr').count() > 0, 'layers ranked by time');
    await screenshot(page, 'explorer-desktop');
    await page.getByLabel('Zoo model').selectOption('small_cnn');
    await page.getByTestId('model-title').filter({ hasText: 'small_cnn' }).waitFor({ timeout: 30_000 });
    assert.equal(await numberAt(page, 'total-macs'), analyse(buildModel('small_cnn'), [28, 28, 1]).totals.macs);
    const text = join(files, 'notes.onnx');
    writeFileSync(text, 'these are not the weights you are looking for\n');
    await page.getByTestId('model-file').setInputFiles(text);
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /notes\.onnx/);
    await page.getByLabel('Zoo model').selectOption('mobilenet_v3_small');
    await page.getByTestId('model-title').filter({ hasText: 'mobilenet_v3_small' }).waitFor({ timeout: 30_000 });
    await page.setViewportSize(PHONE);
    await page.getByTestId('analyse').click();
    await page.locator('[data-testid="explorer-results"][aria-busy="false"]').waitFor({ timeout: 30_000 });
    await screenshot(page, 'explorer-phone');
    assert.deepEqual(errors, []);
    await page.close();
  });

  browserTest('run: a checkpoint and an image give the probabilities sepconv predict gives in Node', async () => {
    const ckpt = join(files, 'checkpoint.safetensors');
    const png = ringPng();
    await writeCheckpoint(ckpt);
    const cli = sepconv('predict', '--checkpoint', ckpt, png, '--json', '--top', '10');
    assert.equal(cli.status, 0, cli.stderr);
    const expected = new Array<number>(10);
    for (const t of (JSON.parse(cli.stdout) as { top: { class: number; probability: number }[] }).top) expected[t.class] = t.probability;

    const { page, errors } = await openPage(site, 'run');
    await page.getByTestId('run-model-file').setInputFiles(ckpt);
    await page.getByTestId('run-image-file').setInputFiles(png);
    await page.getByTestId('predictions').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('sepconv-result').innerText(), /sepconv \(wasm\)/);
    assertSameProbabilities(await pageProbabilities(page), expected, 1e-5, 'wasm backend');
    await page.getByLabel('Backend').selectOption('js');
    await page.getByTestId('sepconv-result').filter({ hasText: 'sepconv (js)' }).waitFor({ timeout: 30_000 });
    assertSameProbabilities(await pageProbabilities(page), expected, 1e-6, 'js backend');
    const top = Number(await page.getByTestId('predictions').locator('.bar-row').first().getAttribute('data-index'));
    assert.equal(top, expected.indexOf(Math.max(...expected)), 'top class');
    await screenshot(page, 'run-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'run-phone');
    assert.deepEqual(errors, []);
    await page.close();
  });

  browserTest('run and explorer: an ONNX export gives the probabilities and costs the ONNX import gives in Node', async (t) => {
    let onnx: typeof import('../../src/io/onnx/index.js');
    try {
      onnx = await import('../../src/io/onnx/index.js');
    } catch (err) {
      t.skip(`ONNX export/import not available yet: ${(err as Error).message}`);
      return;
    }
    const model = buildModel('small_cnn', { width: 8, inputChannels: 3, resolution: 32, rng: new Random(2) });
    const file = join(files, 'small.onnx');
    writeFileSync(file, onnx.exportOnnx(model, [32, 32, 3]));
    const png = ringPng();
    const imported = onnx.importOnnx(readFileSync(file));
    const expected = Array.from(noGrad(() => softmax(imported.call(imageInput(png, 32, 32, 3)))).data);

    const { page, errors } = await openPage(site, 'run');
    await page.getByLabel('Backend').selectOption('js');
    await page.getByTestId('run-image-file').setInputFiles(png);
    await page.getByTestId('run-model-file').setInputFiles(file);
    await page.getByTestId('predictions').waitFor({ timeout: 30_000 });
    assertSameProbabilities(await pageProbabilities(page), expected, 1e-6, 'ONNX model');
    await page.getByLabel('Also run in TF.js').check();
    await page.getByTestId('tfjs-predictions').waitFor({ timeout: 30_000 });
    const tfjsTop = Number(await page.getByTestId('tfjs-predictions').locator('.bar-row').first().getAttribute('data-index'));
    assert.equal(tfjsTop, expected.indexOf(Math.max(...expected)), 'TF.js top class');
    assert.deepEqual(errors, []);
    await page.close();

    const explorer = await openExplorer();
    await explorer.page.getByTestId('model-file').setInputFiles(file);
    await explorer.page.getByTestId('model-title').filter({ hasText: 'small.onnx' }).waitFor({ timeout: 30_000 });
    const report = analyse(imported, [32, 32, 3]);
    assert.equal(await numberAt(explorer.page, 'total-macs'), report.totals.macs);
    assert.equal(await numberAt(explorer.page, 'total-params'), report.totals.params);
    assert.deepEqual(explorer.errors, []);
    await explorer.page.close();
  });

  browserTest('run and explorer: a TF.js model.json with its shards gives the probabilities and costs loadTfjsModel gives in Node', async () => {
    const tfjs = await writeTfjsModel('tfjs-tiny');
    assert.ok(tfjs.shards.length > 1, 'the weights span several shards');
    const png = ringPng();
    const model = nodeTfjsModel(tfjs);
    const expected = Array.from(noGrad(() => model.call(imageInput(png, 20, 24, 3))).data);
    assert.equal(expected.length, 7);

    await checkTfjsRunPage(png, tfjs, expected, { format: 'layers', shape: '20×24×3', screenshotName: 'run-tfjs-model-desktop' });

    const explorer = await openExplorer();
    await dropFiles(explorer.page, 'model-file', [...tfjs.shards].reverse().concat(tfjs.json));
    await explorer.page.getByTestId('model-title').filter({ hasText: 'model.json (TF.js layers model' }).waitFor({ timeout: 30_000 });
    const report = analyse(model, [20, 24, 3]);
    assert.equal(await numberAt(explorer.page, 'total-macs'), report.totals.macs);
    assert.equal(await numberAt(explorer.page, 'total-params'), report.totals.params);
    assert.equal(await explorer.page.locator('.dropzone .file-name').innerText(),
      `model.json, ${tfjs.shards[tfjs.shards.length - 1].split('/').pop()} and ${tfjs.shards.length - 1} more files`, 'the dropped files are named');
    await screenshot(explorer.page, 'explorer-tfjs-desktop');
    assert.deepEqual(explorer.errors, []);
    await explorer.page.close();
  });

  browserTest('run and explorer: a TF.js model without its shards, shards alone and unsupported layers give readable messages', async () => {
    const tfjs = await writeTfjsModel('tfjs-missing');
    const explorer = await openExplorer();
    const missing = await dropWithoutSecondShard(explorer.page, 'model-file', tfjs);
    await explorer.page.getByTestId('model-file').setInputFiles(tfjs.json);
    await explorer.page.getByRole('alert').filter({ hasText: `model.json needs its ${tfjs.shards.length} weight shards` }).waitFor({ timeout: 30_000 });
    await screenshot(explorer.page, 'explorer-tfjs-missing-shard');
    assert.deepEqual(explorer.errors, []);
    await explorer.page.close();

    const { page, errors } = await openRunWithImage();
    await page.getByTestId('run-model-file').setInputFiles(tfjs.json);
    await page.getByRole('alert').filter({ hasText: `model.json needs its ${tfjs.shards.length} weight shards` }).waitFor({ timeout: 30_000 });
    assert.match(await page.getByRole('alert').innerText(), new RegExp(missing.replace(/\./g, '\\.')));
    await page.getByTestId('run-model-file').setInputFiles(tfjs.shards);
    await page.getByRole('alert').filter({ hasText: 'no model.json came with them' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('run-model-file').setInputFiles(tfjs.shards[0]);
    await page.getByRole('alert').filter({ hasText: 'looks like a TF.js weight shard' }).waitFor({ timeout: 30_000 });
    const unsupported = await writeTfjsModel('tfjs-unsupported', (m) => m.add(tf.layers.upSampling2d({ size: [2, 2] })));
    await page.getByTestId('run-model-file').setInputFiles([unsupported.json, ...unsupported.shards]);
    const layers = page.getByRole('alert').filter({ hasText: 'cannot be loaded' });
    await layers.waitFor({ timeout: 30_000 });
    assert.match(await layers.innerText(), /model\.json could not be loaded as a TF\.js model: TF\.js layers model: 1 layer cannot be loaded:\s+layer 'up_sampling2d\w*' \(UpSampling2D\)/);
    assert.match(await layers.innerText(), /Supported layers: .*SeparableConv2D/);
    await screenshot(page, 'run-tfjs-bad-input');
    assert.deepEqual(errors, []);
    await page.close();
  });

  browserTest('run and explorer: a TF.js graph model (model.json with its shards) gives the probabilities and costs loadTfjsModel gives in Node', async () => {
    // 96x80 is above the explorer's smallest timing size, so timing at a smaller size than the model takes is covered.
    const graph = writeTfjsFiles('tfjs-graph', mobilenetGraphModel({ height: 96, width: 80, classes: 7, shardBytes: 1024 }));
    assert.ok(graph.shards.length > 1, 'the weights span several shards');
    const png = ringPng();
    const model = nodeTfjsModel(graph);
    assert.equal(model.format, 'graph-model');
    const expected = Array.from(noGrad(() => model.call(imageInput(png, 96, 80, 3))).data);
    assert.equal(expected.length, 7);

    const explorer = await openExplorer();
    await explorer.page.getByLabel('Time at').selectOption('64');
    await explorer.page.getByTestId('model-file').setInputFiles([graph.json, ...graph.shards]);
    await explorer.page.getByTestId('model-title').filter({ hasText: 'model.json (TF.js graph model' }).waitFor({ timeout: 30_000 });
    assert.match(await explorer.page.getByTestId('model-title').innerText(), new RegExp(`${graph.shards.length} weight shards`));
    const report = analyse(model, [96, 80, 3]);
    assert.equal(await numberAt(explorer.page, 'total-macs'), report.totals.macs);
    assert.equal(await numberAt(explorer.page, 'total-params'), report.totals.params);
    const kinds = explorer.page.getByTestId('kind-table').locator('tbody tr');
    assert.equal(await kinds.count(), 3, 'depthwise, pointwise and other rows');
    const layers = await explorer.page.getByTestId('top-macs').locator('tbody tr code').allInnerTexts();
    for (const layer of ['MobilenetV2_Conv_Conv2D', 'MobilenetV2_expanded_conv_depthwise', 'MobilenetV2_expanded_conv_project_Conv2D'])
      assert.ok(layers.includes(layer), `${layer} among the layers with the most MACs: ${layers.join(', ')}`);
    await screenshot(explorer.page, 'explorer-tfjs-graph-desktop');
    assert.deepEqual(explorer.errors, []);
    await explorer.page.close();

    await checkTfjsRunPage(png, graph, expected, { format: 'graph', shape: '96×80×3', screenshotName: 'run-tfjs-graph-desktop' });
  });

  browserTest('run and explorer: a TF.js graph model.json without one of its shards names the missing file', async () => {
    const graph = writeTfjsFiles('tfjs-graph-missing', mobilenetGraphModel({ height: 96, width: 80, classes: 7, shardBytes: 1024 }));
    const explorer = await openExplorer();
    await dropWithoutSecondShard(explorer.page, 'model-file', graph);
    assert.deepEqual(explorer.errors, []);
    await explorer.page.close();

    const { page, errors } = await openRunWithImage();
    await dropWithoutSecondShard(page, 'run-model-file', graph);
    await page.getByTestId('run-model-file').setInputFiles(graph.json);
    const all = page.getByRole('alert').filter({ hasText: `model.json needs its ${graph.shards.length} weight shards` });
    await all.waitFor({ timeout: 30_000 });
    for (const shard of graph.shards) assert.ok((await all.innerText()).includes(`"${shard.split('/').pop()!}"`), `names ${shard}`);
    await screenshot(page, 'run-tfjs-graph-missing-shard');
    assert.deepEqual(errors, []);
    await page.close();
  });

  browserTest('run: bad files give readable messages', async () => {
    const { page, errors } = await openPage(site, 'run');
    const text = join(files, 'photo.png');
    writeFileSync(text, 'not a picture at all');
    await page.getByTestId('run-image-file').setInputFiles(text);
    await page.getByRole('alert').filter({ hasText: 'photo.png is not an image' }).waitFor();
    const bigImage = join(files, 'huge.jpg');
    bigFile(bigImage, 40 * 1024 * 1024);
    await page.getByTestId('run-image-file').setInputFiles(bigImage);
    await page.getByRole('alert').filter({ hasText: 'huge.jpg is 40.0 MB' }).waitFor();
    const bigModel = join(files, 'huge.onnx');
    bigFile(bigModel, 300 * 1024 * 1024);
    await page.getByTestId('run-model-file').setInputFiles(bigModel);
    await page.getByRole('alert').filter({ hasText: 'huge.onnx is 300.0 MB' }).waitFor();
    const notModel = join(files, 'model.onnx');
    writeFileSync(notModel, 'definitely not protobuf');
    writePng(text);
    await page.getByTestId('run-image-file').setInputFiles(text);
    await page.getByTestId('run-model-file').setInputFiles(notModel);
    await page.getByRole('alert').filter({ hasText: 'model.onnx' }).waitFor({ timeout: 30_000 });
    const json = join(files, 'model.json');
    writeFileSync(json, '{"modelTopology": {}}');
    await page.getByTestId('run-model-file').setInputFiles(json);
    await page.getByRole('alert').filter({ hasText: 'model.json could not be loaded as a TF.js model' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'run-bad-input');
    assert.deepEqual(errors, []);
    await page.close();
  });

  browserTest('train: both twins train in workers, the curves grow, stop works, the model runs on the Run tab', async () => {
    const { page, errors } = await openPage(site, 'train');
    await page.getByLabel('Channels').selectOption('8');
    // Three epochs, so that on a loaded machine the run is still going when Stop is clicked (stopped, not finished).
    await page.getByLabel('Epochs').selectOption('3');
    await page.getByTestId('train-start').click();
    const points = async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) >= 12,
      undefined, { timeout: 30_000 });
    // Each worker reports on its own; on a busy machine one may have all 12 points before the other has its first.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="loss-chart"] svg polyline').length >= 3,
      undefined, { timeout: 30_000 }).catch(() => assert.fail('axes and a loss curve per model'));
    // The page stays usable while both workers train: another tab computes, and the curves keep growing meanwhile.
    const first = await points();
    await page.getByRole('link', { name: 'Explainer' }).click();
    await page.getByLabel('C_out').fill('100');
    assert.equal(await numberAt(page, 'pointwise-macs'), compareConv({ k: 3, cin: 32, cout: 100, h: 56, w: 56 }).pointwise.macs);
    await page.getByRole('link', { name: 'Train' }).click();
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="loss-chart"]')?.getAttribute('data-points')) > n,
      first, { timeout: 30_000 });
    await screenshot(page, 'train-desktop');
    await page.getByTestId('train-stop').click();
    await page.getByTestId('status-separable').filter({ hasText: 'done' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('status-standard').filter({ hasText: 'done' }).waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('test-accuracy-separable').innerText(), /%$/);
    // The downloaded checkpoint is one `sepconv predict` reads.
    const bytes = await page.evaluate(async (href) => {
      const buffer = await (await fetch(href)).arrayBuffer();
      return Array.from(new Uint8Array(buffer));
    }, (await page.getByTestId('download-separable').getAttribute('href'))!);
    const downloaded = join(files, 'trained.safetensors');
    writeFileSync(downloaded, Uint8Array.from(bytes));
    const png = ringPng();
    const cli = sepconv('predict', '--checkpoint', downloaded, png, '--json');
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as { top: unknown[] }).top.length, 5);
    await page.setViewportSize(PHONE);
    await screenshot(page, 'train-phone');

    await page.getByRole('link', { name: 'Run', exact: true }).click();
    await page.getByTestId('random-digit').click();
    await page.getByTestId('predictions').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('model-note').innerText(), /digits-(separable|standard)-w8\.safetensors \(small_cnn/);
    await page.getByLabel('Also run in TF.js').check();
    await page.getByTestId('tfjs-result').waitFor({ timeout: 30_000 });
    await page.getByTestId('tfjs-predictions').waitFor({ timeout: 30_000 });
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'run-tfjs-desktop');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
