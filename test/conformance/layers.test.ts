/**
 * ONNX conformance for the non-convolution layer ops: each case's single node is mapped onto the sepconv op, run
 * on the case's input (converted NCHW -> NHWC where the op has a channel axis) and compared with the expected
 * output at rtol 1e-5.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor, getBackend, ops, setBackend } from '../../src/index.js';
import { computeBackends } from '../helpers/backends.js';
import { assertClose } from '../helpers/close.js';
import {
  loadConformanceCase, nchwToNhwc, nhwcToNchw, type AttrValue, type ConformanceCase, type ConformanceNode,
} from '../helpers/conformance.js';

const tolerance = { rtol: 1e-5, atol: 1e-7 };

interface Plain {
  dims: number[];
  data: Float32Array;
}

function intAttr(node: ConformanceNode, name: string, fallback: number): number {
  const v: AttrValue | undefined = node.attrs[name];
  if (v === undefined) return fallback;
  assert.equal(typeof v, 'number', `${node.opType}.${name} should be a number`);
  return v as number;
}

function intsAttr(node: ConformanceNode, name: string, fallback: number[]): number[] {
  const v: AttrValue | undefined = node.attrs[name];
  if (v === undefined) return fallback;
  assert.ok(Array.isArray(v), `${node.opType}.${name} should be a list`);
  return v as number[];
}

/** A node input's value: a graph input (fed from input_<i>.pb) or an initializer. */
function valueOf(c: ConformanceCase, name: string): Plain {
  const init = c.initializers.get(name);
  if (init !== undefined) return init;
  const input = c.inputs.find((t) => t.name === name);
  assert.ok(input !== undefined, `${c.name}: no value for node input '${name}'`);
  return input;
}

function nhwcTensor(v: Plain): Tensor {
  const t = nchwToNhwc(v.data, v.dims);
  return new Tensor(t.data, t.dims);
}

function toNchw(t: Tensor): Plain {
  return nhwcToNchw(t.data, [...t.shape]);
}

function asIs(t: Tensor): Plain {
  return { dims: [...t.shape], data: t.data };
}

/** ONNX pool pads are [h_begin, w_begin, h_end, w_end]; sepconv's explicit padding is [top, bottom, left, right]. */
function poolOptions(node: ConformanceNode) {
  const [kH, kW] = intsAttr(node, 'kernel_shape', []);
  const [sH, sW] = intsAttr(node, 'strides', [1, 1]);
  const [hb, wb, he, we] = intsAttr(node, 'pads', [0, 0, 0, 0]);
  assert.equal(node.attrs['auto_pad'] ?? 'NOTSET', 'NOTSET', `${node.opType}: only explicit pads are mapped here`);
  assert.equal(intAttr(node, 'ceil_mode', 0), 0, `${node.opType}: ceil_mode is not supported`);
  return { kernelSize: [kH, kW] as [number, number], stride: [sH, sW] as [number, number], padding: [hb, he, wb, we] as [number, number, number, number] };
}

/** Runs the case's single node with sepconv ops; returns the output in ONNX layout. */
function run(c: ConformanceCase): Plain {
  assert.equal(c.nodes.length, 1, `${c.name}: expected a single-node graph`);
  const node = c.nodes[0];
  const input = (i: number) => valueOf(c, node.inputs[i]);
  // Element-wise ops do not care about layout: they run on the NCHW data as is, whatever the rank.
  const plain = (i: number) => new Tensor(input(i).data, input(i).dims);
  switch (node.opType) {
    case 'Relu': return asIs(ops.relu(plain(0)));
    case 'Sigmoid': return asIs(ops.sigmoid(plain(0)));
    case 'Tanh': return asIs(ops.tanh(plain(0)));
    case 'LeakyRelu': return asIs(ops.leakyRelu(plain(0), (node.attrs['alpha'] as number | undefined) ?? 0.01));
    case 'PRelu': {
      const x = input(0);
      const slope = input(1);
      // A single slope broadcasts over any layout; a per-channel one ([C, 1, 1] in NCHW) needs channels last.
      if (slope.data.length === 1) return asIs(ops.prelu(plain(0), new Tensor(slope.data, [1])));
      assert.ok(x.dims.length === 4 && slope.data.length === x.dims[1], `${c.name}: slope ${slope.dims} is neither shared nor per-channel`);
      return toNchw(ops.prelu(nhwcTensor(x), new Tensor(slope.data, [slope.data.length])));
    }
    case 'BatchNormalization': {
      // Opsets < 7 mark inference with is_test (default 0 = training); 14+ have training_mode (default 0).
      const training = c.opsetVersion < 7 ? intAttr(node, 'is_test', 0) === 0 : intAttr(node, 'training_mode', 0) === 1;
      assert.equal(training, false, `${c.name}: only inference-mode BatchNormalization is mapped`);
      const vec = (i: number) => new Tensor(input(i).data, [input(i).data.length]);
      return toNchw(ops.batchNorm2d(nhwcTensor(input(0)), {
        gamma: vec(1), beta: vec(2), runningMean: vec(3), runningVar: vec(4), training: false,
        eps: (node.attrs['epsilon'] as number | undefined) ?? 1e-5,
      }));
    }
    case 'AveragePool':
      return toNchw(ops.avgPool2d(nhwcTensor(input(0)), { ...poolOptions(node), countIncludePad: intAttr(node, 'count_include_pad', 0) === 1 }));
    case 'MaxPool':
      return toNchw(ops.maxPool2d(nhwcTensor(input(0)), poolOptions(node)));
    case 'Softmax': {
      const x = input(0);
      const rank = x.dims.length;
      const axis = intAttr(node, 'axis', c.opsetVersion >= 13 ? -1 : 1);
      if (c.opsetVersion >= 13) return asIs(ops.softmax(plain(0), axis));
      // Before opset 13 the input is flattened to 2-D at `axis` and softmax runs over the whole second part.
      const a = axis < 0 ? axis + rank : axis;
      const outer = x.dims.slice(0, a).reduce((p, d) => p * d, 1);
      const y = ops.softmax(new Tensor(x.data, [outer, x.data.length / outer]), -1);
      return { dims: x.dims, data: y.data };
    }
    case 'Pad': {
      // Opset < 11: pads attribute [x1_begin, x2_begin, ..., x1_end, x2_end, ...] over NCHW axes.
      assert.equal(node.attrs['mode'] ?? 'constant', 'constant', `${c.name}: only constant padding is mapped`);
      const [nb, cb, top, left, ne, ce, bottom, right] = intsAttr(node, 'pads', []);
      assert.deepEqual([nb, cb, ne, ce], [0, 0, 0, 0], `${c.name}: only H and W padding maps onto pad2d`);
      return toNchw(ops.pad2d(nhwcTensor(input(0)), { top, bottom, left, right }, (node.attrs['value'] as number | undefined) ?? 0));
    }
    default:
      throw new Error(`${c.name}: no mapping for ONNX op ${node.opType}`);
  }
}

const cases: [name: string, opType: string][] = [
  ['test_ReLU', 'Relu'],
  ['test_Sigmoid', 'Sigmoid'],
  ['test_Tanh', 'Tanh'],
  ['test_LeakyReLU', 'LeakyRelu'],
  ['test_PReLU_2d', 'PRelu'],
  ['test_BatchNorm2d_eval', 'BatchNormalization'],
  ['test_BatchNorm2d_momentum_eval', 'BatchNormalization'],
  ['test_AvgPool2d', 'AveragePool'],
  ['test_AvgPool2d_stride', 'AveragePool'],
  ['test_MaxPool2d', 'MaxPool'],
  ['test_Softmax', 'Softmax'],
  ['test_ZeroPad2d', 'Pad'],
];

/** Every backend that computes values (js, wasm, native when built) must reproduce ONNX's numbers. */
for (const backend of computeBackends)
  for (const [name, opType] of cases) {
    test(`ONNX conformance ${name} on ${backend}`, () => {
      const c = loadConformanceCase(name);
      assert.equal(c.nodes[0]?.opType, opType, `${name}: unexpected node`);
      assert.equal(c.outputs.length, 1);
      const previous = getBackend();
      setBackend(backend);
      try {
        const actual = run(c);
        const expected = c.outputs[0];
        assert.deepEqual(actual.dims, expected.dims, `${name} on ${backend}: output dims`);
        assertClose(actual.data, expected.data, tolerance, `${name} on ${backend}`);
      } finally {
        setBackend(previous);
      }
    });
  }
