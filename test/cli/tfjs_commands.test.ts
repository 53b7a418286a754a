/**
 * inspect and run on TF.js models (model.json + shards in a folder), driven through their Command objects, and once
 * through the real CLI for the one-line error of a broken model.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { inspectCommand } from '../../src/cli/commands/inspect.js';
import { runModelCommand } from '../../src/cli/commands/run.js';
import { writeNpy } from '../../src/io/npy.js';
import { assertClose } from '../helpers/close.js';
import { randomValues, randomizeWeights, saveLayersModel, tf, type SavedModel } from '../io/tfjs/tfjs_fixtures.js';
import { oneLineError, runCommand, sepconv } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-tfjs-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes model.json and its shards into a new folder; returns the model.json path. */
function writeModel(name: string, saved: SavedModel, json: object = saved.json): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
  for (const [p, b] of saved.weights) writeFileSync(join(folder, p), b);
  return join(folder, 'model.json');
}

function classifier(): tf.Sequential {
  const m = tf.sequential({ name: 'tiny' });
  m.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'conv' }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }));
  m.add(tf.layers.reLU({ maxValue: 6, name: 'relu6' }));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ units: 7, name: 'logits' }));
  randomizeWeights(m, 41);
  return m;
}

test('inspect describes a TF.js layers model and costs it per layer', async () => {
  const file = writeModel('layers', await saveLayersModel(classifier(), { shardBytes: 200 }));
  const text = await runCommand(inspectCommand, file);
  assert.match(text, /^format: +layers-model$/m);
  assert.match(text, /^input conv_input: +\[\?, 8, 8, 3\]$/m);
  assert.match(text, /^layers: +5: .*Conv2D x1.*DepthwiseConv2D x1/m);
  assert.match(text, /cost for input 1x8x8x3 \(NHWC\)/);
  assert.match(text, /^dw +depthwise +4x4x4 /m);
  assert.match(text, /^total +7 /m);
  const json = JSON.parse(await runCommand(inspectCommand, file, '--json'));
  assert.equal(json.format, 'layers-model');
  assert.equal(json.layers, 5);
  assert.deepEqual(json.cost.output, [1, 7]);
  assert.equal(json.cost.totals.params, 3 * 3 * 3 * 4 + 4 + 3 * 3 * 4 + 4 + 4 * 7 + 7);
});

test('run feeds a .npy tensor (NHWC) or an image and matches TF.js', async () => {
  const model = classifier();
  const file = writeModel('run', await saveLayersModel(model));
  const x = randomValues(8 * 8 * 3, 42);
  const npy = join(dir, 'x.npy');
  writeFileSync(npy, writeNpy({ dtype: 'float32', shape: [1, 8, 8, 3], data: Float32Array.from(x) }));
  const out = JSON.parse(await runCommand(runModelCommand, file, '--input', npy, '--json'));
  assert.deepEqual(out.outputs.logits.shape, [1, 7]);
  const expected = tf.tidy(() => (model.predict(tf.tensor(x, [1, 8, 8, 3])) as tf.Tensor).dataSync());
  assertClose(out.outputs.logits.data, expected, { rtol: 1e-4, atol: 1e-5 }, 'run --json');
  assert.match(await runCommand(runModelCommand, file, '--input', npy, '--top', '3'), /^logits \[1, 7\]\nclass +score +softmax\n(.*\n){4}/m);

  // An image becomes an NHWC batch of the declared size: a uniform image gives TF.js' output for a constant input.
  const data = Buffer.alloc(4 * 4 * 4);
  for (let p = 0; p < 16; p++) data.set([255, 0, 51, 255], 4 * p);
  const image = join(dir, 'img.png');
  writeFileSync(image, PNG.sync.write({ width: 4, height: 4, data }));
  const fromImage = JSON.parse(await runCommand(runModelCommand, file, '-i', image, '--json'));
  const constant = Array.from({ length: 64 }, () => [1, 0, 0.2]).flat();
  const expectedImage = tf.tidy(() => (model.predict(tf.tensor(constant, [1, 8, 8, 3])) as tf.Tensor).dataSync());
  assertClose(fromImage.outputs.logits.data, expectedImage, { rtol: 1e-4, atol: 1e-5 }, 'image input');
});

test('a broken TF.js model fails with one line naming the file and the problem', async () => {
  const saved = await saveLayersModel(classifier());
  const json = JSON.parse(JSON.stringify(saved.json));
  json.modelTopology.config.layers.push({ class_name: 'LSTM', config: { name: 'lstm', units: 3 } });
  const file = writeModel('broken', saved, json);
  await assert.rejects(runCommand(inspectCommand, file), /model\.json: TF\.js layers model: 1 layer cannot be loaded:\n {2}layer 'lstm' \(LSTM\): layer class not supported/);
  const noShard = writeModel('noshard', { ...saved, weights: new Map() });
  const r = sepconv('inspect', noShard);
  assert.equal(r.status, 1);
  assert.match(oneLineError(r), /noshard.model\.json: TF\.js weightsManifest\[0\]: weight shard "group1-shard1of1\.bin" is missing/);
  await assert.rejects(runCommand(runModelCommand, join(dir, 'nowhere', 'model.json'), '--input', 'x.npy'), /cannot read the model '.*model\.json': ENOENT/);
});
