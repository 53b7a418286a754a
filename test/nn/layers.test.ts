import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Random, Tensor, ops } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from '../helpers/close.js';
import { randomTensor } from '../helpers/gradcheck.js';

function channelMeans(t: Tensor): number[] {
  const c = t.shape[t.rank - 1];
  const m = new Array<number>(c).fill(0);
  t.data.forEach((v, i) => (m[i % c] += v / (t.size / c)));
  return m;
}

test('BatchNorm2d: PyTorch initial state; train uses batch statistics and updates running ones; eval uses running ones', () => {
  const bn = new nn.BatchNorm2d({ numFeatures: 3, momentum: 0.5 });
  assert.deepEqual(bn.namedParameters().map(([k, t]) => [k, t.toArray()]), [['weight', [1, 1, 1]], ['bias', [0, 0, 0]]]);
  assert.deepEqual(bn.namedBuffers().map(([k, t]) => [k, t.toArray()]),
    [['running_mean', [0, 0, 0]], ['running_var', [1, 1, 1]], ['num_batches_tracked', [0]]]);

  const x = randomTensor([4, 3, 3, 3], 1, 2, 6); // channel means near 4, far from the running mean 0
  const train = bn.call(x);
  for (const m of channelMeans(train)) assert.ok(Math.abs(m) < 1e-5, 'batch-normalised output has zero channel mean');
  assert.equal(bn.numBatchesTracked.item(), 1);
  const batchMeans = channelMeans(x);
  assertClose(bn.runningMean.data, batchMeans.map((m) => 0.5 * m), { rtol: 1e-5 }, 'running mean');

  bn.eval();
  const evalOut = bn.call(x);
  assert.equal(bn.numBatchesTracked.item(), 1, 'eval does not count batches');
  const expected = x.toArray().map((v, i) => (v - bn.runningMean.data[i % 3]) / Math.sqrt(bn.runningVar.data[i % 3] + 1e-5));
  assertClose(evalOut.data, expected, { rtol: 1e-5, atol: 1e-5 }, 'eval output');
  assert.ok(Math.abs(channelMeans(evalOut)[0]) > 0.5, 'eval output differs from train output');
});

test('BatchNorm2d with momentum null keeps a cumulative average of the batch statistics', () => {
  const bn = new nn.BatchNorm2d({ numFeatures: 2, momentum: null });
  const a = randomTensor([2, 2, 2, 2], 1);
  const b = randomTensor([2, 2, 2, 2], 2);
  bn.call(a);
  bn.call(b);
  const [ma, mb] = [channelMeans(a), channelMeans(b)];
  assertClose(bn.runningMean.data, [(ma[0] + mb[0]) / 2, (ma[1] + mb[1]) / 2], { rtol: 1e-5 }, 'cumulative mean');
  assert.throws(() => new nn.BatchNorm2d({ numFeatures: 2, momentum: 1.5 }), /momentum must be in \[0, 1\]/);
  assert.throws(() => new nn.BatchNorm2d({ numFeatures: 0 }), /BatchNorm2d: numFeatures/);
  assert.throws(() => new nn.BatchNorm2d({ numFeatures: 2, eps: 0 }), /eps must be > 0/);
});

test('activation modules and the activation() factory run the matching ops', () => {
  const x = randomTensor([2, 5], 3, -4, 4);
  const cases: [nn.ActivationName, (t: Tensor) => Tensor][] = [
    ['relu', ops.relu], ['relu6', ops.relu6], ['hardSwish', ops.hardSwish], ['swish', ops.swish], ['silu', ops.swish],
    ['sigmoid', ops.sigmoid], ['hardSigmoid', ops.hardSigmoid], ['tanh', ops.tanh], ['leakyRelu', (t) => ops.leakyRelu(t, 0.01)],
  ];
  for (const [name, op] of cases) {
    const m = nn.activation(name);
    assert.equal(m.numParameters(), 0);
    assert.deepEqual(m.call(x).toArray(), op(x).toArray(), name);
  }
  assert.ok(nn.activation('silu') instanceof nn.SiLU);
  assert.ok(nn.activation('silu') instanceof nn.Swish);
  assert.throws(() => nn.activation('gelu' as nn.ActivationName), /unknown activation 'gelu'; use one of relu, relu6/);
  assert.deepEqual(new nn.LeakyReLU({ alpha: 0.2 }).call(x).toArray(), ops.leakyRelu(x, 0.2).toArray());

  const prelu = new nn.PReLU({ numParameters: 5 });
  assert.deepEqual(prelu.weight.toArray(), [0.25, 0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual(prelu.call(x).toArray(), ops.leakyRelu(x, 0.25).toArray());
  assert.throws(() => new nn.PReLU({ numParameters: 0 }), /PReLU: numParameters/);
});

test('pooling layers, Linear, Flatten and Identity', () => {
  const x = randomTensor([2, 5, 5, 3], 4);
  assert.deepEqual(new nn.MaxPool2d({ kernelSize: 2 }).call(x).toArray(), ops.maxPool2d(x, { kernelSize: 2 }).toArray());
  const avg = new nn.AvgPool2d({ kernelSize: 3, stride: 2, padding: 1, countIncludePad: true });
  assert.deepEqual(avg.call(x).toArray(), ops.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: true }).toArray());
  assert.deepEqual(new nn.GlobalAvgPool2d().call(x).shape, [2, 3]);
  assert.deepEqual(new nn.GlobalAvgPool2d({ keepDims: true }).call(x).shape, [2, 1, 1, 3]);
  assert.throws(() => new nn.MaxPool2d({ kernelSize: 0 }), /MaxPool2d: kernelSize/);
  assert.throws(() => new nn.AvgPool2d({ kernelSize: 2, padding: 'full' as 'same' }), /AvgPool2d: padding must be/);

  const flat = new nn.Flatten().call(x);
  assert.deepEqual(flat.shape, [2, 75]);
  const lin = new nn.Linear({ inFeatures: 75, outFeatures: 4, rng: new Random(1) });
  assert.deepEqual(lin.namedParameters().map(([k, t]) => [k, t.shape]), [['weight', [75, 4]], ['bias', [4]]]);
  assert.deepEqual(lin.call(flat).toArray(), ops.linear(flat, lin.weight, lin.bias).toArray());
  assert.equal(new nn.Linear({ inFeatures: 3, outFeatures: 2, bias: false }).numParameters(), 6);
  assert.throws(() => new nn.Linear({ inFeatures: 3, outFeatures: 0 }), ArgumentError);
  assert.equal(new nn.Identity().call(x), x);
});

test('Dropout drops and rescales in training and is the identity in eval', () => {
  const drop = new nn.Dropout({ p: 0.5, rng: new Random(5) });
  const x = Tensor.full([1000], 1);
  const y = drop.call(x).toArray();
  const kept = y.filter((v) => v !== 0);
  assert.ok(kept.length > 400 && kept.length < 600, `kept ${kept.length} of 1000`);
  assert.ok(kept.every((v) => v === 2));
  drop.eval();
  assert.deepEqual(drop.call(x).toArray(), x.toArray());
  assert.throws(() => new nn.Dropout({ p: 1 }), /Dropout: p must be in \[0, 1\)/);
});

test('Sequential runs its children in order and indexes them', () => {
  const rng = new Random(6);
  const a = new nn.PointwiseConv2d({ inChannels: 3, outChannels: 4, rng });
  const b = new nn.ReLU();
  const seq = new nn.Sequential(a, b);
  const x = randomTensor([1, 2, 2, 3], 7);
  assert.deepEqual(seq.call(x).toArray(), ops.relu(a.call(x)).toArray());
  assert.equal(seq.length, 2);
  assert.equal(seq.at(-1), b);
  assert.deepEqual([...seq], [a, b]);
  seq.append(new nn.Flatten());
  assert.deepEqual(seq.call(x).shape, [1, 16]);
  assert.throws(() => seq.at(5), /index 5 is out of range for 3 modules/);
  assert.throws(() => new nn.Sequential({} as nn.Module), /item 0 is not a Module/);
});

test('Residual adds the identity or a projection shortcut', () => {
  const rng = new Random(8);
  const x = randomTensor([2, 4, 4, 4], 9);
  const body = new nn.Conv2d({ inChannels: 4, outChannels: 4, kernelSize: 3, padding: 'same', rng });
  const res = new nn.Residual(body);
  assert.equal(res.shortcut, null);
  assert.deepEqual(res.call(x).toArray(), ops.add(body.call(x), x).toArray());

  const down = new nn.Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, stride: 2, padding: 'same', rng });
  const proj = new nn.Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 1, stride: 2, rng });
  const projected = new nn.Residual(down, proj);
  assert.deepEqual([...projected.stateDict().keys()], ['body.weight', 'body.bias', 'shortcut.weight', 'shortcut.bias']);
  assert.deepEqual(projected.call(x).toArray(), ops.add(down.call(x), proj.call(x)).toArray());
  assert.throws(() => new nn.Residual(down).call(x),
    /residual add: body output \[2, 2, 2, 8\] does not match the input \(identity shortcut\) \[2, 4, 4, 4\]/);
  assert.throws(() => new nn.Residual(down, new nn.Identity()).call(x), /does not match shortcut output \[2, 4, 4, 4\]/);
});
