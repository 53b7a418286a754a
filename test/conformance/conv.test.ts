/**
 * ONNX conformance for conv2d / depthwiseConv2d / linear / matmul: each case's graph is evaluated node by node
 * with sepconv ops, on every registered compute backend, and compared with ONNX's expected output.
 *
 * Values stay in ONNX layout between nodes (NCHW activations, OIHW weights); a Conv node converts to NHWC/HWIO,
 * runs the op and converts its result back.
 *
 * Layout notes:
 * - ONNX `pads` is [top, left, bottom, right] (all begins, then all ends); sepconv's explicit Padding is
 *   [top, bottom, left, right].
 * - Depthwise with multiplier (group = C, O = C*M): ONNX output channel o belongs to group floor(o / M), i.e. reads
 *   input channel floor(o / M), so o = c*M + m, which is exactly sepconv's depthwise order. The OIHW weight
 *   [C*M, 1, KH, KW] -> HWIO [KH, KW, 1, C*M] is therefore already the [KH, KW, C*M] depthwise weight, no reordering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor, getBackend, ops, setBackend } from '../../src/index.js';
import { computeBackends } from '../helpers/backends.js';
import { assertClose } from '../helpers/close.js';
import {
  loadConformanceCase, nchwToNhwc, nhwcToNchw, oihwToHwio, type AttrValue, type ConformanceNode,
} from '../helpers/conformance.js';

const cases = [
  'test_Conv2d', 'test_Conv2d_depthwise', 'test_Conv2d_depthwise_padded', 'test_Conv2d_depthwise_strided',
  'test_Conv2d_depthwise_with_multiplier', 'test_Conv2d_dilated', 'test_Conv2d_groups', 'test_Conv2d_no_bias',
  'test_Conv2d_padding', 'test_Conv2d_strided', 'test_Linear', 'test_Linear_no_bias',
];

/** 'meta' computes shapes only; every other backend (js, wasm, native when built) must reproduce ONNX's numbers. */
const backends = computeBackends;

function ints(node: ConformanceNode, name: string, fallback: number[]): number[] {
  const v: AttrValue | undefined = node.attrs[name];
  if (v === undefined) return fallback;
  assert.ok(Array.isArray(v) && v.every((e) => typeof e === 'number'), `${node.opType}.${name} should be ints`);
  return v as number[];
}

function int(node: ConformanceNode, name: string, fallback: number): number {
  const v = node.attrs[name] ?? fallback;
  assert.equal(typeof v, 'number', `${node.opType}.${name} should be a number`);
  return v as number;
}

function runConv(node: ConformanceNode, x: Tensor, w: Tensor, bias: Tensor | null): Tensor {
  assert.ok(node.attrs['auto_pad'] === undefined || node.attrs['auto_pad'] === 'NOTSET', 'only explicit pads are used here');
  const [outC, cinPerGroup, kH, kW] = w.shape;
  assert.deepEqual(ints(node, 'kernel_shape', [kH, kW]), [kH, kW]);
  const [top, left, bottom, right] = ints(node, 'pads', [0, 0, 0, 0]);
  const options = {
    stride: ints(node, 'strides', [1, 1]) as [number, number],
    dilation: ints(node, 'dilations', [1, 1]) as [number, number],
    padding: [top, bottom, left, right] as const,
  };
  const groups = int(node, 'group', 1);
  const xs = nchwToNhwc(x.data, [...x.shape]);
  const ws = oihwToHwio(w.data, [...w.shape]);
  const xt = new Tensor(xs.data, xs.dims);
  const channels = x.shape[1];
  const y = groups === channels && cinPerGroup === 1
    ? ops.depthwiseConv2d(xt, new Tensor(ws.data, [kH, kW, outC]), bias, options)
    : ops.conv2d(xt, new Tensor(ws.data, ws.dims), bias, { ...options, groups });
  const back = nhwcToNchw(y.data, [...y.shape]);
  return new Tensor(back.data, back.dims);
}

function runGemm(node: ConformanceNode, a: Tensor, b: Tensor, c: Tensor | null): Tensor {
  // Gemm: alpha * op(A) op(B) + beta * C; the cases use alpha = beta = 1 and a [N] (broadcast) C.
  assert.equal(int(node, 'alpha', 1), 1);
  assert.equal(int(node, 'beta', 1), 1);
  const lhs = int(node, 'transA', 0) === 1 ? ops.transpose(a, [1, 0]) : a;
  const rhs = int(node, 'transB', 0) === 1 ? ops.transpose(b, [1, 0]) : b;
  return c === null ? ops.matmul(lhs, rhs) : ops.linear(lhs, rhs, c);
}

function runNode(node: ConformanceNode, args: Tensor[]): Tensor {
  switch (node.opType) {
    case 'Conv': return runConv(node, args[0], args[1], args[2] ?? null);
    case 'Gemm': return runGemm(node, args[0], args[1], args[2] ?? null);
    case 'MatMul': return ops.matmul(args[0], args[1]);
    case 'Transpose': return ops.transpose(args[0], ints(node, 'perm', [...args[0].shape.keys()].reverse()));
    default: throw new Error(`conformance: no sepconv op for ONNX ${node.opType}`);
  }
}

for (const name of cases) {
  for (const backend of backends) {
    test(`${name} on ${backend}`, () => {
      const c = loadConformanceCase(name);
      const values = new Map<string, Tensor>();
      for (const [key, t] of c.initializers) values.set(key, new Tensor(t.data, t.dims));
      for (const t of c.inputs) values.set(t.name, new Tensor(t.data, t.dims));
      const previous = getBackend();
      setBackend(backend);
      try {
        for (const node of c.nodes) {
          const args = node.inputs.filter((i) => i !== '').map((i) => {
            const v = values.get(i);
            assert.ok(v !== undefined, `${name}: value ${i} is not defined`);
            return v;
          });
          values.set(node.outputs[0], runNode(node, args));
        }
      } finally {
        setBackend(previous);
      }
      for (const expected of c.outputs) {
        const actual = values.get(expected.name);
        assert.ok(actual !== undefined, `${name}: output ${expected.name} was not computed`);
        assert.deepEqual(actual.shape, expected.dims, `${name}: output shape`);
        assertClose(actual.data, expected.data, { rtol: 1e-5, atol: 1e-6 }, name);
      }
    });
  }
}
