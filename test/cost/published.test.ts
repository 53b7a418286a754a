import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from '../../src/cost/analyse.js';
import { buildModel, defaultResolution, modelNames } from '../../src/models/index.js';

/**
 * totals.macs (conv + linear multiply-adds) against the papers' multiply-add counts, and totals.params against the
 * exact torchvision / Keras parameter counts. The tolerance is the rounding of the published figure, except for
 * MobileNetV3-Large, whose paper reports 219M where conv + linear give 216.6M (see docs/cost.md).
 */
const PUBLISHED: [name: string, alpha: number, side: number, macsMillions: number, tolerance: number, params: number][] = [
  ['mobilenet_v1', 1, 224, 569, 0.5, 4_231_976],
  ['mobilenet_v1', 0.5, 160, 76, 1, 1_331_592],
  ['mobilenet_v2', 1, 224, 300, 1, 3_504_872],
  ['mobilenet_v3_large', 1, 224, 219, 2.5, 5_483_032],
  ['mobilenet_v3_small', 1, 224, 56, 1, 2_542_856],
  ['efficientnet_b0', 1, 224, 390, 5, 5_288_548],
  ['efficientnet_b1', 1, 240, 700, 15, 7_794_184],
  ['efficientnet_b2', 1, 260, 1000, 50, 9_109_994],
  ['efficientnet_b3', 1, 300, 1800, 50, 12_233_232],
];

test('totals.macs reproduces the published multiply-adds and totals.params the reference parameter counts', () => {
  for (const [name, alpha, side, macs, tolerance, params] of PUBLISHED) {
    const model = buildModel(name, { alpha });
    const r = analyse(model, [side, side, 3]);
    const what = `${name} alpha ${alpha} at ${side}: ${r.totals.macs / 1e6}M MACs`;
    assert.ok(Math.abs(r.totals.macs / 1e6 - macs) <= tolerance, what);
    assert.equal(r.totals.params, params, what);
    assert.equal(r.totals.flops, 2 * r.totals.macs);
  }
});

test('for every registered model, totals.params equals the model parameter count and no parameter goes unused', () => {
  for (const name of modelNames) {
    const model = buildModel(name);
    const side = defaultResolution[name];
    const r = analyse(model, [side, side, name === 'small_cnn' ? 1 : 3]);
    assert.equal(r.totals.params, model.numParameters(), name);
    assert.deepEqual(r.unusedParameters, [], name);
    assert.equal(r.layers.reduce((s, l) => s + l.macs, 0), r.totals.macs, name);
    assert.ok(r.totals.byKind.depthwise.macs > 0 || ['vgg_style', 'resnet_style', 'small_cnn'].includes(name), name);
  }
});
