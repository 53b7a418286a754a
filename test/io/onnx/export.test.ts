/**
 * exportOnnx: sepconv models and functional ops written to ONNX, run in ONNX Runtime on the same input (NCHW there,
 * NHWC here), outputs equal within 1e-4, and the file re-imported by sepconv gives the same outputs again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError } from '../../../src/errors.js';
import { getBackend } from '../../../src/backend/registry.js';
import { exportOnnx, type ExportOptions } from '../../../src/io/onnx/export.js';
import { importOnnx } from '../../../src/io/onnx/import.js';
import { decodeModel } from '../../../src/io/onnx/proto.js';
import { transposeData, NCHW } from '../../../src/io/onnx/layout.js';
import { vggStyle } from '../../../src/models/baselines.js';
import { buildModel } from '../../../src/models/index.js';
import { overparameterize, reparameterize } from '../../../src/models/reparameterize.js';
import { separabilize } from '../../../src/models/separabilize.js';
import * as nn from '../../../src/nn/index.js';
import { Module } from '../../../src/nn/module.js';
import * as ops from '../../../src/ops/index.js';
import { Random } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers/close.js';
import { randomData, runOrt } from './ort.js';

/** Gives every batch norm non-trivial statistics and affine parameters, so that exporting them wrongly shows. */
function randomiseBatchNorms(model: Module, seed: number): void {
  const rng = new Random(seed);
  for (const m of model.modules())
    if (m instanceof nn.BatchNorm2d)
      for (const [t, lo, hi] of [[m.weight, 0.5, 1.5], [m.bias, -0.3, 0.3], [m.runningMean, -0.3, 0.3], [m.runningVar, 0.5, 1.5]] as const)
        t.assign(Float32Array.from({ length: t.size }, () => lo + (hi - lo) * rng.uniform()));
}

/** sepconv layout -> ONNX layout of an output. */
function toOnnx(t: Tensor): Float32Array {
  return t.rank === 4 ? transposeData(t.data, t.shape, NCHW) : t.data;
}

/** Exports `model`, runs the file in ONNX Runtime and re-imported in sepconv, and compares both with sepconv's output. */
async function checkExport(model: Module, shape: number[], opts: ExportOptions, what: string, seed = 1): Promise<Uint8Array> {
  const x = new Tensor(randomData(shape, seed).data, shape);
  model.eval();
  const y = model.call(x);
  const bytes = exportOnnx(model, shape, opts);
  const ortOut = await runOrt(bytes, { [opts.inputName ?? 'input']: { dims: [...shape.slice(0, 1), ...shape.slice(-1), ...shape.slice(1, -1)], data: transposeData(x.data, shape, NCHW) } });
  const got = ortOut[opts.outputName ?? 'output'];
  const scale = Math.max(1, ...Array.from(y.data, Math.abs));
  assertClose(got.data, toOnnx(y), { rtol: 1e-4, atol: 1e-4 * scale }, `${what}: ONNX Runtime`);
  assertClose(importOnnx(bytes).call(x).data, y.data, { rtol: 1e-4, atol: 1e-4 * scale }, `${what}: re-imported`);
  return bytes;
}

test('a separable twin trained over-parameterised and folded (biased depthwise convs, no batch norm between) exports', async () => {
  const model = overparameterize(separabilize(vggStyle({ stages: 2, width: 4, inChannels: 3, numClasses: 5, resolution: 8, rng: new Random(21) }),
    { batchNorm: true, keepStem: true, depthwiseKernelSize: 5, rng: new Random(22) }).model, { rng: new Random(23) });
  randomiseBatchNorms(model, 24);
  await checkExport(reparameterize(model), [2, 8, 8, 3], {}, 'folded separable twin');
});

function smallSeparableNet(rng: Random): Module {
  return new nn.Sequential(
    new nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 'same', bias: false, rng }),
    new nn.BatchNorm2d({ numFeatures: 8 }),
    new nn.ReLU6(),
    new nn.SeparableConv2d({ inChannels: 8, outChannels: 16, kernelSize: 3, padding: 'same', batchNorm: true, activation: 'hardSwish', rng }),
    new nn.BatchNorm2d({ numFeatures: 16 }),
    new nn.Residual(new nn.Sequential(
      new nn.DepthwiseConv2d({ channels: 16, kernelSize: 5, padding: [1, 3, 2, 2], depthMultiplier: 1, rng }),
      new nn.BatchNorm2d({ numFeatures: 16 }),
      new nn.Swish(),
      new nn.SqueezeExcite({ channels: 16, gate: 'hardSigmoid', rng }),
      new nn.PointwiseConv2d({ inChannels: 16, outChannels: 16, rng }),
      new nn.BatchNorm2d({ numFeatures: 16 }),
    )),
    new nn.DepthwiseConv2d({ channels: 16, kernelSize: 3, depthMultiplier: 2, dilation: 2, stride: 2, padding: 2, rng }),
    new nn.PReLU({ numParameters: 32 }),
    new nn.Conv2d({ inChannels: 32, outChannels: 24, kernelSize: 3, groups: 8, padding: 1, rng }),
    new nn.LeakyReLU({ alpha: 0.1 }),
    new nn.MaxPool2d({ kernelSize: 3, stride: 2, padding: 'same' }),
    new nn.AvgPool2d({ kernelSize: 2, stride: 1, padding: [0, 1, 1, 0], countIncludePad: true }),
    new nn.SqueezeExcite({ channels: 24, ratio: 0.25, activation: 'swish', rng }),
    new nn.Tanh(),
    new nn.Flatten(),
    new nn.Dropout({ p: 0.3 }),
    new nn.Linear({ inFeatures: 24 * 3 * 3, outFeatures: 10, rng }),
    new nn.Sigmoid(),
  );
}

test('a small separable / SE / residual net exports at opsets 7 to 21, with and without BN folding', async () => {
  const net = smallSeparableNet(new Random(3));
  randomiseBatchNorms(net, 4);
  for (const opset of [7, 11, 13, 14, 18, 21])
    for (const foldBatchNorm of [false, true])
      await checkExport(net, [2, 20, 18, 3], { opset, foldBatchNorm }, `opset ${opset}${foldBatchNorm ? ' folded' : ''}`);
});

test('BN folding removes every BatchNormalization that follows a conv; HardSwish is native from opset 14', async () => {
  const net = smallSeparableNet(new Random(3));
  randomiseBatchNorms(net, 4);
  const count = (bytes: Uint8Array, op: string) => decodeOps(bytes).filter((o) => o === op).length;
  assert.equal(count(exportOnnx(net, [1, 20, 18, 3]), 'BatchNormalization'), 5);
  assert.equal(count(exportOnnx(net, [1, 20, 18, 3], { foldBatchNorm: true }), 'BatchNormalization'), 0);
  // A batch norm after an activation has no conv to fold into.
  const afterAct = new nn.Sequential(new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 1 }), new nn.ReLU(), new nn.BatchNorm2d({ numFeatures: 4 }));
  assert.equal(count(exportOnnx(afterAct, [1, 4, 4, 3], { foldBatchNorm: true }), 'BatchNormalization'), 1);
  assert.equal(count(exportOnnx(net, [1, 20, 18, 3], { opset: 13 }), 'HardSwish'), 0);
  assert.equal(count(exportOnnx(net, [1, 20, 18, 3], { opset: 14 }), 'HardSwish'), 1);
});

/** Op types of an ONNX file's nodes. */
function decodeOps(bytes: Uint8Array): string[] {
  return decodeModel(bytes).graph!.node.map((n) => n.op_type);
}

for (const [name, opts] of [['mobilenet_v2', { foldBatchNorm: true }], ['mobilenet_v3_small', { opset: 14 }], ['efficientnet_b0', {}]] as const) {
  test(`${name} at 64x64 exports and runs in ONNX Runtime`, async () => {
    const model = buildModel(name, { numClasses: 10, rng: new Random(5) });
    randomiseBatchNorms(model, 6);
    await checkExport(model, [1, 64, 64, 3], opts, name);
  });
}

/** A module running `fn` on its input (for functional ops). */
class Fn extends Module {
  constructor(private readonly fn: (x: Tensor) => Tensor) {
    super();
  }

  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}

test('functional ops: reshapes across layouts, concat, broadcasting, softmax, pools, matmul, prelu', async () => {
  const rng = new Random(9);
  const c = (shape: number[]) => new Tensor(randomData(shape, rng.int(1000)).data, shape);
  const bias = c([5]);
  const gate = c([1, 1, 1, 5]);
  const mat = c([5 * 4 * 3, 7]);
  const slope = c([5]);
  const [k4, k315, k5, k1, k35] = [c([4]), c([4, 1, 5]), c([5]), c([1]), c([3, 5])];
  const cases: [string, (x: Tensor) => Tensor][] = [
    ['flatten 4-D with H, W > 1', (x) => ops.flatten(x)],
    ['reshape 4-D -> 4-D', (x) => ops.reshape(x, [2, 3, 4, 5])],
    ['reshape 2-D -> 4-D', (x) => ops.add(ops.reshape(ops.flatten(x), [2, 5, 3, 4]), k4)],
    ['concat channels and width', (x) => ops.concat([ops.concat([x, ops.relu(x)], 3), ops.concat([x, x], -1)], 2)],
    ['broadcast constants of lower rank', (x) => ops.div(ops.sub(ops.mul(ops.add(x, bias), gate), k315), ops.add(ops.square(k5), k1))],
    ['broadcast an activation of lower rank', (x) => ops.mul(ops.sigmoid(k35), x)],
    ['softmax and logSoftmax over channels and height', (x) => ops.add(ops.softmax(x, 3), ops.logSoftmax(x, 1))],
    ['matmul and linear', (x) => ops.matmul(ops.flatten(x), mat)],
    ['prelu per channel and shared, leakyRelu, tanh, swish', (x) => ops.swish(ops.tanh(ops.leakyRelu(ops.prelu(ops.prelu(x, slope), k1), 0.3)))],
    ['pools with explicit padding', (x) => ops.add(ops.maxPool2d(x, { kernelSize: [3, 2], stride: 1, padding: [1, 1, 0, 1] }),
      ops.avgPool2d(x, { kernelSize: 3, stride: 1, padding: 1 }))],
    ['the identity', (x) => x],
  ];
  for (const [what, fn] of cases)
    for (const opset of [9, 13])
      await checkExport(new Fn(fn), [2, 4, 3, 5], { opset, inputName: 'pixels', outputName: 'scores' }, `${what} (opset ${opset})`);
});

test('ops whose ONNX form needs recorded attributes export when the op records them, else fail clearly', async () => {
  const cases: [string, (x: Tensor) => Tensor][] = [
    ['transpose', (x) => ops.transpose(x, [0, 3, 1, 2])],
    ['mean with keepDims', (x) => ops.mean(x, [1, 2], true)],
    ['mean without keepDims', (x) => ops.mean(x, [1])],
    ['sum', (x) => ops.sum(x, [3])],
    ['pad2d', (x) => ops.pad2d(x, { top: 1, bottom: 0, left: 2, right: 1 }, 0.5)],
    ['affineScalar', (x) => ops.affineScalar(x, 2, -1)],
  ];
  for (const [what, fn] of cases) {
    let recorded = true;
    try {
      exportOnnx(new Fn(fn), [2, 4, 3, 5]);
    } catch (e) {
      assert.ok(e instanceof ArgumentError, `${what}: ${String(e)}`);
      assert.match(e.message, /did not record its .* \(attrs\.\w+\), which the ONNX node needs/);
      recorded = false;
    }
    if (recorded) for (const opset of [9, 13, 18]) await checkExport(new Fn(fn), [2, 4, 3, 5], { opset }, `${what} (opset ${opset})`);
  }
});

test('an imported model exports again (clip and general hard sigmoid round trip)', async () => {
  const { attr, floatTensor, graph, model, node, valueInfo } = await import('../../../src/io/onnx/builder.js');
  const { encodeModel } = await import('../../../src/io/onnx/encode.js');
  const bytes = encodeModel(model(graph({
    nodes: [
      node('Conv', ['x', 'w'], ['c'], { pads: attr.ints([1, 1, 1, 1]) }),
      node('Clip', ['c'], ['k'], { min: attr.float(-0.5), max: attr.float(0.7) }),
      node('HardSigmoid', ['k'], ['y'], { alpha: attr.float(0.3), beta: attr.float(0.4) }),
    ],
    inputs: [valueInfo('x', [1, 2, 5, 5])], outputs: [valueInfo('y', null)],
    initializers: [floatTensor('w', [3, 2, 3, 3], randomData([3, 2, 3, 3], 2).data)],
  }), { opset: 10 }));
  await checkExport(importOnnx(bytes), [1, 5, 5, 2], { opset: 12 }, 'imported');
});

test('export restores training flags and the backend, and rejects what it cannot write', () => {
  const net = smallSeparableNet(new Random(1));
  net.train();
  const backend = getBackend();
  exportOnnx(net, [20, 18, 3]);
  assert.ok(net.modules().every((m) => m.training));
  assert.equal(getBackend(), backend);
  assert.throws(() => exportOnnx(net, [20, 18, 3], { opset: 6 }), /opset must be an integer from 7 to 21/);
  assert.throws(() => exportOnnx(net, [0, 18, 3]), /inputShape must be/);
  assert.throws(() => exportOnnx(net, [20, 18, 3], { inputName: 'x', outputName: 'x' }), /distinct/);
  const loss = new Fn((x) => ops.crossEntropy(ops.flatten(x), [0]));
  assert.throws(() => exportOnnx(loss, [1, 2, 2, 3]), /op 'crossEntropy' has no ONNX equivalent.*exportable: add, affineScalar/);
  const bn = new nn.BatchNorm2d({ numFeatures: 3 });
  const functional = new Fn((x) => ops.batchNorm2d(x, { gamma: bn.weight, beta: bn.bias, runningMean: bn.runningMean, runningVar: bn.runningVar, training: false }));
  assert.throws(() => exportOnnx(functional, [1, 2, 2, 3]), /does not come from a BatchNorm2d layer/);
  // A failed export still restores the modes and the backend.
  assert.equal(getBackend(), backend);
});
