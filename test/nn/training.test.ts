import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Random, Tensor, memory, noGrad, ops, tidy } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from '../helpers/close.js';
import { randomTensor } from '../helpers/gradcheck.js';

/** Conv -> BN -> act -> SeparableConv (BN, act) -> SE -> pool -> Linear: every kind of parameterised layer. */
function tinyNet(rng: Random, o: { inC: number; width: number; classes: number; act: nn.ActivationName; seAct: 'relu' | 'swish' }) {
  return new nn.Sequential(
    new nn.Conv2d({ inChannels: o.inC, outChannels: o.width, kernelSize: 3, padding: 'same', rng }),
    new nn.BatchNorm2d({ numFeatures: o.width }),
    nn.activation(o.act),
    new nn.SeparableConv2d({
      inChannels: o.width, outChannels: 2 * o.width, kernelSize: 3, stride: 2, padding: 'same', batchNorm: true,
      activation: o.act, rng,
    }),
    new nn.SqueezeExcite({ channels: 2 * o.width, squeezeChannels: 2, activation: o.seAct, rng }),
    new nn.GlobalAvgPool2d(),
    new nn.Linear({ inFeatures: 2 * o.width, outFeatures: o.classes, rng }),
  );
}

function sgdStep(model: nn.Module, lr: number): void {
  noGrad(() => {
    for (const p of model.parameters()) {
      const g = p.grad!.data;
      const d = p.data;
      for (let i = 0; i < d.length; i++) d[i] -= lr * g[i];
    }
  });
  model.zeroGrad();
}

test('gradients reach every parameter and match finite differences', () => {
  // Smooth activations, so that central differences are accurate everywhere.
  const model = tinyNet(new Random(1), { inC: 2, width: 3, classes: 3, act: 'tanh', seAct: 'swish' });
  const x = randomTensor([2, 4, 4, 2], 2);
  const rng = new Random(3);
  const r = Float64Array.from({ length: 2 * 3 }, () => rng.uniform() * 2 - 1);
  const objective = () => noGrad(() => model.call(x).toArray().reduce((s, v, i) => s + v * r[i], 0));

  const y = model.call(x);
  y.backward(new Tensor(Float32Array.from(r), y.shape));
  const eps = 1e-2;
  for (const [name, p] of model.namedParameters()) {
    assert.ok(p.grad !== null, `${name} received no gradient`);
    const numeric = new Float64Array(p.size);
    const d = p.data;
    for (let j = 0; j < d.length; j++) {
      const orig = d[j];
      d[j] = orig + eps;
      const plus = objective();
      d[j] = orig - eps;
      const minus = objective();
      d[j] = orig;
      numeric[j] = (plus - minus) / (2 * eps);
    }
    assertClose(p.grad.data, numeric, { rtol: 2e-2, atol: 2e-3 }, `gradient of ${name}`);
  }
});

test('a tiny separable network overfits a fixed batch to 100% training accuracy with plain SGD', () => {
  const model = tinyNet(new Random(4), { inC: 3, width: 8, classes: 4, act: 'relu', seAct: 'relu' });
  const x = randomTensor([16, 8, 8, 3], 5);
  const labels = Array.from({ length: 16 }, (_, i) => i % 4);
  const accuracy = () => tidy(() => {
    const logits = model.call(x).data;
    let correct = 0;
    for (let n = 0; n < 16; n++) {
      const row = Array.from(logits.subarray(n * 4, n * 4 + 4));
      if (row.indexOf(Math.max(...row)) === labels[n]) correct++;
    }
    return correct / 16;
  });
  let firstLoss = NaN;
  let loss = NaN;
  let step = 0;
  for (; step < 500; step++) {
    loss = tidy(() => {
      const l = ops.crossEntropy(model.call(x), labels);
      l.backward();
      return l.item();
    });
    if (step === 0) firstLoss = loss;
    sgdStep(model, 0.2);
    if (step % 10 === 9 && accuracy() === 1) break;
  }
  assert.equal(accuracy(), 1, `training accuracy after ${step + 1} steps (loss ${firstLoss} -> ${loss})`);
  assert.ok(loss < firstLoss);
});

test('1,000 training steps inside tidy leave the tensor count and the heap flat', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const model = tinyNet(new Random(6), { inC: 3, width: 4, classes: 2, act: 'relu6', seAct: 'relu' });
  const x = randomTensor([8, 8, 8, 3], 7);
  const labels = [0, 1, 0, 1, 0, 1, 0, 1];
  const checkpoints = new Map<number, { tensors: number; heap: number }>();
  for (let step = 1; step <= 1000; step++) {
    tidy(() => {
      ops.crossEntropy(model.call(x), labels).backward();
    });
    sgdStep(model, 0.01);
    if (step === 100 || step === 1000) {
      gc();
      checkpoints.set(step, { tensors: memory().numTensors, heap: process.memoryUsage().heapUsed });
    }
  }
  const [early, late] = [checkpoints.get(100)!, checkpoints.get(1000)!];
  assert.equal(late.tensors, early.tensors, 'live tensors after step 100 and step 1000');
  // A step's activations, tape and gradients take tens of kB, so keeping them would add tens of MB over 900 steps;
  // 8 MB leaves room for JIT and collector noise.
  assert.ok(late.heap - early.heap < 8e6, `heap grew by ${((late.heap - early.heap) / 1e6).toFixed(1)} MB over 900 steps`);
});
