import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NumericsError, Random, manualSeed, memory, nn } from '../../src/index.js';
import { DataLoader, ImageDataset } from '../../src/data/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { recomputeBatchNormStats } from '../../src/train/bn_stats.js';
import { ModelEMA } from '../../src/train/ema.js';
import { Adam } from '../../src/train/optimizer.js';
import { cosineWithWarmup } from '../../src/train/schedule.js';
import { evaluate, fit } from '../../src/train/trainer.js';

/** 4 classes of 6x6 grey images: a bright quadrant per class plus noise, so a tiny CNN learns it quickly. */
function quadrants(count: number, seed: number): ImageDataset {
  const rng = new Random(seed);
  const pixels = new Uint8Array(count * 36);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 4;
    labels[i] = label;
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 6; x++) {
        const inside = (y < 3 ? 0 : 2) + (x < 3 ? 0 : 1) === label;
        pixels[i * 36 + y * 6 + x] = Math.min(255, (inside ? 180 : 40) + rng.int(60));
      }
  }
  return new ImageDataset({ pixels, labels, imageShape: [6, 6, 1], numClasses: 4 });
}

function tinyNet(seed: number): nn.Sequential {
  const rng = new Random(seed);
  return new nn.Sequential(
    new nn.Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 'same', rng }),
    new nn.BatchNorm2d({ numFeatures: 4 }),
    new nn.ReLU(),
    new nn.SeparableConv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, stride: 2, padding: 'same', rng }),
    new nn.ReLU(),
    new nn.Dropout({ p: 0.1 }),
    new nn.GlobalAvgPool2d(),
    new nn.Linear({ inFeatures: 8, outFeatures: 4, rng }),
  );
}

function setup(seed = 7, epochs = 8) {
  manualSeed(seed);
  const model = tinyNet(seed);
  const train = new DataLoader(quadrants(64, 1), { batchSize: 8, seed });
  const testLoader = new DataLoader(quadrants(32, 2), { batchSize: 16, shuffle: false });
  const optimizer = new Adam(model.parameters(), { lr: 0.02 });
  const schedule = cosineWithWarmup({ baseLr: 0.02, warmupSteps: 4, totalSteps: epochs * train.length });
  return { model, train, test: testLoader, optimizer, schedule, numClasses: 4, epochs };
}

test('fit learns a small task, evaluates each epoch and keeps memory flat', async () => {
  const run = setup();
  const before = memory().numTensors;
  const steps: number[] = [];
  const { history, completed } = await fit({ ...run, onStep: (s) => steps.push(s.globalStep) });
  assert.ok(completed);
  assert.equal(history.length, 8);
  assert.equal(steps.length, 8 * run.train.length);
  assert.ok(history[7].test!.top1 >= 0.75, `test accuracy ${history[7].test!.top1}`);
  assert.ok(history[7].train.loss < history[0].train.loss / 2);
  assert.equal(memory().numTensors, before);
  const again = evaluate(run.model, run.test, 4);
  assert.equal(again.count, 32);
  assert.equal(again.confusion.reduce((a, b) => a + b, 0), 32);
});

test('an interrupted run resumed from its checkpoint ends with the same weights as an uninterrupted one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sepconv-fit-'));
  try {
    const full = setup();
    await fit(full);
    const reference = full.model.stateDict();

    // Stop mid-epoch (after step 11 of 64), as a killed run's last periodic checkpoint would.
    const first = setup();
    const path = join(dir, 'run.safetensors');
    const controller = new AbortController();
    const stopped = await fit({ ...first, saveCheckpoint: (c) => saveCheckpoint(path, c), checkpointEverySteps: 5, signal: controller.signal,
      onStep: (s) => { if (s.globalStep === 11) controller.abort(); } });
    assert.equal(stopped.completed, false);

    const ckpt = await loadCheckpoint(path);
    assert.equal(ckpt.step, 11);
    const second = setup(99); // different init and generator: everything must come from the checkpoint
    const resumed = await fit({ ...second, resume: ckpt });
    assert.ok(resumed.completed);
    for (const [name, t] of second.model.stateDict())
      assert.deepEqual(t.data, reference.get(name)!.data, `weights of ${name} differ after resuming`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weight EMA evaluates with averaged weights and restores the trained ones', async () => {
  const run = setup();
  const ema = new ModelEMA(run.model, 0.9);
  await fit({ ...run, epochs: 1, ema });
  const trained = run.model.parameters()[0].data.slice();
  const averaged = ema.state().get(run.model.namedParameters()[0][0])!;
  assert.notDeepEqual(Array.from(averaged), Array.from(trained));
  ema.withAveragedWeights(() => assert.deepEqual(run.model.parameters()[0].data, averaged));
  assert.deepEqual(run.model.parameters()[0].data, trained);
});

test('recomputeBnStats: training unchanged, every eval pass uses statistics from the same first batches', async () => {
  const plain = setup();
  await fit(plain);
  const run = setup();
  const bnLoader = () => new DataLoader(quadrants(64, 3), { batchSize: 8, seed: 5 });
  const { history } = await fit({ ...run, recomputeBnStats: { loader: bnLoader(), batches: 3 } });
  // Running statistics are used only in eval mode, and the pass draws no random numbers (the net has dropout).
  for (const [p, q] of plain.model.parameters().map((t, i) => [t, run.model.parameters()[i]]))
    assert.deepEqual(q.data, p.data);
  // After the last epoch: the statistics of the loader's first 3 batches (rewound, not batches 25-27).
  recomputeBatchNormStats(plain.model, bnLoader(), 3);
  for (const [name, t] of plain.model.stateDict()) assert.deepEqual(run.model.stateDict().get(name)!.data, t.data, name);
  assert.equal(history[7].test!.top1, evaluate(plain.model, plain.test, 4).top1);
  await assert.rejects(fit({ ...setup(), recomputeBnStats: { loader: bnLoader(), batches: 0 } }), /recomputeBnStats.batches must be an integer >= 1/);
});

test('an exploding loss stops training with a NumericsError', async () => {
  const run = setup();
  run.optimizer.lr = 1e30;
  await assert.rejects(fit({ ...run, schedule: undefined }), NumericsError);
});

test('distillation with weight 1 learns from the teacher alone, and leaves the teacher as it was', async () => {
  const teacher = setup();
  await fit(teacher);
  assert.ok(evaluate(teacher.model, teacher.test, 4).top1 >= 0.75);
  const teacherState = teacher.model.stateDict();
  const frozen = new Map([...teacherState].map(([k, t]) => [k, t.data.slice()]));

  // Every training label is 0: a student that used them would predict class 0 (25% on the test set).
  const images = quadrants(64, 1);
  const wrong = new ImageDataset({ pixels: images.pixels, labels: new Int32Array(64), imageShape: [6, 6, 1], numClasses: 4 });
  const student = setup(8, 16);
  const losses: number[] = [];
  const { history } = await fit({ ...student, train: new DataLoader(wrong, { batchSize: 8, seed: 8 }),
    distill: { teacher: teacher.model, weight: 1, temperature: 1 }, onStep: (s) => losses.push(s.loss) });
  assert.ok(history[15].test!.top1 >= 0.7, `student accuracy ${history[15].test!.top1}`);
  assert.ok(losses.at(-1)! < losses[0] / 4, `distillation loss ${losses[0]} -> ${losses.at(-1)}`);
  assert.equal(teacher.model.training, false);
  for (const [k, t] of teacher.model.stateDict()) assert.deepEqual(t.data, frozen.get(k), `teacher ${k} changed`);

  // With weight 0 the same run learns the (wrong) labels only.
  const labelsOnly = setup(8, 16);
  const plain = await fit({ ...labelsOnly, train: new DataLoader(wrong, { batchSize: 8, seed: 8 }),
    distill: { teacher: teacher.model, weight: 0, temperature: 1 } });
  assert.ok(plain.history[15].test!.top1 <= 0.3, `label-only accuracy ${plain.history[15].test!.top1}`);
});

test('fit rejects a bad distillation weight or temperature before the first update', async () => {
  const run = setup();
  const before = run.model.parameters().map((p) => p.data.slice());
  await assert.rejects(fit({ ...run, distill: { teacher: tinyNet(1), weight: 1.5, temperature: 2 } }), /distillation weight must be a number in \[0, 1\], got 1.5/);
  await assert.rejects(fit({ ...run, distill: { teacher: tinyNet(1), weight: 0.5, temperature: -1 } }), /distillationLoss: temperature must be a finite number > 0, got -1/);
  run.model.parameters().forEach((p, i) => assert.deepEqual(p.data, before[i]));
});
