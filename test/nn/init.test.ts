import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Random, Tensor, manualSeed } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from '../helpers/close.js';

const { init } = nn;

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    s += v;
    s2 += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / t.size;
  return { mean, std: Math.sqrt(s2 / t.size - mean * mean), min, max };
}

test('fans follow each weight layout (PyTorch equivalents)', () => {
  assert.deepEqual([init.fanIn([3, 3, 16, 32]), init.fanOut([3, 3, 16, 32])], [144, 288]); // standard / grouped conv
  assert.deepEqual([init.fanIn([5, 5, 24]), init.fanOut([5, 5, 24])], [25, 600]); // depthwise: one input channel per filter
  assert.deepEqual([init.fanIn([64, 10]), init.fanOut([64, 10])], [64, 10]); // pointwise and linear [Cin, Cout]
  assert.throws(() => init.fanIn([10]), ArgumentError);
  assert.equal(init.calculateGain('relu'), Math.SQRT2);
  assert.equal(init.calculateGain('leakyRelu', Math.sqrt(5)), Math.sqrt(1 / 3));
});

test('the same seed gives identical parameters, a different seed different ones', () => {
  const build = (seed: number) => new nn.Sequential(
    new nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, rng: new Random(seed) }),
    new nn.SeparableConv2d({ inChannels: 8, outChannels: 8, kernelSize: 3, rng: new Random(seed + 1) }),
    new nn.SqueezeExcite({ channels: 8, rng: new Random(seed + 2) }),
    new nn.Linear({ inFeatures: 8, outFeatures: 4, rng: new Random(seed + 3) }),
  );
  const values = (m: nn.Module) => [...m.stateDict().values()].map((t) => t.toArray());
  assert.deepEqual(values(build(1)), values(build(1)));
  assert.notDeepEqual(values(build(1)), values(build(5)));
  // Without an rng the layers draw from the global generator, reproducibly after manualSeed.
  manualSeed(42);
  const a = new nn.DepthwiseConv2d({ channels: 4, kernelSize: 3 }).weight.toArray();
  manualSeed(42);
  assert.deepEqual(new nn.DepthwiseConv2d({ channels: 4, kernelSize: 3 }).weight.toArray(), a);
});

test('layers use PyTorch defaults: weight and bias in U(±1/sqrt(fanIn))', () => {
  const rng = new Random(3);
  const layers: [nn.Module & { weight: Tensor; bias: Tensor | null }, number][] = [
    [new nn.Conv2d({ inChannels: 16, outChannels: 32, kernelSize: 3, rng }), 144],
    [new nn.Conv2d({ inChannels: 16, outChannels: 32, kernelSize: 3, groups: 4, rng }), 36],
    [new nn.DepthwiseConv2d({ channels: 64, kernelSize: 5, depthMultiplier: 2, rng }), 25],
    [new nn.PointwiseConv2d({ inChannels: 64, outChannels: 64, rng }), 64],
    [new nn.Linear({ inFeatures: 100, outFeatures: 50, rng }), 100],
  ];
  for (const [layer, fan] of layers) {
    const bound = 1 / Math.sqrt(fan);
    for (const t of [layer.weight, layer.bias!]) {
      const s = stats(t);
      assert.ok(s.min >= -bound && s.max <= bound, `${layer.constructor.name} ${t.name} within ±${bound}`);
      assert.ok(s.max - s.min > bound, `${layer.constructor.name} ${t.name} spreads over the range`);
    }
  }
  // pytorchDefault is kaiming-uniform with a = sqrt(5).
  const a = Tensor.zeros([3, 3, 8, 8]);
  init.pytorchDefault(a, null, new Random(9));
  const b = init.kaimingUniform(Tensor.zeros([3, 3, 8, 8]), { a: Math.sqrt(5), rng: new Random(9) });
  assertClose(a.data, b.data, { rtol: 1e-6, atol: 0 });
});

test('kaimingNormal, kaimingUniform and xavierUniform have the documented spread', () => {
  const shape = [3, 3, 64, 128];
  const kn = stats(init.kaimingNormal(Tensor.zeros(shape), { mode: 'fanOut', nonlinearity: 'relu', rng: new Random(1) }));
  assert.ok(Math.abs(kn.std / Math.sqrt(2 / (9 * 128)) - 1) < 0.02, `kaimingNormal fanOut std ${kn.std}`);
  assert.ok(Math.abs(kn.mean) < 0.002);
  const kin = stats(init.kaimingNormal(Tensor.zeros(shape), { rng: new Random(2) }));
  assert.ok(Math.abs(kin.std / Math.sqrt(2 / (9 * 64)) - 1) < 0.02, `kaimingNormal fanIn std ${kin.std}`);
  const ku = stats(init.kaimingUniform(Tensor.zeros(shape), { rng: new Random(3) }));
  const kuBound = Math.sqrt(6 / (9 * 64));
  assert.ok(ku.min >= -kuBound && ku.max <= kuBound && ku.max > 0.99 * kuBound);
  const xu = stats(init.xavierUniform(Tensor.zeros([200, 100]), { rng: new Random(4) }));
  const xuBound = Math.sqrt(6 / 300);
  assert.ok(xu.min >= -xuBound && xu.max <= xuBound && xu.max > 0.99 * xuBound);
  const n = stats(init.normal(Tensor.zeros([10000]), 1, 0.01, new Random(5)));
  assert.ok(Math.abs(n.mean - 1) < 0.001 && Math.abs(n.std - 0.01) < 0.001);
  assert.deepEqual(init.ones(Tensor.zeros([3])).toArray(), [1, 1, 1]);
  assert.deepEqual(init.zeros(Tensor.full([2], 5)).toArray(), [0, 0]);
});
