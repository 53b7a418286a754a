/**
 * TF.js graph models: GraphDefs written by hand the way tfjs-converter writes them (ops, attrs in AttrValue JSON,
 * Const values in the weights manifest), loaded by sepconv and by tf.loadGraphModel, outputs compared.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyse } from '../../../src/cost/analyse.js';
import { FormatError } from '../../../src/errors.js';
import { exportOnnx } from '../../../src/io/onnx/export.js';
import { importOnnx } from '../../../src/io/onnx/import.js';
import { loadTfjsModel } from '../../../src/io/tfjs/load.js';
import type { TfjsModel } from '../../../src/io/tfjs/model.js';
import { BatchNorm2d } from '../../../src/nn/batchnorm.js';
import { Conv2d, DepthwiseConv2d, PointwiseConv2d } from '../../../src/nn/conv.js';
import { Linear } from '../../../src/nn/linear.js';
import { noGrad } from '../../../src/tensor/autograd.js';
import { tidy } from '../../../src/tensor/memory.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { traceOps } from '../../../src/tensor/trace.js';
import { assertClose } from '../../helpers/close.js';
import { A, convAttrs, GraphBuilder } from './graph_builder.js';
import { randomValues, tf, type SavedModel } from './tfjs_fixtures.js';

/** A MobileNet-family graph: Pad, fused convs, BN as Mul/Add, relu6 as Relu+Minimum+Maximum, pointwise, Prelu... */
function mobilenetGraph(): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.placeholder('input', [-1, 9, 9, 3]);
  const pad = g.n('pad', 'Pad', [x, g.c('paddings', [4, 2], [0, 0, 0, 1, 0, 1, 0, 0], 'int32')], { Tpaddings: A.int });
  const c1 = g.n('Conv1/Conv2D', '_FusedConv2D', [pad, g.c('Conv1/filter', [3, 3, 3, 8]), g.c('Conv1/bias', [8])], {
    ...convAttrs(2, 'VALID'), fused_ops: A.strs(['BiasAdd', 'Relu6']), num_args: A.i(1), epsilon: A.f(0), use_cudnn_on_gpu: A.b(true), leakyrelu_alpha: A.f(0.2),
  });
  const dw = g.n('dw1/depthwise', 'FusedDepthwiseConv2dNative', [c1, g.c('dw1/filter', [3, 3, 8, 1]), g.c('dw1/bias', [8])], {
    ...convAttrs(1, 'SAME'), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1),
  });
  const bnMul = g.n('bn/mul', 'Mul', [dw, g.c('bn/scale', [8], randomValues(8, 1).map((v) => 1 + v * 0.5))]);
  const bnAdd = g.n('bn/add', 'AddV2', [bnMul, g.c('bn/offset', [8])]);
  const relu = g.n('relu', 'Relu', [bnAdd]);
  const min = g.n('relu6/min', 'Minimum', [relu, g.c('six', [], [6])]);
  const max = g.n('relu6/max', 'Maximum', [min, g.c('zero', [], [0])]);
  const pw = g.n('pw/Conv2D', 'Conv2D', [max, g.c('pw/filter', [1, 1, 8, 16])], { ...convAttrs(1, 'VALID'), use_cudnn_on_gpu: A.b(true) });
  const pwBias = g.n('pw/BiasAdd', 'BiasAdd', [pw, g.c('pw/bias', [16])], { data_format: A.s('NHWC') });
  const dw2 = g.n('dw2/depthwise', 'DepthwiseConv2dNative', [pwBias, g.c('dw2/filter', [3, 3, 16, 2])], convAttrs(2, 'SAME'));
  const prelu = g.n('prelu', 'Prelu', [dw2, g.c('prelu/alpha', [32], randomValues(32, 2, 0.3))]);
  const sig = g.n('swish/sigmoid', 'Sigmoid', [prelu]);
  const swish = g.n('swish/mul', 'Mul', [prelu, sig]);
  const res = g.n('res/add', 'AddV2', [swish, prelu]);
  const fbn = g.n('fbn', 'FusedBatchNormV3', [res, g.c('fbn/scale', [32]), g.c('fbn/offset', [32]), g.c('fbn/mean', [32]),
    g.c('fbn/var', [32], randomValues(32, 3).map((v) => 1 + v * 0.5))], { epsilon: A.f(0.001), is_training: A.b(false), data_format: A.s('NHWC'), U: A.float, exponential_avg_factor: A.f(1) });
  const pool = g.n('pool', 'MaxPool', [fbn], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 1, 1, 1]), padding: A.s('SAME'), data_format: A.s('NHWC') });
  const mean = g.n('gap', 'Mean', [pool, g.c('gap/axes', [2], [1, 2], 'int32')], { keep_dims: A.b(false), Tidx: A.int });
  const fc = g.n('fc/MatMul', '_FusedMatMul', [mean, g.c('fc/w', [32, 10]), g.c('fc/b', [10])], {
    transpose_a: A.b(false), transpose_b: A.b(false), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1), epsilon: A.f(0), leakyrelu_alpha: A.f(0.2),
  });
  const fc2 = g.n('fc2/MatMul', 'MatMul', [fc, g.c('fc2/w', [6, 10])], { transpose_a: A.b(false), transpose_b: A.b(true) });
  const reshape = g.n('reshape', 'Reshape', [fc2, g.c('reshape/shape', [2], [-1, 6], 'int32')], { Tshape: A.int });
  const softmax = g.n('softmax', 'Softmax', [reshape]);
  g.n('Identity', 'Identity', [softmax]);
  return g;
}

/** The other ops: AvgPool, Tanh, Relu6, LeakyRelu, PadV2, fused LeakyRelu conv, ConcatV2, Sub, RealDiv, Squeeze, ExpandDims. */
function miscGraph(): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.placeholder('x', [-1, 6, 6, 4]);
  const avg = g.n('avg', 'AvgPool', [x], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('SAME'), data_format: A.s('NHWC') });
  const tanh = g.n('tanh', 'Tanh', [avg]);
  const leaky = g.n('leaky', 'LeakyRelu', [x], { alpha: A.f(0.1) });
  const padded = g.n('padv2', 'PadV2', [leaky, g.c('padv2/paddings', [4, 2], [0, 0, 1, 0, 0, 1, 0, 0], 'int32'), g.c('padv2/value', [], [0.5])]);
  const c = g.n('conv', '_FusedConv2D', [padded, g.c('conv/filter', [3, 3, 4, 4]), g.c('conv/bias', [4])], {
    ...convAttrs(2, 'VALID'), fused_ops: A.strs(['BiasAdd', 'LeakyRelu']), num_args: A.i(1), leakyrelu_alpha: A.f(0.3), epsilon: A.f(0),
  });
  const cat = g.n('concat', 'ConcatV2', [g.n('relu6', 'Relu6', [tanh]), c, g.c('concat/axis', [], [3], 'int32')], { N: A.i(2), Tidx: A.int });
  const sub = g.n('sub', 'Sub', [cat, g.c('sub/y', [8])]);
  const div = g.n('div', 'RealDiv', [sub, g.c('div/y', [], [2])]);
  const mean = g.n('mean', 'Mean', [div, g.c('mean/axes', [2], [1, 2], 'int32')], { keep_dims: A.b(true), Tidx: A.int });
  const sq = g.n('squeeze', 'Squeeze', [mean], { squeeze_dims: A.ints([1, 2]) });
  g.n('expand', 'ExpandDims', [sq, g.c('expand/axis', [], [-1], 'int32')], { Tdim: A.int });
  return g;
}

async function tfGraphPredict(saved: SavedModel, x: number[], shape: number[]): Promise<Float32Array> {
  const model = await tf.loadGraphModel(tf.io.fromMemory(saved.artifacts));
  return tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}

function ours(saved: SavedModel, x: number[], shape: number[]): Tensor {
  const model = loadTfjsModel({ json: saved.json, weights: saved.weights });
  return noGrad(() => model.call(new Tensor(Float32Array.from(x), shape)));
}

test('a MobileNet-family graph model matches tf.loadGraphModel within 1e-4', async () => {
  const saved = mobilenetGraph().files();
  const x = randomValues(2 * 9 * 9 * 3, 21);
  const y = ours(saved, x, [2, 9, 9, 3]);
  assert.deepEqual(y.shape, [2, 6]);
  assertClose(y.data, await tfGraphPredict(saved, x, [2, 9, 9, 3]), { rtol: 1e-4, atol: 1e-5 }, 'graph output');
});

test('the other ops (AvgPool, PadV2, ConcatV2, Squeeze, ExpandDims, ...) match tf.loadGraphModel', async () => {
  const saved = miscGraph().files();
  const x = randomValues(2 * 6 * 6 * 4, 22);
  const y = ours(saved, x, [2, 6, 6, 4]);
  assert.deepEqual(y.shape, [2, 8, 1]);
  assertClose(y.data, await tfGraphPredict(saved, x, [2, 6, 6, 4]), { rtol: 1e-4, atol: 1e-5 }, 'misc output');
});

test('weighted nodes become sepconv layers; analyse and ONNX export work; tidy() does not free the model', () => {
  let model!: TfjsModel;
  tidy(() => {
    model = loadTfjsModel(mobilenetGraph().files());
  });
  assert.equal(model.format, 'graph-model');
  assert.deepEqual(model.inputs, [{ name: 'input', shape: [null, 9, 9, 3] }]);
  assert.deepEqual(model.outputs.map((o) => o.name), ['Identity']);
  const mods = new Map(model.namedModules());
  assert.ok(mods.get('Conv1_Conv2D') instanceof Conv2d);
  assert.ok(mods.get('dw1_depthwise') instanceof DepthwiseConv2d);
  assert.equal((mods.get('dw2_depthwise') as DepthwiseConv2d).depthMultiplier, 2);
  assert.ok(mods.get('pw_Conv2D') instanceof PointwiseConv2d);
  assert.ok(mods.get('fbn') instanceof BatchNorm2d);
  assert.ok(mods.get('fc_MatMul') instanceof Linear && mods.get('fc2_MatMul') instanceof Linear);
  assert.deepEqual((mods.get('fc2_MatMul') as Linear).weight.shape, [10, 6], 'transpose_b is applied at load');
  const report = analyse(model, [1, 9, 9, 3]);
  assert.deepEqual(report.output, [1, 6]);
  assert.ok(report.totals.byKind.depthwise.macs > 0 && report.totals.byKind.pointwise.macs > 0);
  const x = new Tensor(Float32Array.from(randomValues(9 * 9 * 3, 5)), [1, 9, 9, 3]);
  const onnx = importOnnx(exportOnnx(model, [1, 9, 9, 3], { foldBatchNorm: true }));
  assertClose(noGrad(() => onnx.call(x)).data, noGrad(() => model.call(x)).data, { rtol: 1e-4, atol: 1e-5 }, 'ONNX round trip');
});

test('a node computed from constants only is folded at load', () => {
  const g = new GraphBuilder();
  const x = g.placeholder('x', [-1, 3]);
  const scale = g.n('scale', 'Mul', [g.c('a', [3], [1, 2, 3]), g.c('b', [3], [2, 2, 2])]);
  g.n('y', 'Mul', [x, scale]);
  const model = loadTfjsModel(g.files());
  const ops: string[] = [];
  const y = noGrad(() => traceOps((e) => ops.push(e.op), () => model.call(new Tensor(Float32Array.from([1, 1, 1]), [1, 3]))));
  assert.deepEqual(Array.from(y.data), [2, 4, 6]);
  assert.deepEqual(ops, ['mul'], 'only the multiplication by the input runs');
});

test('uint8 / float16 quantized graph weights load as TF.js dequantizes them', async () => {
  const x = randomValues(9 * 9 * 3, 23);
  for (const q of ['uint8', 'float16'] as const) {
    const saved = mobilenetGraph().files({ quantize: q });
    assertClose(ours(saved, x, [1, 9, 9, 3]).data, await tfGraphPredict(saved, x, [1, 9, 9, 3]), { rtol: 1e-4, atol: 1e-5 }, q);
  }
});

test('signature outputs choose the outputs; nodes they do not need are not loaded', async () => {
  const g = mobilenetGraph();
  g.n('unused', 'Elu', ['relu']);
  const saved = g.files({
    signature: { inputs: { input: { name: 'input:0', dtype: 'DT_FLOAT' } }, outputs: { features: { name: 'gap:0', dtype: 'DT_FLOAT' }, probs: { name: 'Identity:0', dtype: 'DT_FLOAT' } } },
  });
  const model = loadTfjsModel(saved);
  assert.deepEqual(model.outputs.map((o) => o.name), ['gap', 'Identity']);
  const x = randomValues(9 * 9 * 3, 24);
  const out = noGrad(() => model.run({ input: new Tensor(Float32Array.from(x), [1, 9, 9, 3]) }));
  assert.deepEqual(out['gap'].shape, [1, 32]);
  const reference = await tf.loadGraphModel(tf.io.fromMemory(saved.artifacts));
  const feats = tf.tidy(() => (reference.execute(tf.tensor(x, [1, 9, 9, 3]), 'gap') as tf.Tensor).dataSync());
  assertClose(out['gap'].data, feats, { rtol: 1e-4, atol: 1e-5 }, 'gap');
});

test('unsupported ops and attributes are listed in one FormatError naming node, op and the supported ops', () => {
  const g = new GraphBuilder();
  const x = g.placeholder('x', [-1, 4, 4, 2]);
  const elu = g.n('act/elu', 'Elu', [x]);
  const nchw = g.n('conv_nchw', 'Conv2D', [elu, g.c('w', [1, 1, 2, 2])], { ...convAttrs(1, 'VALID'), data_format: A.s('NCHW') });
  const moving = g.n('conv_dyn', 'Conv2D', [x, x], convAttrs(1, 'VALID'));
  const odd = g.n('relu_odd', 'Relu', [x], { mystery: A.i(1) });
  g.n('out', 'AddV2', [nchw, g.n('sum', 'AddV2', [moving, odd])]);
  assert.throws(() => loadTfjsModel(g.files()), (err: Error) => {
    assert.ok(err instanceof FormatError);
    assert.match(err.message, /3 nodes cannot be loaded/);
    assert.match(err.message, /node 'act\/elu' \(Elu\): op not supported/);
    assert.match(err.message, /node 'conv_dyn' \(Conv2D\): filter \(input 1\) must be a float constant/);
    assert.match(err.message, /node 'relu_odd' \(Relu\): attribute mystery not supported/);
    assert.doesNotMatch(err.message, /conv_nchw/, 'a node fed by a failed node is not reported again');
    assert.match(err.message, /Supported ops: .*FusedDepthwiseConv2dNative.*_FusedConv2D/);
    return true;
  });
  const h = new GraphBuilder();
  h.n('c', 'Conv2D', [h.placeholder('x', [-1, 4, 4, 2]), h.c('w', [1, 1, 2, 2])], { ...convAttrs(1, 'VALID'), data_format: A.s('NCHW') });
  assert.throws(() => loadTfjsModel(h.files()), /node 'c' \(Conv2D\): data_format="NCHW" is not supported \(supported: NHWC\)/);
});

test('dangling inputs, cycles and missing Const values fail fast', () => {
  const dangling = new GraphBuilder();
  dangling.n('y', 'Relu', [dangling.placeholder('x', [-1, 2]), 'nowhere']);
  assert.throws(() => loadTfjsModel(dangling.files()), /node 'y' \(Relu\) reads "nowhere:0", which no node produces/);
  const cycle = new GraphBuilder();
  cycle.placeholder('x', [-1, 2]);
  cycle.n('a', 'AddV2', ['x', 'b']);
  cycle.n('b', 'Relu', ['a']);
  cycle.n('out', 'Relu', ['b']);
  assert.throws(() => loadTfjsModel(cycle.files()), /the nodes contain a cycle \('a' \(AddV2\), 'b' \(Relu\)/);
  const noValue = new GraphBuilder();
  noValue.nodes.push({ name: 'w', op: 'Const', attr: { dtype: A.float } });
  noValue.n('y', 'Mul', [noValue.placeholder('x', [-1, 2]), 'w']);
  assert.throws(() => loadTfjsModel(noValue.files()), /node 'w' \(Const\): its value is not in the weights manifest/);
});
