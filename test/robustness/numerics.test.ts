/**
 * NaN and Inf: the opt-in numerics check names the first op and layer that produced one, with its inputs' stats,
 * and a run whose loss explodes stops with a one-line message naming the step, leaving a loadable checkpoint.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataLoader, ImageDataset } from '../../src/data/index.js';
import { NumericsError, Random, SGD, fit, nn, setNumericsCheck } from '../../src/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { sepconv } from '../cli/run.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-numerics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** features (conv, relu, 1x1 conv) -> pool -> classifier, so layer paths have two levels. */
function model(): nn.Sequential {
  const rng = new Random(1);
  const features = new nn.Sequential(
    new nn.Conv2d({ inChannels: 1, outChannels: 2, kernelSize: 3, rng }),
    new nn.ReLU(),
    new nn.Conv2d({ inChannels: 2, outChannels: 2, kernelSize: 1, rng }),
  );
  return new nn.Sequential(features, new nn.GlobalAvgPool2d(), new nn.Linear({ inFeatures: 2, outFeatures: 2, rng }));
}

function input(values?: (i: number) => number): Tensor {
  return new Tensor(Float32Array.from({ length: 2 * 25 }, (_, i) => values?.(i) ?? i / 10), [2, 5, 5, 1]);
}

function withNumericsCheck(fn: () => void): void {
  const previous = setNumericsCheck(true);
  try {
    fn();
  } finally {
    setNumericsCheck(previous);
  }
}

test('the numerics check names the op and layer that overflowed, with its inputs\' stats', () => {
  const m = model();
  // The 1x1 conv's weights are so large that its output overflows float32.
  (m.children()[0].children()[2] as nn.Conv2d).weight.data.fill(3e38);
  assert.doesNotThrow(() => m.call(input()), 'off by default');
  withNumericsCheck(() => assert.throws(() => m.call(input()), (e: unknown) => {
    assert.ok(e instanceof NumericsError);
    assert.match(e.message, /^conv2d in layer '0\.2' produced -?Infinity at output index \d+; inputs: \[2, 3, 3, 2\] min [\d.e+-]+ max [\d.e+-]+ mean [\d.e+-]+; \[1, 1, 2, 2\] min 3e\+38 max 3e\+38 mean 3e\+38; /);
    assert.match(e.message, /Lower the learning rate, check the input data, or add normalisation$/);
    return true;
  }));
});

test('the numerics check stops at the first layer, whose input stats count the non-finite values', () => {
  const m = model();
  withNumericsCheck(() => assert.throws(() => m.call(input((i) => (i === 7 ? NaN : i / 10))), (e: unknown) => {
    assert.ok(e instanceof NumericsError);
    assert.match(e.message, /^conv2d in layer '0\.0' produced NaN at output index \d+; inputs: \[2, 5, 5, 1\] min 0 max 4\.9 mean 2\.486 \(1 non-finite\); /);
    return true;
  }));
});

test('sepconv train with an exploding learning rate stops with one line naming the step; the last checkpoint loads', async () => {
  const out = join(dir, 'explode');
  const r = sepconv('train', '--limit', '256', '--epochs', '1', '--width', '4', '--batch', '32', '--optimizer', 'sgd',
    '--lr', '1e30', '--checkpoint-every', '1', '--out', out);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  const last = lines[lines.length - 1];
  assert.match(last, /^sepconv train: NumericsError: training loss became NaN at epoch 1, step (\d+) of 8 \(after (\d+) optimizer steps\); the last checkpoint \(after step \2\) is intact\. Lower the learning rate/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const step = Number(/after (\d+) optimizer steps/.exec(last)![1]);
  const ckpt = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
  assert.equal(ckpt.step, step);
  for (const [name, t] of ckpt.model) assert.ok(t.data.every(Number.isFinite), `${name} is finite in the last checkpoint`);
  const ev = sepconv('eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--json');
  assert.equal(ev.status, 0, ev.stderr);
});

test('fit stops on a non-finite loss and says when no checkpoint was written yet', async () => {
  const m = model();
  const data = new ImageDataset({ pixels: Uint8Array.from({ length: 8 * 25 }, (_, i) => (i * 53) % 256),
    labels: Int32Array.from({ length: 8 }, (_, i) => i % 2), imageShape: [5, 5, 1], numClasses: 2 });
  await assert.rejects(fit({
    model: m, optimizer: new SGD(m.parameters(), { lr: 1e30 }), train: new DataLoader(data, { batchSize: 2, seed: 1 }),
    epochs: 1, numClasses: 2,
  }), /^NumericsError: training loss became (NaN|-?Infinity) at epoch 1, step \d of 4 \(after \d optimizer steps\); no checkpoint was written yet\. Lower the learning rate/);
});
