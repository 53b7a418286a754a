/**
 * Parameter and multiply-add counts of the reference networks at 1000 classes.
 *
 * Parameter conventions: Keras' "Total params" (MobileNet, MobileNetV2, Xception) counts the BatchNorm moving
 * mean and variance as (non-trainable) params, so it equals sepconv's parameters + running_mean + running_var;
 * Keras' "Trainable params" equals `numParameters()`. torchvision (MobileNetV3, EfficientNet, ResNet) counts
 * parameters only, i.e. `numParameters()`.
 *
 * MAC conventions (`analyse(...).totals.macs`): one multiply-add per weight tap of every convolution (standard,
 * depthwise, pointwise, including the squeeze-and-excitation 1x1 convs on the pooled vector) and linear layer,
 * bias excluded; batch norm, activations, pooling, residual adds and the SE multiply are elementwise ops, not MACs.
 * That is the papers' "mult-adds": V1 568.7M (paper 569M), V2 300.8M (300M), V3-Large 216.6M and V3-Small 56.5M
 * (paper 219M / 56M, torchvision 0.22 / 0.06 GFLOPS), B0 385.8M (0.39B). Leaving out the SE convs gives
 * 215.1M, 56.1M and 385.2M, still within 2% of the published figures.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from '../../src/cost/analyse.js';
import type { Module } from '../../src/nn/module.js';
import { SqueezeExcite } from '../../src/nn/squeeze_excite.js';
import { resnetStyle } from '../../src/models/baselines.js';
import { efficientnet } from '../../src/models/efficientnet.js';
import { mobilenetV1 } from '../../src/models/mobilenet_v1.js';
import { mobilenetV2 } from '../../src/models/mobilenet_v2.js';
import { mobilenetV3Large, mobilenetV3Small } from '../../src/models/mobilenet_v3.js';
import { xception } from '../../src/models/xception.js';
import { kerasTotalParams } from './helpers.js';

test('Keras totals: MobileNet 1.0-224, MobileNetV2 1.0-224, Xception (parameters + BN moving statistics)', () => {
  const v1 = mobilenetV1();
  assert.equal(kerasTotalParams(v1), 4_253_864);
  assert.equal(v1.numParameters(), 4_231_976); // Keras' trainable params
  const v2 = mobilenetV2();
  assert.equal(kerasTotalParams(v2), 3_538_984);
  assert.equal(v2.numParameters(), 3_504_872);
  const x = xception();
  assert.equal(kerasTotalParams(x), 22_910_480);
  assert.equal(x.numParameters(), 22_855_952);
});

test('torchvision parameter counts: MobileNetV3 Large/Small, EfficientNet B0-B3, ResNet-18', () => {
  assert.equal(mobilenetV3Large().numParameters(), 5_483_032);
  assert.equal(mobilenetV3Small().numParameters(), 2_542_856);
  assert.equal(efficientnet('b0').numParameters(), 5_288_548);
  assert.equal(efficientnet('b1').numParameters(), 7_794_184);
  assert.equal(efficientnet('b2').numParameters(), 9_109_994);
  assert.equal(efficientnet('b3').numParameters(), 12_233_232);
  assert.equal(resnetStyle().numParameters(), 11_689_512);
});

/** Within `tolerance` (relative) of the published figure. */
function assertNear(actual: number, published: number, tolerance: number, what: string): void {
  const error = Math.abs(actual - published) / published;
  assert.ok(error <= tolerance, `${what}: ${actual} is ${(100 * error).toFixed(2)}% from the published ${published}`);
}

/** MACs of the squeeze-and-excitation convs (the layers under an SE module). */
function seMacs(model: Module, report: ReturnType<typeof analyse>): number {
  const seScopes = model.namedModules().filter(([, m]) => m instanceof SqueezeExcite).map(([path]) => path);
  return report.layers.filter((l) => seScopes.some((s) => l.name.startsWith(`${s}.`))).reduce((n, l) => n + l.macs, 0);
}

test('multiply-adds at 224x224 within 2% of the published figures', () => {
  const cases: [string, Module, number][] = [
    ['MobileNet V1', mobilenetV1(), 569e6],
    ['MobileNet V2', mobilenetV2(), 300e6],
    ['MobileNet V3 Large', mobilenetV3Large(), 219e6],
    ['MobileNet V3 Small', mobilenetV3Small(), 56e6],
    ['EfficientNet B0', efficientnet('b0'), 390e6],
  ];
  for (const [name, model, published] of cases) {
    const report = analyse(model, [224, 224, 3]);
    assert.deepEqual(report.output, [1, 1000], name);
    assertNear(report.totals.macs, published, 0.02, name);
    assertNear(report.totals.macs - seMacs(model, report), published, 0.02, `${name} without SE convs`);
  }
  assert.equal(analyse(mobilenetV1(), [224, 224, 3]).totals.macs, 568_740_352);
  assert.equal(analyse(mobilenetV2(), [224, 224, 3]).totals.macs, 300_774_272);
});

test('Xception at 299x299 ends in a 10x10x2048 map (8.36G multiply-adds)', () => {
  const report = analyse(xception(), [299, 299, 3]);
  assert.deepEqual(report.layers.find((l) => l.name === 'block14.sepconv2_act')?.outputShape, [1, 10, 10, 2048]);
  assert.equal(report.totals.macs, 8_357_403_496);
});
