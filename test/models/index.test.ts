import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError } from '../../src/errors.js';
import { Conv2d, PointwiseConv2d } from '../../src/nn/conv.js';
import { Linear } from '../../src/nn/linear.js';
import { buildModel, defaultResolution, modelNames } from '../../src/models/index.js';
import { MobileNetV1 } from '../../src/models/mobilenet_v1.js';
import { SmallCnn } from '../../src/models/baselines.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { traceOps } from '../../src/tensor/trace.js';

test('mobilenet_v2_cifar keeps stride 8 for small images and trains BN with momentum 0.1', () => {
  const m = buildModel('mobilenet_v2_cifar', { numClasses: 10, width: 0.5, inputChannels: 1, resolution: 28 });
  const out = new Map<string, readonly number[]>();
  traceOps((e) => { if (e.op === 'depthwiseConv2d') out.set(e.scope, e.output.shape); }, () => m.call(Tensor.zeros([1, 28, 28, 1])));
  assert.deepEqual([...out.values()].at(-1), [1, 4, 4, 480]);
  assert.throws(() => buildModel('mobilenet_v2_cifar', { resolution: 4 }), /resolution must be an integer >= 8/);
});

test('the registry lists every builder with its default resolution', () => {
  assert.deepEqual([...modelNames], [
    'mobilenet_v1', 'mobilenet_v2', 'mobilenet_v2_cifar', 'mobilenet_v3_large', 'mobilenet_v3_small',
    'efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3', 'xception',
    'vgg_style', 'resnet_style', 'small_cnn',
  ]);
  assert.deepEqual(defaultResolution, {
    mobilenet_v1: 224, mobilenet_v2: 224, mobilenet_v2_cifar: 32, mobilenet_v3_large: 224, mobilenet_v3_small: 224,
    efficientnet_b0: 224, efficientnet_b1: 240, efficientnet_b2: 260, efficientnet_b3: 300, xception: 299,
    vgg_style: 224, resnet_style: 224, small_cnn: 28,
  });
});

/** Input channels of the first convolution and output features of the last linear layer. */
function io(name: string, options: Parameters<typeof buildModel>[1]): [number, number] {
  const modules = buildModel(name, options).modules();
  const first = modules.find((m) => m instanceof Conv2d) as Conv2d;
  const last = modules.filter((m) => m instanceof Linear).at(-1) as Linear;
  return [first.inChannels, last.outFeatures];
}

test('buildModel passes numClasses, input channels, width and resolution on', () => {
  for (const name of modelNames) assert.deepEqual(io(name, { numClasses: 3, inputChannels: 2 }), [2, 3], name);
  assert.deepEqual(io('small_cnn', { inChannels: 4 }), [4, 10]);
  const v1 = buildModel('mobilenet_v1', { alpha: 0.5, resolution: 160, rng: new Random(0) });
  assert.ok(v1 instanceof MobileNetV1);
  assert.deepEqual([v1.alpha, v1.resolution], [0.5, 160]);
  // alpha scales the baselines' first-stage channels (32 for small_cnn); width is the builder's own unit.
  const channels = (m: ReturnType<typeof buildModel>): number => (m.modules().find((x) => x instanceof Conv2d) as Conv2d).outChannels;
  assert.equal(channels(buildModel('small_cnn', { alpha: 0.5 })), 16);
  assert.equal(channels(buildModel('small_cnn', { width: 12 })), 12);
  assert.ok(buildModel('small_cnn') instanceof SmallCnn);
  const v3 = buildModel('mobilenet_v3_small', { width: 0.75 }).modules().filter((m) => m instanceof PointwiseConv2d) as PointwiseConv2d[];
  assert.equal(v3.at(-1)?.outChannels, 432); // 6 x makeDivisible(96 * 0.75, 8)
  assert.equal(buildModel('xception', { alpha: 1 }).constructor.name, 'Xception'); // the published width is fine
});

test('buildModel rejects unknown names and impossible options with a one-line ArgumentError', () => {
  const rejects = (name: string, options: Parameters<typeof buildModel>[1], pattern: RegExp): void =>
    assert.throws(() => buildModel(name, options), (e) => e instanceof ArgumentError && pattern.test(e.message) && !e.message.includes('\n'),
      `${name} ${JSON.stringify(options)}`);
  rejects('mobilenet_v4', {}, /unknown model 'mobilenet_v4'; accepted: mobilenet_v1, .*small_cnn/);
  rejects('mobilenet_v1', { alpha: 0 }, /alpha must be a number > 0/);
  rejects('mobilenet_v2', { alpha: -0.5 }, /alpha must be a number > 0/);
  rejects('mobilenet_v3_large', { width: Number.NaN }, /width must be a number > 0/);
  rejects('efficientnet_b0', { numClasses: 0 }, /numClasses must be an integer >= 1/);
  rejects('vgg_style', { numClasses: 2.5 }, /numClasses/);
  rejects('mobilenet_v1', { resolution: 16 }, /resolution must be an integer >= 32/);
  rejects('efficientnet_b3', { resolution: 31 }, /resolution must be an integer >= 32/);
  rejects('xception', { alpha: 0.5 }, /no width setting.*mobilenet_v1/);
  rejects('efficientnet_b1', { width: 1 }, /no width setting/);
  rejects('small_cnn', { alpha: 1, width: 8 }, /not both/);
  rejects('small_cnn', { width: 2.5 }, /width must be an integer/);
  rejects('small_cnn', { resolution: 3 }, /resolution must be an integer >= 4/);
  rejects('mobilenet_v1', { inputChannels: 0 }, /inChannels must be an integer >= 1/);
  rejects('mobilenet_v1', { inputChannels: 1, inChannels: 3 }, /same setting/);
});
