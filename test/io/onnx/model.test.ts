/** An imported ONNX model is a full nn Module: cost analysis, state dict, train/eval and gradients work on it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse } from '../../../src/cost/analyse.js';
import { exportOnnx } from '../../../src/io/onnx/export.js';
import { importOnnx } from '../../../src/io/onnx/import.js';
import { buildModel } from '../../../src/models/index.js';
import * as nn from '../../../src/nn/index.js';
import { crossEntropy } from '../../../src/ops/softmax.js';
import { Random } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers/close.js';
import { randomData } from './ort.js';

test('analyse counts the same parameters and MACs for an imported model as for the model it was exported from', () => {
  const original = buildModel('mobilenet_v3_small', { numClasses: 10, rng: new Random(1) });
  const imported = importOnnx(exportOnnx(original, [1, 64, 64, 3]));
  const a = analyse(original, [64, 64, 3]);
  const b = analyse(imported, [64, 64, 3]);
  assert.equal(b.totals.params, a.totals.params);
  assert.equal(b.totals.macs, a.totals.macs);
  assert.deepEqual(b.totals.byKind.depthwise, a.totals.byKind.depthwise);
  assert.deepEqual(b.output, a.output);
  assert.deepEqual(b.unusedParameters, []);
  // Layers are the ONNX nodes.
  assert.ok(b.layers.some((l) => l.kind === 'depthwise' && l.name.includes('Conv')));
});

test('the state dict holds the converted weights under node names, and loads back', () => {
  const net = new nn.Sequential(
    new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, rng: new Random(2) }),
    new nn.BatchNorm2d({ numFeatures: 4 }),
    new nn.Flatten(),
    new nn.Linear({ inFeatures: 4 * 3 * 3, outFeatures: 2, rng: new Random(3) }),
  );
  const m = importOnnx(exportOnnx(net, [1, 5, 5, 3]));
  const sd = m.stateDict();
  const conv = [...sd].find(([k]) => k.endsWith('.weight') && sd.get(k)!.rank === 4);
  assert.ok(conv !== undefined, [...sd.keys()].join());
  // HWIO again, exactly the original values.
  assert.deepEqual(conv[1].shape, [3, 3, 3, 4]);
  assert.deepEqual(Array.from(conv[1].data), Array.from((net.at(0) as nn.Conv2d).weight.data));
  assert.ok([...sd.keys()].some((k) => k.endsWith('.running_var')));
  const zeroed = new Map([...sd].map(([k, t]) => [k, Tensor.zeros(t.shape)]));
  m.loadStateDict(zeroed);
  assert.ok(m.parameters().every((p) => p.data.every((v) => v === 0)));
  assert.match(m.toString(), /^OnnxModel\(opset 13, \d+ nodes, 1 input/);
});

test('an imported model trains: batch norm uses batch statistics in train mode and every parameter gets a gradient', () => {
  const net = new nn.Sequential(
    new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: 'same', rng: new Random(2) }),
    new nn.BatchNorm2d({ numFeatures: 4 }),
    new nn.PReLU({ numParameters: 4 }),
    new nn.GlobalAvgPool2d(),
    new nn.Linear({ inFeatures: 4, outFeatures: 3, rng: new Random(3) }),
  );
  const m = importOnnx(exportOnnx(net, [2, 6, 6, 3]));
  assert.equal(m.training, false);
  const x = new Tensor(randomData([2, 6, 6, 3], 4).data, [2, 6, 6, 3]);
  net.train();
  m.train();
  assertClose(m.call(x).data, net.call(x).data, { rtol: 1e-5, atol: 1e-6 }, 'train-mode outputs');
  const loss = crossEntropy(m.call(x), [0, 2]);
  loss.backward();
  for (const [name, p] of m.namedParameters()) assert.ok(p.grad !== null && p.grad.data.some((v) => v !== 0), `${name} has a gradient`);
});
