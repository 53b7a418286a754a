import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FormatError, Random, StateDictError, nn } from '../../src/index.js';
import { DataLoader, ImageDataset } from '../../src/data/index.js';
import { saveSafetensors } from '../../src/io/safetensors.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { SGD } from '../../src/train/optimizer.js';
import { restoreTraining } from '../../src/train/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const net = (outChannels: number): nn.Sequential => new nn.Sequential(
  new nn.Conv2d({ inChannels: 1, outChannels, kernelSize: 3, rng: new Random(1) }),
  new nn.GlobalAvgPool2d(),
  new nn.Linear({ inFeatures: outChannels, outFeatures: 2, rng: new Random(2) }),
);

const loader = (): DataLoader => new DataLoader(
  new ImageDataset({ pixels: new Uint8Array(4 * 16), labels: new Int32Array([0, 1, 0, 1]), imageShape: [4, 4, 1], numClasses: 2 }),
  { batchSize: 2 });

test('a checkpoint round-trips model, optimizer, loader position, generator and config', async () => {
  const model = net(3);
  const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const path = join(dir, 'ok.safetensors');
  const train = loader();
  train.nextBatch();
  await saveCheckpoint(path, {
    model: model.stateDict(), optimizer: { name: 'SGD', state: optimizer.state() }, epoch: 0, step: 1,
    rng: new Random(5).getState(), loader: train.state(), config: { model: 'x', lr: 0.1 },
  });
  const ckpt = await loadCheckpoint(path);
  assert.equal(ckpt.step, 1);
  assert.deepEqual(ckpt.config, { model: 'x', lr: 0.1 });
  assert.deepEqual(ckpt.loader, train.state());
  assert.ok(Number.isNaN(ckpt.rng![4]), 'the empty spare-normal slot survives JSON');
  const copy = net(3);
  restoreTraining(ckpt, { model: copy, optimizer: new SGD(copy.parameters(), { lr: 0.1 }), train: loader() });
  for (const [name, t] of model.stateDict()) assert.deepEqual(copy.stateDict().get(name)!.data, t.data);
});

test('a checkpoint of another architecture is refused with every mismatch named, and nothing is changed', async () => {
  const path = join(dir, 'other.safetensors');
  await saveCheckpoint(path, { model: net(3).stateDict(), epoch: 0, step: 0, config: {} });
  const ckpt = await loadCheckpoint(path);
  const model = net(5);
  const before = model.stateDict().get('0.weight')!.data.slice();
  assert.throws(() => restoreTraining(ckpt, { model, optimizer: new SGD(model.parameters(), { lr: 0.1 }), train: loader() }),
    (e) => e instanceof StateDictError && /0\.weight.*\[3, 3, 1, 3\].*\[3, 3, 1, 5\]|0\.weight.*\[3, 3, 1, 5\].*\[3, 3, 1, 3\]/s.test(e.message));
  assert.deepEqual(model.stateDict().get('0.weight')!.data, before);
});

test('bare safetensors weights and corrupt metadata are not mistaken for checkpoints', async () => {
  const bare = join(dir, 'bare.safetensors');
  await saveSafetensors(bare, net(3).stateDict());
  await assert.rejects(loadCheckpoint(bare), (e) => e instanceof FormatError && /not a sepconv checkpoint/.test(e.message));
  const corrupt = join(dir, 'corrupt.safetensors');
  await saveSafetensors(corrupt, net(3).stateDict(), { sepconv: '{"format": ' });
  await assert.rejects(loadCheckpoint(corrupt), (e) => e instanceof FormatError && /not valid JSON/.test(e.message));
  const future = join(dir, 'future.safetensors');
  await saveSafetensors(future, net(3).stateDict(), { sepconv: JSON.stringify({ format: 'sepconv-checkpoint/9', epoch: 0, step: 0 }) });
  await assert.rejects(loadCheckpoint(future), (e) => e instanceof FormatError && /unsupported checkpoint format/.test(e.message));
});
