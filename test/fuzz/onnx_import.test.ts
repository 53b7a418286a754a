import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { attr, floatTensor, graph, int64Tensor, model, node, valueInfo, type AttrValue } from '../../src/io/onnx/builder.js';
import { encodeModel } from '../../src/io/onnx/encode.js';
import { SUPPORTED_ONNX_OPS, importOnnx } from '../../src/io/onnx/import.js';
import { decodeTensor, tensorToFloat32, type TensorProto } from '../../src/io/onnx/proto.js';
import { tidy } from '../../src/tensor/memory.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { fuzzReader, type FuzzInput } from './harness.js';

const CONFORMANCE = join(import.meta.dirname, '../../../../shared/onnx-conformance');
const cases = readdirSync(CONFORMANCE).filter((n) => n.startsWith('test_')).sort();
const models = cases.map((c) => new Uint8Array(readFileSync(join(CONFORMANCE, c, 'model.onnx'))));
const inputs = cases.map((c) => {
  const t = decodeTensor(new Uint8Array(readFileSync(join(CONFORMANCE, c, 'test_data_set_0', 'input_0.pb'))));
  return { dims: t.dims, data: tensorToFloat32(t) };
});

/** Runs an imported model on `x` fed to every graph input (errors must be typed, like the import's). */
function importAndRun(bytes: Uint8Array, x: { dims: number[]; data: Float32Array } | undefined): void {
  const m = importOnnx(bytes);
  if (x === undefined) return;
  tidy(() => {
    const t = new Tensor(x.data.slice(), x.dims);
    m.run(Object.fromEntries(m.inputs.map((i) => [i.name, t])), 'onnx');
  });
}

// ---- random graphs of supported ops with hostile attributes and inputs ----

/** Integers that break shape arithmetic, and small ones that make valid graphs. */
const anInt = fc.oneof({ arbitrary: fc.integer({ min: -3, max: 4 }), weight: 4 },
  fc.constantFrom(-(2 ** 53 - 1), -(2 ** 31), 2 ** 31 - 1, 2 ** 32, 2 ** 53 - 1, 1e6));

const ATTRIBUTE_NAMES = ['axis', 'axes', 'perm', 'kernel_shape', 'strides', 'pads', 'dilations', 'group', 'alpha', 'beta',
  'transA', 'transB', 'epsilon', 'momentum', 'mode', 'value', 'value_float', 'value_ints', 'to', 'keepdims', 'auto_pad',
  'ceil_mode', 'count_include_pad', 'min', 'max', 'allowzero', 'noop_with_empty_axes', 'storage_order', 'spatial', 'ratio'];

const attrValue: fc.Arbitrary<AttrValue> = fc.oneof(
  anInt.map(attr.int),
  fc.array(anInt, { maxLength: 8 }).map(attr.ints),
  fc.oneof(fc.float({ noNaN: false }), fc.constantFrom(0, 1, -1, 0.5)).map(attr.float),
  fc.array(fc.float(), { maxLength: 4 }).map(attr.floats),
  fc.constantFrom('NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID', 'constant', 'reflect', 'edge', '').map(attr.string),
  fc.array(anInt, { minLength: 1, maxLength: 4 }).map((v) => attr.tensor(int64Tensor('', [v.length], v))),
);

const dims = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

const initializer: fc.Arbitrary<(name: string) => TensorProto> = fc.oneof(
  dims.chain((d) => fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: d.reduce((a, b) => a * b, 1), maxLength: d.reduce((a, b) => a * b, 1) })
    .map((values) => (name: string) => floatTensor(name, d, values))),
  fc.array(anInt, { maxLength: 6 }).map((v) => (name: string) => int64Tensor(name, [v.length], v)),
);

const nodeSpec = fc.record({
  op: fc.constantFrom(...SUPPORTED_ONNX_OPS),
  inputs: fc.array(fc.oneof({ arbitrary: fc.nat(), weight: 4 }, fc.constant(-1)), { minLength: 1, maxLength: 5 }),
  outputs: fc.integer({ min: 1, max: 2 }),
  // Often none: an attribute the op does not read is rejected, which would hide everything behind it.
  attrs: fc.oneof({ arbitrary: fc.constant([]), weight: 2 }, fc.array(fc.tuple(fc.constantFrom(...ATTRIBUTE_NAMES), attrValue), { maxLength: 4 })),
});

/** Whether every integer in the model is small, so running it cannot ask for huge tensors. */
function smallInts(attrs: readonly (readonly [string, AttrValue])[], inits: readonly TensorProto[]): boolean {
  const small = (v: number) => Math.abs(v) <= 16;
  return attrs.every(([, a]) => small(a.i) && a.ints.every(small) && (a.t?.int64_data.every(small) ?? true)) &&
    inits.every((t) => t.int64_data.every(small));
}

const X = { dims: [1, 2, 4, 4], data: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)) };

/** The seed of a generated graph small enough to run (other generated graphs are only imported). */
const RUNNABLE = -2;

const randomGraph: fc.Arbitrary<FuzzInput> = fc.record({
  opset: fc.integer({ min: 7, max: 21 }),
  inits: fc.array(initializer, { maxLength: 3 }),
  nodes: fc.array(nodeSpec, { minLength: 1, maxLength: 4 }),
}).map(({ opset, inits, nodes }) => {
  const initializers = inits.map((make, k) => make(`w${k}`));
  const values = ['x', ...initializers.map((t) => t.name)];
  const built = nodes.map((n, k) => {
    const ins = n.inputs.map((i) => (i < 0 ? '' : values[i % values.length]));
    const outs = Array.from({ length: n.outputs }, (_, o) => `n${k}_${o}`);
    values.push(...outs);
    return node(n.op, ins, outs, Object.fromEntries(n.attrs));
  });
  const last = built[built.length - 1].output[0];
  const g = graph({ nodes: built, inputs: [valueInfo('x', X.dims)], outputs: [valueInfo(last, null)], initializers });
  const runnable = smallInts(nodes.flatMap((n) => n.attrs), initializers);
  return { seed: runnable ? RUNNABLE : -1, bytes: encodeModel(model(g, { opset })) };
});

test('fuzz: ONNX import (conformance models mutated, and random graphs of supported ops), running what imports', () => {
  const report = fuzzReader({
    name: 'onnx import', seeds: models, generated: randomGraph,
    read: ({ seed, bytes }) => importAndRun(bytes, seed >= 0 ? inputs[seed] : seed === RUNNABLE ? X : undefined),
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

// Regressions found by the fuzzer.

test('ONNX import: a node missing a required input is a FormatError naming it, not a TypeError', () => {
  const g = graph({
    nodes: [node('Transpose', [], ['t'], { perm: attr.ints([1, 0]) }), node('MatMul', ['x'], ['y'])],
    inputs: [valueInfo('x', [2, 2])], outputs: [valueInfo('y', null)],
  });
  assert.throws(() => importOnnx(encodeModel(model(g))),
    /node 't' \(Transpose\): required input 0 is missing \(Transpose needs 1\)[\s\S]*MatMul\): required input 1 is missing \(MatMul needs 2\)/);
});

test('ONNX import: reading an output the op does not produce is a FormatError, not a TypeError at run time', () => {
  const g = graph({
    nodes: [node('Add', ['x', 'x'], ['sum', 'extra']), node('Relu', ['extra'], ['y'])],
    inputs: [valueInfo('x', [1, 2])], outputs: [valueInfo('y', null)],
  });
  assert.throws(() => importOnnx(encodeModel(model(g))), /node 'sum' \(Add\): output 1 "extra" is read, but Add has 1 output/);
});
