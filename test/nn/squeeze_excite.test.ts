import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random, ops } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from '../helpers/close.js';
import { randomTensor } from '../helpers/gradcheck.js';

test('makeDivisible rounds like the MobileNet reference (nearest multiple, >= minValue, >= 90% of v)', () => {
  assert.equal(nn.makeDivisible(18, 8), 24); // 16 would lose more than 10%
  assert.equal(nn.makeDivisible(60, 8), 64);
  assert.equal(nn.makeDivisible(24, 8), 24);
  assert.equal(nn.makeDivisible(3, 8), 8);
  assert.equal(nn.makeDivisible(32 * 0.75, 8), 24);
  assert.equal(nn.makeDivisible(10, 8), 16);
  assert.equal(nn.makeDivisible(4, 8, 16), 16);
  assert.equal(nn.makeDivisible(100, 1), 100);
});

test('squeeze width: ratio of the block input (EfficientNet), of channels, explicit, and with a divisor (MobileNetV3)', () => {
  const width = (o: nn.SqueezeExciteOptions) => new nn.SqueezeExcite(o).squeezeChannels;
  assert.equal(width({ channels: 96, blockInputChannels: 16, ratio: 0.25 }), 4); // EfficientNet-B0 stage 2
  assert.equal(width({ channels: 96 }), 24); // default ratio 0.25 of channels
  assert.equal(width({ channels: 100, ratio: 0.29 }), 29); // no float off-by-one
  assert.equal(width({ channels: 6, ratio: 0.1 }), 1); // at least one channel
  assert.equal(width({ channels: 72, divisor: 8 }), 24); // torchvision mobilenet_v3_large: _make_divisible(72 // 4, 8)
  assert.equal(width({ channels: 960, divisor: 8 }), 240);
  assert.equal(width({ channels: 40, squeezeChannels: 5 }), 5);
  const se = new nn.SqueezeExcite({ channels: 96, blockInputChannels: 16 });
  assert.deepEqual(se.namedParameters().map(([k, t]) => [k, t.shape]), [
    ['reduce.weight', [96, 4]], ['reduce.bias', [4]], ['expand.weight', [4, 96]], ['expand.bias', [96]],
  ]);
  assert.equal(se.numParameters(), 96 * 4 + 4 + 4 * 96 + 96);
});

test('SqueezeExcite rejects contradictory or out-of-range options', () => {
  assert.throws(() => new nn.SqueezeExcite({ channels: 8, squeezeChannels: 2, ratio: 0.5 }), /squeezeChannels or ratio/);
  assert.throws(() => new nn.SqueezeExcite({ channels: 8, ratio: 0 }), /ratio must be in \(0, 1\]/);
  assert.throws(() => new nn.SqueezeExcite({ channels: 8, squeezeChannels: 0 }), /squeezeChannels must be an integer >= 1/);
  assert.throws(() => new nn.SqueezeExcite({ channels: 0 }), /SqueezeExcite: channels/);
  assert.throws(() => new nn.SqueezeExcite({ channels: 8, blockInputChannels: -2 }), /blockInputChannels/);
  assert.throws(() => new nn.SqueezeExcite({ channels: 8, gate: 'tanh' as 'sigmoid' }), /gate must be 'sigmoid' or 'hardSigmoid'/);
  assert.throws(() => new nn.SqueezeExcite({ channels: 8, activation: 'gelu' as 'relu' }), /activation must be 'relu' or 'swish'/);
  assert.throws(() => new nn.SqueezeExcite({ channels: 8 }).call(randomTensor([1, 2, 2, 6], 1)),
    /SqueezeExcite: expected an NHWC input \[N, H, W, 8\] \(channels = 8\), got \[1, 2, 2, 6\]/);
});

test('SqueezeExcite equals pool -> reduce -> act -> expand -> gate -> channel multiply, by ops and by hand', () => {
  const x = randomTensor([2, 3, 4, 8], 7);
  for (const [activation, gate] of [['relu', 'sigmoid'], ['swish', 'sigmoid'], ['relu', 'hardSigmoid']] as const) {
    const se = new nn.SqueezeExcite({ channels: 8, squeezeChannels: 3, activation, gate, rng: new Random(8) });
    const act = activation === 'relu' ? ops.relu : ops.swish;
    const squash = gate === 'sigmoid' ? ops.sigmoid : ops.hardSigmoid;
    const pooled = ops.reshape(ops.globalAvgPool2d(x), [2, 1, 1, 8]);
    const g = squash(ops.pointwiseConv2d(act(ops.pointwiseConv2d(pooled, se.reduce.weight, se.reduce.bias)),
      se.expand.weight, se.expand.bias));
    const y = se.call(x);
    assert.deepEqual(y.shape, x.shape);
    assertClose(y.data, ops.mul(x, g).data, { rtol: 1e-6, atol: 1e-7 }, `${activation}/${gate}`);
  }

  // By hand for relu/sigmoid: gate[n][c] = sigmoid(b2 + sum_s W2[s][c] relu(b1 + sum_k W1[k][s] mean_hw(x[n,:,:,k]))).
  const se = new nn.SqueezeExcite({ channels: 8, squeezeChannels: 3, rng: new Random(9) });
  const [w1, b1, w2, b2] = [se.reduce.weight.data, se.reduce.bias!.data, se.expand.weight.data, se.expand.bias!.data];
  const xd = x.data;
  const expected = new Float32Array(x.size);
  for (let n = 0; n < 2; n++) {
    const mean = new Array<number>(8).fill(0);
    for (let p = 0; p < 12; p++) for (let c = 0; c < 8; c++) mean[c] += xd[(n * 12 + p) * 8 + c] / 12;
    const hidden = [0, 1, 2].map((s) => Math.max(0, b1[s] + mean.reduce((acc, m, k) => acc + w1[k * 3 + s] * m, 0)));
    const gateValues = mean.map((_, c) => 1 / (1 + Math.exp(-(b2[c] + hidden.reduce((acc, h, s) => acc + w2[s * 8 + c] * h, 0)))));
    for (let p = 0; p < 12; p++) for (let c = 0; c < 8; c++) expected[(n * 12 + p) * 8 + c] = xd[(n * 12 + p) * 8 + c] * gateValues[c];
  }
  assertClose(se.call(x).data, expected, { rtol: 1e-5, atol: 1e-6 }, 'SE by hand');
});
