import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { DataLoader, ImageDataset } from '../../src/data/index.js';
import { FormatError } from '../../src/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors_codec.js';
import { Random, nn } from '../../src/index.js';
import { decodeCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { ModelEMA } from '../../src/train/ema.js';
import { Adam } from '../../src/train/optimizer.js';
import { fit, restoreTraining } from '../../src/train/trainer.js';
import { fuzzReader, type FuzzInput } from './harness.js';
import { anyJson, deeplyNested, jsonObject, prototypeKey } from './json_hostile.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-fuzz-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tinyRun() {
  const rng = new Random(1);
  const model = new nn.Sequential(
    new nn.Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, padding: 'same', rng }),
    new nn.BatchNorm2d({ numFeatures: 2 }),
    new nn.ReLU(),
    new nn.GlobalAvgPool2d(),
    new nn.Linear({ inFeatures: 2, outFeatures: 2, rng }),
  );
  const pixels = Uint8Array.from({ length: 8 * 16 }, (_, i) => (i * 37) % 256);
  const data = new ImageDataset({ pixels, labels: Int32Array.from({ length: 8 }, (_, i) => i % 2), imageShape: [4, 4, 1], numClasses: 2 });
  const train = new DataLoader(data, { batchSize: 4, seed: 1 });
  return { model, train, optimizer: new Adam(model.parameters(), { lr: 0.01 }), ema: new ModelEMA(model, 0.9), rng };
}

/** A real checkpoint: one epoch of a tiny run with Adam, EMA and a mid-epoch snapshot. */
async function checkpointBytes(): Promise<Uint8Array[]> {
  const run = tinyRun();
  const path = join(dir, 'ckpt.safetensors');
  const files: Uint8Array[] = [];
  await fit({
    ...run, epochs: 1, numClasses: 2, config: { model: 'tiny', note: { nested: [1, 2] } },
    checkpointEverySteps: 1,
    saveCheckpoint: async (c) => {
      await saveCheckpoint(path, c);
      files.push(new Uint8Array(readFileSync(path)));
    },
  });
  return [files[0], files[files.length - 1]];
}

const seeds = await checkpointBytes();
const target = tinyRun();

/** The seed's tensors with its metadata JSON replaced: one header field (or a new key) set to hostile JSON. */
function withMetadata(seed: Uint8Array, edit: (header: [string, string][]) => [string, string][]): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(seed);
  const header = Object.entries(JSON.parse(metadata.sepconv) as Record<string, unknown>)
    .map(([k, v]): [string, string] => [k, JSON.stringify(v)]);
  return encodeSafetensors(tensors, { sepconv: jsonObject(edit(header)) });
}

const headerField = fc.constantFrom('format', 'epoch', 'step', 'rng', 'loader', 'config', 'history', 'optimizer');

const nestedFields = [['loader', 'shuffleRng'], ['loader', 'augmentRng'], ['loader', 'step'], ['loader', 'epoch'],
  ['loader', 'batchSize'], ['optimizer', 'scalars'], ['optimizer', 'name'], ['config', 'model']] as const;

/** The JSON object text `objectText` with its key `key` set to the JSON text `value`. */
function setInside(objectText: string, key: string, value: string): string {
  const pairs = Object.entries(JSON.parse(objectText) as Record<string, unknown>)
    .filter(([k]) => k !== key).map(([k, v]): [string, string] => [k, JSON.stringify(v)]);
  return jsonObject([...pairs, [key, value]]);
}

const generated: fc.Arbitrary<FuzzInput> = fc.tuple(
  fc.nat({ max: seeds.length - 1 }),
  fc.oneof(
    // A field set to any JSON (wrong types, deep nesting, prototype keys inside).
    fc.tuple(headerField, anyJson).map(([field, value]) => (h: [string, string][]) =>
      h.map(([k, v]): [string, string] => [k, k === field ? value : v])),
    // A field inside an object-valued field set to any JSON.
    fc.tuple(fc.constantFrom(...nestedFields), anyJson).map(([[field, sub], value]) => (h: [string, string][]) =>
      h.map(([k, v]): [string, string] => [k, k === field ? setInside(v, sub, value) : v])),
    // A prototype key added at the top level or inside an object-valued field.
    fc.tuple(prototypeKey, fc.oneof(anyJson, deeplyNested), fc.constantFrom('', 'config', 'loader', 'optimizer')).map(
      ([key, value, inside]) => (h: [string, string][]) => inside === ''
        ? [[key, value] as [string, string], ...h]
        : h.map(([k, v]): [string, string] => [k, k === inside ? v.replace(/^\{/, `{${JSON.stringify(key)}:${value},`) : v])),
  ),
).map(([seed, edit]) => ({ seed, bytes: withMetadata(seeds[seed], edit) }));

test('fuzz: checkpoint decoding and restoring a run from it', () => {
  const report = fuzzReader({
    name: 'checkpoint',
    seeds,
    read: ({ bytes }) => {
      restoreTraining(decodeCheckpoint(bytes, 'fuzz.safetensors'), target);
    },
    generated,
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

// Regressions found by the fuzzer.

test('checkpoint: mistyped metadata fields are FormatErrors naming the field', () => {
  for (const [field, value] of [['rng', '"abc"'], ['optimizer', 'null'], ['optimizer', '{"name":"Adam"}'], ['loader', '7'],
    ['epoch', '-1'], ['config', '[]']] as const) {
    const bytes = withMetadata(seeds[0], (h) => h.map(([k, v]) => [k, k === field ? value : v]));
    assert.throws(() => decodeCheckpoint(bytes, 'c.safetensors'),
      (e: unknown) => e instanceof FormatError && e.message.includes(`c.safetensors: checkpoint metadata field '${field}'`),
      `${field} = ${value}`);
  }
});

test('checkpoint: a tensor name without a group prefix is rejected, not read as a model weight', () => {
  const { tensors, metadata } = decodeSafetensors(seeds[0]);
  tensors.set('modelX', { shape: [1], data: Float32Array.of(1), dtype: 'F32' });
  assert.throws(() => decodeCheckpoint(encodeSafetensors(tensors, metadata), 'c.safetensors'), /unexpected tensor 'modelX'/);
});
