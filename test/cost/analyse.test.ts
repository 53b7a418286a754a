import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getBackend } from '../../src/backend/registry.js';
import { analyse } from '../../src/cost/analyse.js';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import {
  BatchNorm2d, Conv2d, DepthwiseConv2d, Flatten, GlobalAvgPool2d, Linear, MaxPool2d, Module, PointwiseConv2d, ReLU6,
  Residual, Sequential, SqueezeExcite,
} from '../../src/nn/index.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

/**
 * An inverted-residual block with squeeze-and-excitation on [1, 8, 8, 16]:
 * pw 16->32, BN, ReLU6, dw 3x3, SE (32 -> 8 -> 32), pw 32->16, residual add.
 */
function seBlock(): Sequential {
  const rng = new Random(1);
  return new Sequential(new Residual(new Sequential(
    new PointwiseConv2d({ inChannels: 16, outChannels: 32, bias: false, rng }),
    new BatchNorm2d({ numFeatures: 32 }),
    new ReLU6(),
    new DepthwiseConv2d({ channels: 32, kernelSize: 3, padding: 'same', bias: false, rng }),
    new SqueezeExcite({ channels: 32, squeezeChannels: 8, rng }),
    new PointwiseConv2d({ inChannels: 32, outChannels: 16, bias: false, rng }),
  )));
}

test('a standard conv: MACs, params and bytes by hand', () => {
  const conv = new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 'same' });
  const r = analyse(conv, [16, 16, 3]);
  assert.deepEqual(r.input, [1, 16, 16, 3]);
  assert.deepEqual(r.output, [1, 8, 8, 8]);
  assert.equal(r.ops.length, 1);
  const t = r.totals;
  assert.equal(t.macs, 3 * 3 * 3 * 8 * 8 * 8); // KH*KW*Cin*Cout*OH*OW = 13,824
  assert.equal(t.flops, 2 * t.macs);
  assert.equal(t.params, 3 * 3 * 3 * 8 + 8);
  assert.equal(t.bytesRead, 4 * (16 * 16 * 3 + 216 + 8));
  assert.equal(t.weightBytes, 4 * (216 + 8));
  assert.equal(t.bytesWritten, 4 * 8 * 8 * 8);
  assert.equal(t.bytes, 6016);
  assert.equal(t.intensity, (2 * 13_824) / 6016);
  assert.equal(t.elementwiseOps, 0);
});

test('an inverted residual block with SE: per-layer kinds and hand-computed totals', () => {
  const model = seBlock();
  const r = analyse(model, [8, 8, 16]);
  const byName = new Map(r.layers.map((l) => [l.name, l]));
  const expected: [string, string, number, number][] = [
    // name, kind, MACs, params
    ['0.body.0', 'pointwise', 64 * 16 * 32, 16 * 32],
    ['0.body.1', 'bn', 0, 2 * 32],
    ['0.body.2', 'activation', 0, 0],
    ['0.body.3', 'depthwise', 64 * 9 * 32, 9 * 32],
    ['0.body.4', 'se-multiply', 0, 0],
    ['0.body.4.reduce', 'pointwise', 32 * 8, 32 * 8 + 8],
    ['0.body.4.act', 'activation', 0, 0],
    ['0.body.4.expand', 'pointwise', 8 * 32, 8 * 32 + 32],
    ['0.body.4.gate', 'activation', 0, 0],
    ['0.body.5', 'pointwise', 64 * 32 * 16, 32 * 16],
    ['0', 'add', 0, 0],
  ];
  assert.deepEqual(r.layers.map((l) => l.name), expected.map(([n]) => n));
  for (const [name, kind, macs, params] of expected) {
    const l = byName.get(name)!;
    assert.deepEqual([l.kind, l.macs, l.params], [kind, macs, params], name);
  }
  assert.deepEqual(byName.get('0.body.4')!.ops, ['globalAvgPool2d', 'mul']);
  assert.equal(r.totals.macs, 32_768 + 18_432 + 256 + 256 + 32_768);
  assert.equal(r.totals.params, 1928);
  assert.equal(r.totals.params, model.numParameters());
  // BN 2048 + ReLU6 2048 + SE (pool 2048 + relu 8 + sigmoid 32 + multiply 2048) + residual add 1024.
  assert.equal(r.totals.elementwiseOps, 2048 + 2048 + 2048 + 8 + 32 + 2048 + 1024);
  const add = r.ops.find((o) => o.op === 'add')!;
  assert.deepEqual([add.scope, add.kind, add.bytesRead, add.bytesWritten], ['0', 'add', 4 * 2 * 1024, 4 * 1024]);
  const mul = r.ops.find((o) => o.op === 'mul')!;
  assert.deepEqual(mul.inputShapes, [[1, 8, 8, 32], [1, 1, 1, 32]]);
  assert.equal(mul.bytesRead, 4 * (2048 + 32));
  assert.deepEqual(r.totals.byKind.depthwise, { macs: 18_432, params: 288 });
  assert.deepEqual(r.totals.byKind.pointwise, { macs: 32_768 + 256 + 256 + 32_768, params: 512 + 264 + 288 + 512 });
  assert.deepEqual(r.totals.byKind.bn, { macs: 0, params: 64 });
  // Layers partition the ops: their sums are the totals.
  for (const key of ['params', 'macs', 'elementwiseOps', 'bytesRead', 'bytesWritten', 'weightBytes'] as const)
    assert.equal(r.layers.reduce((s, l) => s + l[key], 0), r.totals[key], key);
});

test('pooling, flatten and linear: window taps, a free reshape and in*out MACs per row', () => {
  const model = new Sequential(new MaxPool2d({ kernelSize: 2 }), new Flatten(), new Linear({ inFeatures: 4 * 4 * 3, outFeatures: 10 }));
  const r = analyse(model, [2, 8, 8, 3]);
  const [pool, flat, fc] = r.layers;
  assert.deepEqual([pool.kind, pool.elementwiseOps, pool.macs], ['pool', 2 * 4 * 4 * 3 * 4, 0]);
  assert.deepEqual([flat.ops, flat.bytes], [['reshape'], 0]);
  assert.deepEqual([fc.kind, fc.macs, fc.params], ['linear', 2 * 48 * 10, 48 * 10 + 10]);
  const gap = analyse(new GlobalAvgPool2d(), [5, 7, 4]);
  assert.equal(gap.totals.elementwiseOps, 5 * 7 * 4);
});

test('totals.params equals the parameter count, with unused parameters reported apart', () => {
  class WithSpare extends Module {
    readonly conv = this.registerModule('conv', new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 1 }));
    readonly spare = this.registerParameter('spare', Tensor.zeros([5]));
    forward(x: Tensor): Tensor {
      return this.conv.call(x);
    }
  }
  const m = new WithSpare();
  const r = analyse(m, [4, 4, 3]);
  assert.deepEqual(r.unusedParameters, [{ name: 'spare', size: 5 }]);
  assert.equal(r.totals.params + 5, m.numParameters());
  assert.deepEqual(analyse(seBlock(), [8, 8, 16]).unusedParameters, []);
});

test('a weight shared by two layers is counted once, its reads twice', () => {
  class Twice extends Module {
    readonly pw = this.registerModule('pw', new PointwiseConv2d({ inChannels: 4, outChannels: 4, bias: false }));
    forward(x: Tensor): Tensor {
      return this.pw.call(this.pw.call(x));
    }
  }
  const r = analyse(new Twice(), [2, 2, 4]);
  assert.equal(r.totals.params, 16);
  assert.equal(r.totals.macs, 2 * 4 * 16);
  assert.equal(r.totals.weightBytes, 2 * 4 * 16);
  assert.equal(r.layers.length, 1);
});

test('the meta backend and the js backend give the same report', () => {
  const meta = analyse(seBlock(), [8, 8, 16]);
  const js = analyse(seBlock(), [8, 8, 16], { backend: 'js' });
  assert.deepEqual(js, meta);
});

test('restores the backend and every module training flag, also when the forward pass throws', () => {
  const model = new Sequential(new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 5 }), new BatchNorm2d({ numFeatures: 4 }));
  model.train();
  model.at(1).eval(); // a frozen batch norm must stay frozen
  const before = getBackend();
  analyse(model, [8, 8, 3]);
  assert.deepEqual(model.modules().map((m) => m.training), [true, true, false]);
  assert.throws(() => analyse(model, [3, 3, 3]), ShapeError);
  assert.equal(getBackend(), before);
  assert.deepEqual(model.modules().map((m) => m.training), [true, true, false]);
});

test('rejects malformed input shapes', () => {
  const conv = new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 1 });
  for (const bad of [[224, 224], [0, 5, 3], [1, 2, 3, 4, 5], [2.5, 4, 3]])
    assert.throws(() => analyse(conv, bad), (e: unknown) => e instanceof ArgumentError && /\[H, W, C\] or \[N, H, W, C\]/.test(e.message), JSON.stringify(bad));
});
