/**
 * TF.js layers models built with @tensorflow/tfjs in the test, saved as model.json + shards, loaded by sepconv and
 * compared with TF.js' own predict() on the same input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from '../../../src/cost/analyse.js';
import { exportOnnx } from '../../../src/io/onnx/export.js';
import { importOnnx } from '../../../src/io/onnx/import.js';
import { loadTfjsModel } from '../../../src/io/tfjs/load.js';
import { BatchNorm2d } from '../../../src/nn/batchnorm.js';
import { DepthwiseConv2d, PointwiseConv2d, SeparableConv2d } from '../../../src/nn/conv.js';
import { Linear } from '../../../src/nn/linear.js';
import { noGrad } from '../../../src/tensor/autograd.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers/close.js';
import { randomValues, randomizeWeights, saveLayersModel, tf, type SavedModel } from './tfjs_fixtures.js';

/** TF.js' output for `x` (NHWC). */
function tfPredict(model: tf.LayersModel, x: number[], shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}

function sepconvPredict(saved: SavedModel, x: number[], shape: number[]): Tensor {
  const model = loadTfjsModel({ json: saved.json, weights: saved.weights });
  return noGrad(() => model.call(new Tensor(Float32Array.from(x), shape)));
}

/** A MobileNet-like Sequential: every conv kind, BN, ReLU(6), asymmetric zero padding, pools, dense. */
function mobilenetLike(separableMultiplier = 2): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [13, 11, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  m.add(tf.layers.batchNormalization({ epsilon: 1e-3 }));
  m.add(tf.layers.reLU({ maxValue: 6 }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.reLU({ maxValue: 6 }));
  m.add(tf.layers.conv2d({ filters: 12, kernelSize: 1, activation: 'relu' }));
  m.add(tf.layers.zeroPadding2d({ padding: [[0, 1], [1, 0]] }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid' }));
  m.add(tf.layers.reLU());
  m.add(tf.layers.separableConv2d({ filters: 10, kernelSize: 3, depthMultiplier: separableMultiplier, padding: 'same', activation: 'relu6' }));
  m.add(tf.layers.conv2d({ filters: 6, kernelSize: [3, 2], dilationRate: 1, padding: 'valid', activation: 'tanh' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }));
  m.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dropout({ rate: 0.3 }));
  m.add(tf.layers.dense({ units: 5, activation: 'softmax' }));
  randomizeWeights(m, 1);
  return m;
}

test('a MobileNet-like Sequential matches TF.js predict() within 1e-4', async () => {
  const model = mobilenetLike();
  const x = randomValues(2 * 13 * 11 * 3, 7);
  const saved = await saveLayersModel(model, { shardBytes: 700 });
  assert.ok(saved.weights.size > 1, 'weights span several shards');
  const ours = sepconvPredict(saved, x, [2, 13, 11, 3]);
  assert.deepEqual(ours.shape, [2, 5]);
  assertClose(ours.data, tfPredict(model, x, [2, 13, 11, 3]), { rtol: 1e-4, atol: 1e-5 }, 'softmax output');
});

test('layers become real sepconv layers with TF.js weights and the Keras conventions', async () => {
  const saved = await saveLayersModel(mobilenetLike());
  const model = loadTfjsModel({ json: JSON.stringify(saved.json), weights: saved.weights });
  assert.equal(model.format, 'layers-model');
  assert.equal(model.training, false);
  assert.deepEqual(model.inputs[0].shape, [null, 13, 11, 3]);
  const mods = new Map(model.namedModules());
  const kinds = [...mods.values()].map((m) => m.constructor.name);
  for (const k of ['Conv2d', 'BatchNorm2d', 'DepthwiseConv2d', 'PointwiseConv2d', 'SeparableConv2d', 'Linear', 'Dropout'])
    assert.ok(kinds.includes(k), `has a ${k}`);
  const bn = [...mods.values()].find((m) => m instanceof BatchNorm2d) as BatchNorm2d;
  assert.ok(Math.abs(bn.eps - 1e-3) < 1e-9 && Math.abs(bn.momentum! - 0.01) < 1e-9, 'Keras epsilon and momentum (1 - 0.99)');
  const dw = [...mods.values()].find((m) => m instanceof DepthwiseConv2d) as DepthwiseConv2d;
  assert.equal(dw.depthMultiplier, 2);
  assert.ok([...mods.values()].some((m) => m instanceof SeparableConv2d && m.depthwise.depthMultiplier === 2));
  assert.ok([...mods.values()].some((m) => m instanceof PointwiseConv2d));
  const dense = [...mods.values()].find((m) => m instanceof Linear) as Linear;
  assert.deepEqual(dense.weight.shape, [6, 5]);
  // Parameters: TF.js' trainable weights (BN moving statistics are sepconv buffers).
  const tfModel = mobilenetLike();
  const trainable = tfModel.trainableWeights.reduce((s, w) => s + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);
  assert.equal(model.parameters().reduce((s, p) => s + p.size, 0), trainable);
});

test('depthwise channel order c*M + m matches TF.js for depth_multiplier 3', async () => {
  const m = tf.sequential();
  m.add(tf.layers.depthwiseConv2d({ inputShape: [5, 6, 4], kernelSize: [3, 2], depthMultiplier: 3, strides: [1, 2], padding: 'same' }));
  randomizeWeights(m, 3);
  const x = randomValues(5 * 6 * 4, 4);
  assertClose(sepconvPredict(await saveLayersModel(m), x, [1, 5, 6, 4]).data, tfPredict(m, x, [1, 5, 6, 4]), { rtol: 1e-4, atol: 1e-5 }, 'depthwise');
});

/** A functional model: residual Add, an SE-style Multiply, Concatenate, a shared layer, activations of every kind. */
function functionalModel(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 4], name: 'image' });
  const scaled = tf.layers.rescaling({ scale: 1 / 127.5, offset: -1, name: 'rescale' }).apply(input) as tf.SymbolicTensor;
  const stem = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'stem' }).apply(scaled) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(stem) as tf.SymbolicTensor;
  const act = tf.layers.activation({ activation: 'swish', name: 'stem_swish' }).apply(bn) as tf.SymbolicTensor;
  // A depthwise block with a residual connection.
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'block_dw' }).apply(act) as tf.SymbolicTensor;
  const dwAct = tf.layers.leakyReLU({ alpha: 0.1, name: 'block_leaky' }).apply(dw) as tf.SymbolicTensor;
  const res = tf.layers.add({ name: 'block_add' }).apply([act, dwAct]) as tf.SymbolicTensor;
  // Squeeze-and-excitation.
  const squeeze = tf.layers.globalAveragePooling2d({ name: 'se_pool' }).apply(res) as tf.SymbolicTensor;
  const reduce = tf.layers.dense({ units: 4, activation: 'relu', name: 'se_reduce' }).apply(squeeze) as tf.SymbolicTensor;
  const expand = tf.layers.dense({ units: 8, activation: 'hardSigmoid', name: 'se_expand' }).apply(reduce) as tf.SymbolicTensor;
  const gate = tf.layers.reshape({ targetShape: [1, 1, 8], name: 'se_reshape' }).apply(expand) as tf.SymbolicTensor;
  const excited = tf.layers.multiply({ name: 'se_multiply' }).apply([res, gate]) as tf.SymbolicTensor;
  // A layer applied twice (two inbound nodes), then both results concatenated.
  const shared = tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'shared_pw', activation: 'sigmoid' });
  const a = shared.apply(excited) as tf.SymbolicTensor;
  const b = shared.apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'pool' }).apply(excited) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const mixed = tf.layers.average({ name: 'mix' }).apply([a, b]) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'join' }).apply([a, b, mixed]) as tf.SymbolicTensor;
  const pr = tf.layers.prelu({ sharedAxes: [1, 2], name: 'prelu_channel' }).apply(joined) as tf.SymbolicTensor;
  const pr2 = tf.layers.prelu({ name: 'prelu_full' }).apply(pr) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'flat' }).apply(pr2) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 6, name: 'logits' }).apply(flat) as tf.SymbolicTensor;
  const probs = tf.layers.softmax({ name: 'probs' }).apply(logits) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [probs, res], name: 'functional' });
  randomizeWeights(model, 5);
  return model;
}

test('a functional model (residual, SE multiply, shared layer, average, concat, PReLU) matches TF.js, both outputs', async () => {
  const model = functionalModel();
  const x = randomValues(2 * 9 * 9 * 4, 11).map((v) => 127.5 * (v + 1));
  const saved = await saveLayersModel(model, { kerasWrapper: true });
  const ours = loadTfjsModel({ json: saved.json, weights: saved.weights });
  assert.deepEqual(ours.inputs, [{ name: 'image', shape: [null, 9, 9, 4] }]);
  assert.deepEqual(ours.outputs.map((o) => o.name), ['probs', 'block_add']);
  const out = noGrad(() => ours.run({ image: new Tensor(Float32Array.from(x), [2, 9, 9, 4]) }));
  const [probs, res] = tf.tidy(() => (model.predict(tf.tensor(x, [2, 9, 9, 4])) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
  assertClose(out['probs'].data, probs, { rtol: 1e-4, atol: 1e-5 }, 'probs');
  assertClose(out['block_add'].data, res, { rtol: 1e-4, atol: 1e-5 }, 'block_add');
  // The shared layer holds one set of weights, used by both calls.
  assert.equal(ours.namedModules().filter(([n]) => n === 'shared_pw').length, 1);
});

test('a Sequential nested in a functional model becomes a child model', async () => {
  const inner = tf.sequential({ name: 'backbone' });
  inner.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'bb_conv' }));
  inner.add(tf.layers.batchNormalization({ name: 'bb_bn' }));
  inner.add(tf.layers.reLU({ maxValue: 6, name: 'bb_relu' }));
  const input = tf.input({ shape: [8, 8, 3], name: 'x' });
  const features = inner.apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(features) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'head' }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  randomizeWeights(model, 9);
  const saved = await saveLayersModel(model);
  const x = randomValues(8 * 8 * 3, 2);
  const ours = loadTfjsModel({ json: saved.json, weights: saved.weights });
  assert.ok(ours.namedModules().some(([n]) => n === 'backbone.bb_bn'), 'nested layers live under the nested model');
  assertClose(noGrad(() => ours.call(new Tensor(Float32Array.from(x), [1, 8, 8, 3]))).data, tfPredict(model, x, [1, 8, 8, 3]),
    { rtol: 1e-4, atol: 1e-5 }, 'nested');
});

test('a Keras 3 functional config (inbound nodes as {args: [keras tensors]}, batch_shape, Subtract) loads', () => {
  const tensor = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 3], dtype: 'float32', keras_history: [layer, 0, 0] } });
  const json = {
    format: 'layers-model',
    modelTopology: {
      keras_version: '3.3.3', backend: 'tensorflow',
      model_config: {
        module: 'keras', class_name: 'Functional', registered_name: 'Functional',
        config: {
          name: 'k3', trainable: true,
          layers: [
            { module: 'keras.layers', class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'x' }, inbound_nodes: [] },
            {
              module: 'keras.layers', class_name: 'Dense', name: 'proj', build_config: { input_shape: [null, 3] },
              config: { name: 'proj', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } }, units: 3, activation: 'linear', use_bias: true, kernel_initializer: { class_name: 'GlorotUniform' }, bias_initializer: { class_name: 'Zeros' }, kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null, lora_rank: null },
              inbound_nodes: [{ args: [tensor('x')], kwargs: {} }],
            },
            { module: 'keras.layers', class_name: 'Subtract', name: 'diff', config: { name: 'diff', trainable: true, dtype: 'float32' }, inbound_nodes: [{ args: [[tensor('x'), tensor('proj')]], kwargs: {} }] },
          ],
          input_layers: ['x', 0, 0],
          output_layers: ['diff', 0, 0],
        },
      },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'proj/kernel', shape: [3, 3], dtype: 'float32' }, { name: 'proj/bias', shape: [3], dtype: 'float32' }] }],
  };
  // kernel = 2 * identity, bias = [1, 2, 3]: diff = x - (2x + b) = -x - b.
  const values = Float32Array.from([2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]);
  const model = loadTfjsModel({ json, weights: new Map([['w.bin', new Uint8Array(values.buffer)]]) });
  assert.deepEqual(model.outputs.map((o) => o.name), ['diff']);
  const y = noGrad(() => model.call(new Tensor(Float32Array.from([1, -1, 0.5]), [1, 3])));
  assert.deepEqual(Array.from(y.data), [-2, -1, -3.5]);
});

test('quantized weights (uint8, uint16, float16) load as TF.js dequantizes them', async () => {
  // TF.js leaves depth_multiplier out of saved SeparableConv2D configs and cannot reload a multiplier of 2.
  const model = mobilenetLike(1);
  const x = randomValues(13 * 11 * 3, 8);
  const reference = tfPredict(model, x, [1, 13, 11, 3]);
  // Against the float32 model the quantization error shows: on this model's softmax output the measured worst
  // differences are 1.3e-4 (uint8: 256 levels per tensor), 2e-6 (uint16) and 2.5e-5 (float16: 11-bit mantissa);
  // the bounds are about ten times that.
  const loose: Record<string, number> = { uint8: 2e-3, uint16: 5e-5, float16: 3e-4 };
  for (const q of ['uint8', 'uint16', 'float16'] as const) {
    const saved = await saveLayersModel(model, { quantize: q });
    const ours = sepconvPredict(saved, x, [1, 13, 11, 3]);
    // TF.js loading the same quantized files computes the same dequantized values: 1e-4 again.
    const tfq = await tf.loadLayersModel(tf.io.fromMemory(saved.artifacts));
    assertClose(ours.data, tfPredict(tfq, x, [1, 13, 11, 3]), { rtol: 1e-4, atol: 1e-5 }, `${q} vs TF.js on the same files`);
    assertClose(ours.data, reference, { rtol: 0, atol: loose[q] }, `${q} vs the float32 model`);
  }
});

test('imported models work with analyse() and exportOnnx (re-imported ONNX gives the same outputs)', async () => {
  const saved = await saveLayersModel(mobilenetLike());
  const model = loadTfjsModel({ json: saved.json, weights: saved.weights });
  const report = analyse(model, [1, 13, 11, 3]);
  assert.deepEqual(report.output, [1, 5]);
  assert.equal(report.totals.params, model.parameters().reduce((s, p) => s + p.size, 0));
  assert.ok(report.totals.byKind.depthwise.macs > 0 && report.totals.byKind.pointwise.macs > 0);
  assert.ok(report.layers.some((l) => l.name === 'separable_conv2d_SeparableConv2D1.depthwise' || l.name.endsWith('.depthwise')));
  const x = new Tensor(Float32Array.from(randomValues(13 * 11 * 3, 3)), [1, 13, 11, 3]);
  const expected = noGrad(() => model.call(x));
  for (const foldBatchNorm of [false, true]) {
    const onnx = importOnnx(exportOnnx(model, [1, 13, 11, 3], { foldBatchNorm }));
    assertClose(noGrad(() => onnx.call(x)).data, expected.data, { rtol: 1e-4, atol: 1e-5 }, `ONNX round trip (fold ${foldBatchNorm})`);
  }
});

test('train() turns dropout on and the imported model trains (parameters get gradients)', async () => {
  const saved = await saveLayersModel(mobilenetLike());
  const model = loadTfjsModel({ json: saved.json, weights: saved.weights });
  model.train();
  const x = new Tensor(Float32Array.from(randomValues(13 * 11 * 3, 3)), [1, 13, 11, 3]);
  const y = model.call(x);
  y.backward(new Tensor(new Float32Array(y.size).fill(1), y.shape));
  assert.ok(model.parameters().every((p) => p.grad !== null), 'every parameter has a gradient');
});
