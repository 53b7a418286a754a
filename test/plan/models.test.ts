/**
 * Compiled plans agree with eager execution for every model builder (batch 1 and 3, small resolutions), a
 * separabilized CNN and imported ONNX models, on the wasm and js executors (and native, when the addon is built).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportOnnx, importOnnx } from '../../src/io/onnx/index.js';
import { buildModel, modelNames, separabilize, smallCnn } from '../../src/models/index.js';
import { compile } from '../../src/plan/compile.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { nativeSkip } from '../backend/native/harness.js';
import { assertMatches, checkPlan, eagerReference, randomInput, randomizeBatchNorms } from './helpers.js';

/** Builders at the smallest sizes that keep every stage non-empty, and narrow where they have a width. */
const SIZES: Readonly<Record<string, number>> = { xception: 71, small_cnn: 28, mobilenet_v2_cifar: 32 };
const ALPHA: Readonly<Record<string, number>> = { vgg_style: 0.25, resnet_style: 0.25 };
/** EfficientNet B1-B3 differ from B0 only in depth and width; B0 covers their ops. */
const SKIP = new Set(['efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3']);
/** Too slow for the js executor in a unit test (its eager reference is run anyway). */
const WASM_ONLY = new Set(['xception']);

for (const name of modelNames.filter((n) => !SKIP.has(n))) {
  test(`${name}: the compiled plan equals eager execution (batch 1 and 3)`, async () => {
    const size = SIZES[name] ?? 64;
    const channels = name === 'small_cnn' ? 1 : 3;
    const model = buildModel(name, { rng: new Random(7), numClasses: 10, alpha: ALPHA[name] });
    randomizeBatchNorms(model, 8);
    // Images are independent in eval mode: batch 1 is checked against the first image of the batch-3 reference.
    const x = randomInput([3, size, size, channels], 3);
    const expected = eagerReference(model, x);
    const first = new Tensor(x.data.slice(0, x.size / 3), [1, size, size, channels]);
    const backends = [...(WASM_ONLY.has(name) ? ['wasm'] : ['wasm', 'js']), ...(nativeSkip === undefined ? ['native'] : [])];
    for (const backend of backends) {
      const plan3 = await compile(model, x.shape, { backend });
      assert.equal(plan3.report.fallbacks.length, 0, `${name}: ${JSON.stringify(plan3.report.fallbacks)}`);
      assertMatches(plan3.run(x).data, expected, `${name} ${backend} batch 3`);
      const plan1 = await compile(model, first.shape, { backend });
      assertMatches(plan1.run(first).data, expected.slice(0, expected.length / 3), `${name} ${backend} batch 1`);
    }
  });
}

test('a separabilized small CNN compiles to depthwise -> pointwise steps and equals eager', async () => {
  const { model } = separabilize(smallCnn({ width: 8, rng: new Random(1) }), { batchNorm: true, activation: 'relu', rng: new Random(2) });
  randomizeBatchNorms(model, 3);
  const plan = await compile(model, [3, 28, 28, 1], { backend: 'wasm' });
  assert.ok(plan.report.counts.depthwisePointwise >= 2, JSON.stringify(plan.report.counts));
  checkPlan(plan, model, randomInput([3, 28, 28, 1], 4), 'separabilized small_cnn');
});

test('a BSConv-U separabilized small CNN (pointwise -> BN -> depthwise) compiles and equals eager, also after an ONNX round trip', async () => {
  const { model } = separabilize(smallCnn({ width: 8, rng: new Random(1) }), { order: 'pointwise-first', batchNorm: true, depthwiseKernelSize: 5, rng: new Random(2) });
  randomizeBatchNorms(model, 3);
  const x = randomInput([3, 28, 28, 1], 4);
  const plan = await compile(model, [3, 28, 28, 1], { backend: 'wasm' });
  assert.equal(plan.report.fallbacks.length, 0, JSON.stringify(plan.report.fallbacks));
  checkPlan(plan, model, x, 'BSConv small_cnn');
  const imported = importOnnx(exportOnnx(model, [3, 28, 28, 1]));
  assertMatches(eagerReference(imported, x), eagerReference(model, x), 'BSConv small_cnn through ONNX');
});

for (const [name, opset] of [['mobilenet_v2', 13], ['mobilenet_v3_small', 11], ['efficientnet_b0', 13]] as const) {
  test(`an imported ONNX ${name} (opset ${opset}) plans like the native model and equals eager`, async () => {
    const source = buildModel(name, { rng: new Random(5), numClasses: 10 });
    randomizeBatchNorms(source, 6);
    for (const batch of [1, 3]) {
      const model = importOnnx(exportOnnx(source, [batch, 64, 64, 3], { opset }));
      const plan = await compile(model, [batch, 64, 64, 3], { backend: 'wasm' });
      assert.equal(plan.report.fallbacks.length, 0, JSON.stringify(plan.report.fallbacks));
      assert.ok(plan.report.counts.batchNorm > 0 && plan.report.counts.activation > 0);
      checkPlan(plan, model, randomInput([batch, 64, 64, 3], 9), `onnx ${name} batch ${batch}`);
    }
  });
}
