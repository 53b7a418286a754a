import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ArgumentError, NumericsError, Random, ShapeError, StateDictError, Tensor, memory, ops, setNumericsCheck, tidy, traceOps,
  type OpEvent,
} from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { randomTensor } from '../helpers/gradcheck.js';

/** A two-level model, so that paths have several parts: features.{0,1,2,3}, head. */
class Net extends nn.Module {
  readonly features: nn.Sequential;
  readonly head: nn.Linear;

  constructor(rng: Random, sepInChannels = 8) {
    super();
    this.features = this.registerModule('features', new nn.Sequential(
      new nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, padding: 'same', rng }),
      new nn.BatchNorm2d({ numFeatures: 8 }),
      new nn.ReLU(),
      new nn.SeparableConv2d({ inChannels: sepInChannels, outChannels: 6, kernelSize: 3, stride: 2, padding: 'same', batchNorm: true, activation: 'relu', rng }),
    ));
    this.head = this.registerModule('head', new nn.Linear({ inFeatures: 6, outFeatures: 2, rng }));
  }

  forward(x: Tensor): Tensor {
    return this.head.call(ops.globalAvgPool2d(this.features.call(x)));
  }
}

const bnKeys = (p: string) => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((k) => `${p}.${k}`);
const netKeys = [
  'features.0.weight', 'features.0.bias', ...bnKeys('features.1'),
  'features.3.depthwise.weight', ...bnKeys('features.3.bn'), 'features.3.pointwise.weight', 'features.3.pointwise.bias',
  'head.weight', 'head.bias',
];

function snapshot(m: nn.Module): Map<string, Tensor> {
  return new Map([...m.stateDict()].map(([k, t]) => [k, t.clone()]));
}

test('state-dict keys are dotted paths in registration order; parameters are named and require grad', () => {
  const net = new Net(new Random(1));
  assert.deepEqual([...net.stateDict().keys()], netKeys);
  const params = net.namedParameters();
  assert.deepEqual(params.map(([k]) => k), netKeys.filter((k) => !/running|num_batches/.test(k)));
  for (const [k, p] of params) {
    assert.equal(p.requiresGrad, true, k);
    assert.equal(p.name, k);
  }
  assert.deepEqual(net.namedBuffers().map(([k]) => k), netKeys.filter((k) => /running|num_batches/.test(k)));
  for (const b of net.buffers()) assert.equal(b.requiresGrad, false);
  assert.deepEqual(net.namedChildren().map(([k]) => k), ['features', 'head']);
  assert.deepEqual(net.namedModules().map(([k]) => k), [
    '', 'features', 'features.0', 'features.1', 'features.2', 'features.3', 'features.3.depthwise', 'features.3.bn',
    'features.3.act', 'features.3.pointwise', 'head',
  ]);
  // conv 3*3*3*8+8, bn 16, depthwise 3*3*8, bn 16, pointwise 8*6+6, head 6*2+2
  assert.equal(net.numParameters(), 224 + 16 + 72 + 16 + 54 + 14);
});

test('a parameter shared by two layers is listed once', () => {
  const a = new nn.Linear({ inFeatures: 2, outFeatures: 2 });
  const seq = new nn.Sequential(a, a);
  assert.equal(seq.parameters().length, 2);
  assert.equal(seq.numParameters(), 6);
  assert.deepEqual([...seq.stateDict().keys()], ['0.weight', '0.bias', '1.weight', '1.bias']);
});

test('registration rejects duplicate and dotted names', () => {
  class Bad extends nn.Module {
    forward(x: Tensor): Tensor {
      return x;
    }
  }
  const m = new Bad();
  m.registerParameter('w', Tensor.zeros([1]));
  assert.throws(() => m.registerBuffer('w', Tensor.zeros([1])), /'w' is already registered/);
  assert.throws(() => m.registerModule('a.b', new nn.ReLU()), ArgumentError);
  assert.throws(() => m.registerParameter('', Tensor.zeros([1])), /must be non-empty/);
});

test('train() and eval() recurse into every descendant', () => {
  const net = new Net(new Random(1));
  assert.ok(net.modules().every((m) => m.training));
  assert.equal(net.eval(), net);
  assert.ok(net.modules().every((m) => !m.training));
  net.features.train();
  assert.equal(net.training, false);
  assert.ok(net.features.modules().every((m) => m.training));
});

test('switching a model between train and eval changes its BatchNorm2d and Dropout behaviour', () => {
  const model = new nn.Sequential(
    new nn.Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 1, rng: new Random(1) }),
    new nn.BatchNorm2d({ numFeatures: 4 }),
    new nn.Dropout({ p: 0.5, rng: new Random(2) }),
  );
  const bn = model.at(1) as nn.BatchNorm2d;
  const x = randomTensor([2, 3, 3, 3], 3);
  assert.notDeepEqual(model.call(x).toArray(), model.call(x).toArray(), 'dropout masks differ between training calls');
  assert.equal(bn.numBatchesTracked.item(), 2);
  const stats = bn.runningMean.toArray();
  model.eval();
  const y = model.call(x).toArray();
  assert.deepEqual(model.call(x).toArray(), y, 'eval is deterministic');
  assert.deepEqual(bn.runningMean.toArray(), stats, 'eval leaves running statistics alone');
  assert.equal(bn.numBatchesTracked.item(), 2);
  const conv = (model.at(0) as nn.Conv2d).call(x);
  const expected = conv.toArray().map((v, i) => (v - stats[i % 4]) / Math.sqrt(bn.runningVar.data[i % 4] + 1e-5));
  y.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `eval output ${i}: ${v} vs ${expected[i]}`));
});

test('stateDict round trip: a differently seeded model gives the same outputs after loading', () => {
  const x = randomTensor([2, 6, 6, 3], 5);
  const a = new Net(new Random(1));
  a.call(x); // move the BN running statistics away from their initial values
  a.eval();
  const saved = snapshot(a);
  const b = new Net(new Random(2)).eval();
  assert.notDeepEqual(b.call(x).toArray(), a.call(x).toArray());
  const weightBefore = b.features.at(0).stateDict().get('weight');
  const result = b.loadStateDict(saved);
  assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
  assert.deepEqual(b.call(x).toArray(), a.call(x).toArray());
  // Values are copied into the existing tensors (optimizers keep their references).
  assert.equal(b.features.at(0).stateDict().get('weight'), weightBefore);
  assert.equal(b.stateDict().get('features.1.num_batches_tracked')!.item(), 1);
  assert.equal(b.stateDict().get('features.0.weight')!.requiresGrad, true);
});

test('loadStateDict lists every missing, unexpected and mis-shaped key in one StateDictError and copies nothing', () => {
  const net = new Net(new Random(1));
  const before = snapshot(net);
  const state = snapshot(new Net(new Random(2)));
  state.delete('head.bias');
  state.delete('features.1.running_var');
  state.set('head.extra', Tensor.zeros([4]));
  state.set('features.0.weight', Tensor.zeros([3, 3, 3, 5]));
  assert.throws(() => net.loadStateDict(state), (e: Error) => {
    assert.ok(e instanceof StateDictError);
    assert.match(e.message, /^Net\.loadStateDict: /);
    assert.match(e.message, /2 missing keys: features\.1\.running_var \[8\], head\.bias \[2\]/);
    assert.match(e.message, /1 unexpected key: head\.extra \[4\]/);
    assert.match(e.message, /1 mis-shaped key: features\.0\.weight \(module \[3, 3, 3, 8\], state dict \[3, 3, 3, 5\]\)/);
    return true;
  });
  for (const [k, t] of net.stateDict()) assert.deepEqual(t.toArray(), before.get(k)!.toArray(), `${k} was modified`);
});

test('loadStateDict: each problem alone is an error when strict; only shape mismatches are without strict', () => {
  const net = new Net(new Random(1));
  const missing = snapshot(net);
  missing.delete('head.weight');
  assert.throws(() => net.loadStateDict(missing), /1 missing key: head\.weight \[6, 2\].*strict: false/);
  const unexpected = snapshot(net);
  unexpected.set('bogus', Tensor.zeros([1]));
  assert.throws(() => net.loadStateDict(unexpected), /1 unexpected key: bogus \[1\]/);
  const misShaped = snapshot(net);
  misShaped.set('head.bias', Tensor.zeros([3]));
  assert.throws(() => net.loadStateDict(misShaped), /mis-shaped key: head\.bias \(module \[2\], state dict \[3\]\)/);
  assert.throws(() => net.loadStateDict(misShaped, { strict: false }), StateDictError);

  const partial = snapshot(new Net(new Random(3)));
  partial.delete('head.weight');
  partial.set('bogus', Tensor.zeros([1]));
  const result = net.loadStateDict(partial, { strict: false });
  assert.deepEqual(result, { missingKeys: ['head.weight'], unexpectedKeys: ['bogus'] });
  assert.deepEqual(net.head.bias!.toArray(), partial.get('head.bias')!.toArray());
});

test('errors inside a layer are prefixed once with the layer path and class', () => {
  const net = new Net(new Random(1), 5); // features.3 expects 5 channels but gets 8
  const x = randomTensor([1, 4, 4, 3], 1);
  assert.throws(() => net.call(x), (e: Error) => {
    assert.ok(e instanceof ShapeError);
    assert.equal(e.message,
      "layer 'features.3.depthwise' (DepthwiseConv2d): expected an NHWC input [N, H, W, 5] (channels = 5), got [1, 4, 4, 8]; " +
      'the previous layer must output 5 channels, or build this layer with channels = 8');
    assert.equal(e.stack!.split('\n')[0], `ShapeError: ${e.message}`);
    return true;
  });
  // An op error (window larger than the input) gets the same prefix.
  const conv = new nn.Sequential(new nn.Conv2d({ inChannels: 3, outChannels: 2, kernelSize: 5 }));
  assert.throws(() => conv.call(x), /^ShapeError: layer '0' \(Conv2d\): conv2d: /);
  // A root module names its class.
  assert.throws(() => new nn.Conv2d({ inChannels: 4, outChannels: 2, kernelSize: 1 }).call(x), /^ShapeError: Conv2d: expected an NHWC input/);
  // The residual add reports both shapes.
  const res = new nn.Sequential(new nn.Residual(new nn.PointwiseConv2d({ inChannels: 3, outChannels: 4 })));
  assert.throws(() => res.call(x),
    /^ShapeError: layer '0' \(Residual\): residual add: body output \[1, 4, 4, 4\] does not match the input \(identity shortcut\) \[1, 4, 4, 3\]/);
});

test('a NumericsError, which already names the layer, is not prefixed again', () => {
  const lin = new nn.Linear({ inFeatures: 2, outFeatures: 2 });
  lin.weight.data[0] = NaN;
  const model = new nn.Sequential(lin);
  const previous = setNumericsCheck(true);
  try {
    assert.throws(() => model.call(new Tensor([1, 1], [1, 2])), (e: Error) => {
      assert.ok(e instanceof NumericsError);
      assert.match(e.message, /^linear in layer '0' produced NaN/);
      return true;
    });
  } finally {
    setNumericsCheck(previous);
  }
});

test('op events carry the path of the module that ran them', () => {
  const net = new Net(new Random(1));
  const seen: string[] = [];
  traceOps((e: OpEvent) => seen.push(`${e.scope}:${e.op}`), () => net.call(randomTensor([2, 4, 4, 3], 1)));
  assert.deepEqual(seen, [
    'features.0:conv2d', 'features.1:batchNorm2d', 'features.2:relu', 'features.3.depthwise:depthwiseConv2d',
    'features.3.bn:batchNorm2d', 'features.3.act:relu', 'features.3.pointwise:pointwiseConv2d', ':globalAvgPool2d',
    'head:linear',
  ]);
});

test('a model built inside tidy keeps its parameters and buffers', () => {
  let net: Net | undefined;
  tidy(() => {
    net = new Net(new Random(1));
  });
  assert.ok(net!.stateDict().size > 0);
  for (const t of net!.stateDict().values()) assert.equal(t.isDisposed, false);
  assert.deepEqual(net!.call(randomTensor([2, 4, 4, 3], 1)).shape, [2, 2]);
});

test('zeroGrad disposes and clears every gradient', () => {
  const lin = new nn.Linear({ inFeatures: 3, outFeatures: 2 });
  tidy(() => ops.sum(lin.call(randomTensor([4, 3], 2))).backward());
  const grads = lin.parameters().map((p) => p.grad);
  assert.ok(grads.every((g) => g !== null && !g.isDisposed));
  const before = memory().numTensors;
  lin.zeroGrad();
  assert.ok(lin.parameters().every((p) => p.grad === null));
  assert.ok(grads.every((g) => g!.isDisposed));
  assert.equal(memory().numTensors, before - 2);
});

test('toString prints the module tree', () => {
  const s = new nn.Sequential(new nn.Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 'same', bias: false }),
    new nn.SqueezeExcite({ channels: 8 }));
  assert.equal(s.toString(), [
    'Sequential(',
    '  (0): Conv2d(3 -> 8, kernelSize=3, stride=2, padding="same", bias=false)',
    '  (1): SqueezeExcite(8 -> 2 -> 8',
    '    (reduce): PointwiseConv2d(8 -> 2)',
    '    (act): ReLU()',
    '    (expand): PointwiseConv2d(2 -> 8)',
    '    (gate): Sigmoid()',
    '  )',
    ')',
  ].join('\n'));
});

test('replaceModule swaps a child in place: registry order, state-dict names, cached fields', () => {
  const block = new nn.Residual(new nn.Linear({ inFeatures: 2, outFeatures: 2 }));
  const replacement = new nn.Linear({ inFeatures: 2, outFeatures: 2, bias: false });
  const old = block.replaceModule('body', replacement);
  assert.ok(old instanceof nn.Linear);
  assert.equal(block.body, replacement);
  assert.deepEqual([...block.stateDict().keys()], ['body.weight']);
  assert.equal(replacement.weight.name, 'body.weight');
  assert.throws(() => block.replaceModule('nope', replacement), /no child named 'nope'; children: body/);
});
