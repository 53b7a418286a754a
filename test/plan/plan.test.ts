/**
 * The plan as an object: memory is fixed after compile (runs reuse it and return the same result), the report
 * says what was fused and what runs eagerly, ops without a fused kernel still give the eager answer, and bad
 * arguments give typed errors.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { efficientnet } from '../../src/models/efficientnet.js';
import { mobilenetV2 } from '../../src/models/mobilenet_v2.js';
import { mobilenetV3Small } from '../../src/models/mobilenet_v3.js';
import { Sequential } from '../../src/nn/containers.js';
import { Conv2d } from '../../src/nn/conv.js';
import { add, mulScalar } from '../../src/ops/elementwise.js';
import { conv2d } from '../../src/ops/conv.js';
import { globalAvgPool2d } from '../../src/ops/pool.js';
import { softmax } from '../../src/ops/softmax.js';
import { compile } from '../../src/plan/compile.js';
import { record } from '../../src/tensor/autograd.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { nativeSkip } from '../backend/native/harness.js';
import { Fn, checkPlan, randomInput, randomizeBatchNorms, weight } from './helpers.js';

const smallMobileNet = () => {
  const model = mobilenetV2({ alpha: 0.35, numClasses: 10, rng: new Random(1) });
  randomizeBatchNorms(model, 2);
  return model;
};

test('runs reuse the planned memory: the wasm memory does not grow and results repeat exactly', async () => {
  const model = smallMobileNet();
  const plan = await compile(model, [2, 48, 48, 3], { backend: 'wasm' });
  const x = randomInput([2, 48, 48, 3], 3);
  const first = plan.run(x).data.slice();
  const bytes = plan.memoryBytes;
  assert.ok(bytes > 0);
  const out = new Float32Array(20);
  for (let i = 0; i < 3; i++) {
    const y = plan.run(x, out);
    assert.equal(y.data, out, 'the result is written into out');
    assert.deepEqual(out, first);
    assert.equal(plan.memoryBytes, bytes);
  }
  // A different input in between does not leak into the next run.
  plan.run(randomInput([2, 48, 48, 3], 4));
  assert.deepEqual(plan.run(x).data, first);
  checkPlan(plan, model, x, 'mobilenet_v2 0.35');
});

test('activations share memory by lifetime; the report gives memory, steps and fusions', async () => {
  const plan = await compile(smallMobileNet(), [1, 64, 64, 3], { backend: 'wasm' });
  const r = plan.report;
  assert.equal(r.backend, 'wasm');
  assert.deepEqual(r.inputShape, [1, 64, 64, 3]);
  assert.deepEqual(r.outputShape, [1, 10]);
  assert.ok(r.memory.activationBytes < r.memory.unsharedActivationBytes / 2, JSON.stringify(r.memory));
  assert.ok(r.memory.weightBytes > 0 && r.memory.totalBytes >= r.memory.activationBytes + r.memory.weightBytes);
  assert.equal(r.counts.depthwisePointwise, 17);
  assert.equal(r.counts.residual, 10);
  assert.equal(r.counts.batchNorm, 52);
  assert.equal(r.fallbacks.length, 0);
  assert.ok(r.steps.some((s) => s.kind === 'dwpw' && s.fused.includes('depthwise -> pointwise')));
  // Weights are named by their state-dict keys: the stem conv holds its own and its batch norm's.
  assert.deepEqual(r.steps[0].weights, ['Conv1.weight', 'bn_Conv1.weight', 'bn_Conv1.bias', 'bn_Conv1.running_mean', 'bn_Conv1.running_var']);
  assert.deepEqual(r.steps[0].fused, ["batchNorm 'bn_Conv1'", "relu6 'Conv1_relu'"]);
  const text = plan.summary();
  assert.match(text, /^plan on wasm: \[1, 64, 64, 3\] -> \[1, 10\], \d+ steps/);
  assert.match(text, /fusions: batchNorm 52, activation \d+, depthwisePointwise 17, squeezeExcite 0, residual 10/);
});

test('ops without a fused kernel run eagerly inside the plan, noted in the report', async () => {
  const conv = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, rng: new Random(5) });
  const bias = weight([4], 6);
  const model = new Fn((x) => softmax(add(globalAvgPool2d(conv.call(x)), bias), -1), { conv });
  for (const backend of ['wasm', 'js']) {
    const plan = await compile(model, [3, 8, 8, 3], { backend });
    assert.deepEqual(plan.report.fallbacks.map((f) => f.op), ['add', 'softmax']);
    assert.match(plan.report.fallbacks[0].reason, /broadcasting or a constant operand/);
    assert.match(plan.summary(), /eager: softmax/);
    checkPlan(plan, model, randomInput([3, 8, 8, 3], 7), `eager steps on ${backend}`);
  }
});

test('a weight computed from constants in the forward pass is folded at compile time', async () => {
  const w = weight([3, 3, 3, 5], 8);
  const model = new Fn((x) => conv2d(x, mulScalar(w, 0.5), null, { padding: 'same' }));
  const plan = await compile(model, [1, 6, 6, 3], { backend: 'wasm' });
  assert.deepEqual(plan.report.steps.map((s) => s.kind), ['conv']);
  checkPlan(plan, model, randomInput([1, 6, 6, 3], 9), 'folded weight');
});

test('an op the plan cannot re-run makes the whole model run eagerly, with the reason', async () => {
  const custom = (x: Tensor): Tensor => {
    const y = x.data.map((v) => v * v * v);
    return record(new Tensor(y, x.shape), 'cube', [x], (g) => [g.map((d, i) => 3 * x.data[i] ** 2 * d)]);
  };
  const model = new Sequential(new Conv2d({ inChannels: 2, outChannels: 3, kernelSize: 1, rng: new Random(10) }), new Fn(custom));
  const plan = await compile(model, [2, 4, 4, 2], { backend: 'wasm' });
  assert.deepEqual(plan.report.steps.map((s) => s.kind), ['eager']);
  assert.equal(plan.report.fallbacks.length, 1);
  assert.match(plan.report.fallbacks[0].reason, /whole model runs eagerly: sepconv cannot re-run this op/);
  assert.equal(plan.report.fallbacks[0].op, 'cube');
  checkPlan(plan, model, randomInput([2, 4, 4, 2], 11), 'whole-model fallback');
});

test('compile restores the model\'s training flags', async () => {
  const model = smallMobileNet().train();
  await compile(model, [1, 32, 32, 3], { backend: 'js' });
  assert.ok(model.modules().every((m) => m.training));
});

test('bad arguments give typed errors naming the fix', async () => {
  const model = smallMobileNet();
  await assert.rejects(compile(model, [32, 32, 3]), (e: unknown) => e instanceof ArgumentError && /\[N, H, W, C\]/.test(e.message));
  await assert.rejects(compile(model, [1, 32, 32, 3], { backend: 'gpu' }),
    (e: unknown) => e instanceof ArgumentError && /no plan executor for backend 'gpu'; available: js, wasm/.test(e.message));
  await assert.rejects(compile(model, [1, 32, 32, 4]), (e: unknown) => e instanceof ShapeError);
  const plan = await compile(model, [1, 32, 32, 3], { backend: 'js' });
  assert.throws(() => plan.run(randomInput([2, 32, 32, 3], 1)),
    (e: unknown) => e instanceof ShapeError && /compiled for input \[1, 32, 32, 3\], got \[2, 32, 32, 3\]/.test(e.message));
  assert.throws(() => plan.run(new Float32Array(5)), (e: unknown) => e instanceof ShapeError && /got 5 values/.test(e.message));
  assert.throws(() => plan.run(randomInput([1, 32, 32, 3], 1), new Float32Array(3)), ShapeError);
});

test('threaded wasm plans (2 threads) give exactly the single-thread results and keep their memory fixed', async () => {
  for (const build of [() => mobilenetV3Small({ numClasses: 10, rng: new Random(3) }), () => efficientnet('b0', { numClasses: 10, rng: new Random(4) })]) {
    const model = build();
    randomizeBatchNorms(model, 5);
    const x = randomInput([3, 64, 64, 3], 6);
    const one = await compile(model, [3, 64, 64, 3], { backend: 'wasm' });
    const two = await compile(model, [3, 64, 64, 3], { backend: 'wasm', threads: 2 });
    try {
      assert.equal(two.threads, 2);
      assert.match(two.summary(), /plan on wasm \(2 threads\)/);
      const expected = one.run(x).data;
      const bytes = two.memoryBytes;
      for (let i = 0; i < 3; i++) assert.deepEqual(two.run(x).data, expected);
      assert.equal(two.memoryBytes, bytes);
    } finally {
      two.dispose();
    }
  }
  await assert.rejects(compile(smallMobileNet(), [1, 32, 32, 3], { backend: 'js', threads: 2 }),
    (e: unknown) => e instanceof ArgumentError && /js backend runs plans on one thread/.test(e.message));
});

test('execute() runs on the plan\'s own input buffer and leaves the result in outputData, with no copies', async () => {
  const model = smallMobileNet();
  for (const backend of ['wasm', 'js', ...(nativeSkip === undefined ? ['native'] : [])]) {
    const plan = await compile(model, [1, 32, 32, 3], { backend });
    const x = randomInput([1, 32, 32, 3], 8);
    const expected = plan.run(x).data;
    plan.inputData.set(randomInput([1, 32, 32, 3], 9).data);
    plan.execute();
    assert.notDeepEqual(plan.outputData, expected);
    plan.inputData.set(x.data);
    plan.execute();
    assert.deepEqual(plan.outputData, expected, backend);
    assert.equal(plan.inputData.length, 32 * 32 * 3);
  }
});
