/**
 * The native plan executor: MobileNetV1/V2/V3-Small and EfficientNet-B0 plans run in the addon agree with eager
 * execution at batch 1 and 2 on 1 and 2 threads; the arena is fixed after load, input and output are views on it,
 * eager fallbacks still run between native segments, a disposed plan refuses to run, and profile() times each
 * step. Skipped when the addon is not built.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { buildModel } from '../../src/models/index.js';
import { conv2d } from '../../src/ops/conv.js';
import { relu } from '../../src/ops/activation.js';
import { softmax } from '../../src/ops/softmax.js';
import { compile } from '../../src/plan/compile.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { loadNativeAddon } from '../../src/backend/native/load.js';
import { nativeSkip } from '../backend/native/harness.js';
import { Fn, assertMatches, checkPlan, eagerReference, randomInput, randomizeBatchNorms, weight } from './helpers.js';

const options = { skip: nativeSkip };

for (const name of ['mobilenet_v1', 'mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0'])
  test(`${name}: the native plan equals eager execution (batch 1 and 2, 1 and 2 threads)`, options, async () => {
    const model = buildModel(name, { rng: new Random(11), numClasses: 10 });
    randomizeBatchNorms(model, 12);
    const x = randomInput([2, 48, 48, 3], 13);
    const expected = eagerReference(model, x);
    const first = new Tensor(x.data.slice(0, x.size / 2), [1, 48, 48, 3]);
    for (const threads of [1, 2]) {
      const plan2 = await compile(model, x.shape, { backend: 'native', threads });
      const plan1 = await compile(model, first.shape, { backend: 'native', threads });
      try {
        assert.equal(plan2.report.fallbacks.length, 0, JSON.stringify(plan2.report.fallbacks));
        assert.equal(plan2.threads, threads);
        assertMatches(plan2.run(x).data, expected, `${name} batch 2, ${threads} threads`);
        assertMatches(plan1.run(first).data, expected.slice(0, expected.length / 2), `${name} batch 1, ${threads} threads`);
      } finally {
        plan1.dispose();
        plan2.dispose();
      }
    }
  });

test('a native plan keeps its memory fixed, runs on views of it, and repeats its results exactly', options, async () => {
  const model = buildModel('mobilenet_v2', { rng: new Random(1), numClasses: 10, alpha: 0.35 });
  randomizeBatchNorms(model, 2);
  const plan = await compile(model, [1, 32, 32, 3], { backend: 'native', threads: 2 });
  const x = randomInput([1, 32, 32, 3], 3);
  const first = plan.run(x).data.slice();
  const bytes = plan.memoryBytes;
  assert.ok(bytes > plan.report.memory.weightBytes);
  assert.equal(plan.inputData.buffer, plan.outputData.buffer, 'input and output live in the one arena');
  for (let i = 0; i < 3; i++) assert.deepEqual(plan.run(x).data, first);
  plan.inputData.set(randomInput([1, 32, 32, 3], 4).data);
  plan.execute();
  assert.notDeepEqual(plan.outputData, first);
  assert.deepEqual(plan.run(x).data, first);
  assert.equal(plan.memoryBytes, bytes);
  assert.match(plan.summary(), /plan on native \(2 threads\)/);
  plan.dispose();
  assert.throws(() => plan.execute(), (e: unknown) => e instanceof ArgumentError && /disposed/.test(e.message));
  assert.equal(plan.inputData.length, 0, 'the arena is released');
  await assert.rejects(compile(model, [1, 32, 32, 3], { backend: 'native', threads: 300 }),
    (e: unknown) => e instanceof ArgumentError && /1 to 256 threads, got 300/.test(e.message));
});

test('an op without a fused kernel runs eagerly between native segments', options, async () => {
  const w1 = weight([3, 3, 3, 8], 1), w2 = weight([1, 1, 8, 4], 2);
  const model = new Fn((x) => conv2d(softmax(relu(conv2d(x, w1, null, { padding: 'same' })), 3), w2, null));
  const plan = await compile(model, [2, 6, 6, 3], { backend: 'native', threads: 2, minSplitWork: 0 });
  assert.deepEqual(plan.report.fallbacks.map((f) => f.op), ['softmax']);
  checkPlan(plan, model, randomInput([2, 6, 6, 3], 5), 'conv -> softmax -> conv');
});

test('profile() times every step that runs, eager ones included, and refuses bad runs and other backends', options, async () => {
  const w1 = weight([3, 3, 3, 8], 1), w2 = weight([1, 1, 8, 4], 2);
  const model = new Fn((x) => conv2d(softmax(relu(conv2d(x, w1, null, { padding: 'same' })), 3), w2, null));
  const plan = await compile(model, [1, 6, 6, 3], { backend: 'native', threads: 2, minSplitWork: 0 });
  plan.inputData.set(randomInput([1, 6, 6, 3], 6).data);
  const steps = plan.profile(3);
  assert.deepEqual(steps.map((s) => s.kind), ['conv', 'eager', 'gemm']);
  assert.deepEqual(steps.map((s) => s.step), [0, 1, 2]);
  for (const s of steps) {
    assert.equal(s.kind, plan.report.steps[s.step].kind);
    assert.equal(s.scope, plan.report.steps[s.step].scope);
    assert.ok(Number.isFinite(s.medianMs) && s.medianMs >= 0, `${s.kind}: ${s.medianMs}`);
  }
  assert.deepEqual(steps.map((s) => s.outputShape), [[1, 6, 6, 8], [1, 6, 6, 8], [1, 6, 6, 4]]);
  assert.deepEqual(steps.map((s) => s.multiplyAdds), [36 * 8 * 27, 0, 36 * 4 * 8]);
  assert.throws(() => plan.profile(0), (e: unknown) => e instanceof ArgumentError && /runs must be a positive integer, got 0/.test(e.message));
  plan.dispose();
  assert.throws(() => plan.profile(), (e: unknown) => e instanceof ArgumentError && /disposed/.test(e.message));
  const js = await compile(model, [1, 6, 6, 3], { backend: 'js' });
  assert.throws(() => js.profile(), (e: unknown) => e instanceof ArgumentError && /plans on 'js' cannot time their steps/.test(e.message));
});

test('the addon refuses malformed plan programs and offsets outside the arena instead of running them', options, async () => {
  const addon = await loadNativeAddon();
  const isa = addon.isas().indexOf(addon.isa());
  const arena = addon.planArena(1024);
  // One phase, one part at index 3 holding one call: fused add (call 4) of 4 floats at offsets 64 and 128 into 192.
  const program = (call: number[], start = 3): Int32Array => Int32Array.of(1, 1, start, 1, call.length, ...call);
  const add = [4, 64, 128, 192, 4, 0];
  addon.planRun(arena, isa, program(add), 1);
  const refused = (p: Int32Array, what: RegExp): void =>
    assert.throws(() => addon.planRun(arena, isa, p, 1), (e: Error) => /planRun/.test(e.message) && what.test(e.message));
  refused(program([4, 1 << 20, 128, 192, 4, 0]), /offset outside the arena/);
  refused(program([4, 64, 128, -8, 4, 0]), /offset outside the arena/);
  refused(program([4, 64, 128, 192, 4]), /malformed program/);
  refused(program([99, 64, 128, 192, 4, 0]), /malformed program/);
  refused(program(add, 100), /malformed program/);
  refused(Int32Array.of(2, 1, 3), /malformed program/);
  assert.throws(() => addon.planCall(arena, isa, Int32Array.of(12, 1 << 20, 0, 1, 1)), /planCall.*offset outside the arena/);
  addon.planRelease(arena);
});

