/**
 * Hand-written ONNX graphs (encoded with sepconv's own encoder) for every import path, each checked against ONNX
 * Runtime on the same file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, floatTensor, graph, int64Tensor, model, node, valueInfo } from '../../../src/io/onnx/builder.js';
import { encodeModel } from '../../../src/io/onnx/encode.js';
import { DataType, type NodeProto, type TensorProto } from '../../../src/io/onnx/proto.js';
import { importOnnx } from '../../../src/io/onnx/import.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { traceOps } from '../../../src/tensor/trace.js';
import { importAndCompare, randomData, type Data } from './ort.js';

interface Spec {
  opset: number;
  nodes: NodeProto[];
  /** Graph inputs with their (possibly symbolic) dims. */
  inputs: [string, (number | string)[]][];
  outputs: string[];
  inits?: TensorProto[];
}

function file(s: Spec): Uint8Array {
  return encodeModel(model(graph({
    nodes: s.nodes,
    inputs: s.inputs.map(([n, d]) => valueInfo(n, d)),
    outputs: s.outputs.map((n) => valueInfo(n, null)),
    initializers: s.inits,
  }), { opset: s.opset }));
}

const w = (name: string, dims: number[], seed: number, lo = -1, hi = 1): TensorProto => floatTensor(name, dims, randomData(dims, seed, lo, hi).data);
const ints = (name: string, values: number[]): TensorProto => int64Tensor(name, [values.length], values);
const x = (dims: number[], seed = 1, lo = -4, hi = 4): Record<string, Data> => ({ x: randomData(dims, seed, lo, hi) });

/** Compares with ONNX Runtime and returns the names of the sepconv ops the imported model runs. */
async function tracedOps(bytes: Uint8Array, feeds: Record<string, Data>, what: string): Promise<string[]> {
  const m = await importAndCompare(bytes, feeds, what);
  const ops: string[] = [];
  traceOps((e) => ops.push(e.op), () => m.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor(v.data, v.dims)]))));
  return ops;
}

test('Clip: attribute form (opset 10) and input form (opset 13), relu6 / relu / general bounds', async () => {
  for (const [lo, hi] of [[0, 6], [0, null], [-1, 0.5]] as const) {
    const attrs = { min: attr.float(lo), ...(hi === null ? {} : { max: attr.float(hi) }) };
    await importAndCompare(file({ opset: 10, nodes: [node('Clip', ['x'], ['y'], attrs)], inputs: [['x', [2, 3, 4, 5]]], outputs: ['y'] }),
      x([2, 3, 4, 5]), `Clip attr [${lo}, ${hi}]`);
    const inits = [floatTensor('lo', [], [lo]), ...(hi === null ? [] : [floatTensor('hi', [], [hi])])];
    await importAndCompare(file({ opset: 13, nodes: [node('Clip', ['x', 'lo', hi === null ? '' : 'hi'], ['y'])], inputs: [['x', [2, 3, 4, 5]]], outputs: ['y'], inits }),
      x([2, 3, 4, 5]), `Clip inputs [${lo}, ${hi}]`);
  }
  // Only a max: the omitted min is an empty input name.
  await importAndCompare(file({ opset: 13, nodes: [node('Clip', ['x', '', 'hi'], ['y'])], inputs: [['x', [3, 4]]], outputs: ['y'], inits: [floatTensor('hi', [], [0.25])] }),
    x([3, 4]), 'Clip max only');
});

test('HardSigmoid (ONNX default alpha 0.2 and PyTorch alpha 1/6) and HardSwish (opset 14)', async () => {
  await importAndCompare(file({ opset: 13, nodes: [node('HardSigmoid', ['x'], ['y'])], inputs: [['x', [2, 3, 4, 4]]], outputs: ['y'] }), x([2, 3, 4, 4]), 'HardSigmoid default');
  const pt = await tracedOps(file({ opset: 13, nodes: [node('HardSigmoid', ['x'], ['y'], { alpha: attr.float(1 / 6), beta: attr.float(0.5) })], inputs: [['x', [2, 3, 4, 4]]], outputs: ['y'] }),
    x([2, 3, 4, 4]), 'HardSigmoid 1/6');
  assert.deepEqual(pt, ['hardSigmoid']);
  await importAndCompare(file({ opset: 14, nodes: [node('HardSwish', ['x'], ['y'])], inputs: [['x', [2, 3, 4, 4]]], outputs: ['y'] }), x([2, 3, 4, 4]), 'HardSwish');
});

test('hard-swish and swish written with primitives are fused into one op', async () => {
  const clip13 = (i: string, o: string) => node('Clip', [i, 'zero', 'six'], [o]);
  const consts = [floatTensor('three', [], [3]), floatTensor('zero', [], [0]), floatTensor('six', [], [6]), floatTensor('sixth', [], [1 / 6])];
  const variants: [string, NodeProto[]][] = [
    ['x * clip(x + 3) / 6', [node('Add', ['x', 'three'], ['a']), clip13('a', 'c'), node('Mul', ['x', 'c'], ['m']), node('Div', ['m', 'six'], ['y'])]],
    ['(clip(3 + x) * x) * 1/6', [node('Add', ['three', 'x'], ['a']), clip13('a', 'c'), node('Mul', ['c', 'x'], ['m']), node('Mul', ['m', 'sixth'], ['y'])]],
    ['x * (clip(x + 3) / 6)', [node('Add', ['x', 'three'], ['a']), clip13('a', 'c'), node('Div', ['c', 'six'], ['d']), node('Mul', ['x', 'd'], ['y'])]],
    ['x * HardSigmoid(x)', [node('HardSigmoid', ['x'], ['h'], { alpha: attr.float(1 / 6), beta: attr.float(0.5) }), node('Mul', ['x', 'h'], ['y'])]],
  ];
  for (const [what, nodes] of variants) {
    const ops = await tracedOps(file({ opset: 13, nodes, inputs: [['x', [2, 3, 5, 5]]], outputs: ['y'], inits: consts }), x([2, 3, 5, 5], 2, -5, 5), what);
    assert.deepEqual(ops, ['hardSwish'], what);
  }
  // Opset 10: Clip bounds are attributes.
  const old = [node('Add', ['x', 'three'], ['a']), node('Clip', ['a'], ['c'], { min: attr.float(0), max: attr.float(6) }),
    node('Mul', ['x', 'c'], ['m']), node('Div', ['m', 'six'], ['y'])];
  assert.deepEqual(await tracedOps(file({ opset: 10, nodes: old, inputs: [['x', [2, 3, 5, 5]]], outputs: ['y'], inits: consts }), x([2, 3, 5, 5]), 'opset 10'), ['hardSwish']);
  const swish = await tracedOps(file({ opset: 13, nodes: [node('Sigmoid', ['x'], ['s']), node('Mul', ['s', 'x'], ['y'])], inputs: [['x', [2, 3, 5, 5]]], outputs: ['y'] }),
    x([2, 3, 5, 5]), 'swish');
  assert.deepEqual(swish, ['swish']);
  // An intermediate that is also a graph output must survive: no fusion, same numbers.
  const kept = await tracedOps(file({ opset: 13, nodes: [node('Sigmoid', ['x'], ['s']), node('Mul', ['x', 's'], ['y'])], inputs: [['x', [2, 3]]], outputs: ['y', 's'] }),
    x([2, 3]), 'swish with sigmoid output');
  assert.deepEqual(kept, ['sigmoid', 'mul']);
});

test('Shape/Gather/Unsqueeze/Concat reshape chains follow the real batch size', async () => {
  const nodes = [
    node('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) }),
    node('Shape', ['c'], ['s']),
    node('Gather', ['s', 'zero'], ['n'], { axis: attr.int(0) }),
    node('Unsqueeze', ['n', 'axes0'], ['n1']),
    node('Concat', ['n1', 'minus1'], ['target'], { axis: attr.int(0) }),
    node('Reshape', ['c', 'target'], ['flat']),
    node('Gemm', ['flat', 'fc', 'fcb'], ['y'], { transB: attr.int(1) }),
  ];
  const inits = [w('w', [4, 3, 3, 3], 1), w('b', [4], 2), int64Tensor('zero', [], [0]), ints('axes0', [0]), ints('minus1', [-1]),
    w('fc', [5, 4 * 6 * 5], 3), w('fcb', [5], 4)];
  const bytes = file({ opset: 13, nodes, inputs: [['x', ['N', 3, 6, 5]]], outputs: ['y'], inits });
  for (const n of [1, 3]) await importAndCompare(bytes, x([n, 3, 6, 5], n), `batch ${n}`, 1e-4);
  // Cast and integer Div on shapes (channels // groups, as exporters compute it).
  const shuffle = [
    node('Shape', ['x'], ['s']),
    node('Gather', ['s', 'one'], ['c'], { axis: attr.int(0) }),
    node('Div', ['c', 'two'], ['half']),
    node('Cast', ['half'], ['halff'], { to: attr.int(1) }),
    node('Cast', ['halff'], ['halfi'], { to: attr.int(7) }),
    node('Unsqueeze', ['halfi', 'axes0'], ['h1']),
    node('Concat', ['minus1', 'h1'], ['t'], { axis: attr.int(0) }),
    node('Reshape', ['x', 't'], ['y']),
  ];
  await importAndCompare(file({ opset: 13, nodes: shuffle, inputs: [['x', [2, 4, 3, 3]]], outputs: ['y'],
    inits: [int64Tensor('one', [], [1]), int64Tensor('two', [], [2]), ints('axes0', [0]), ints('minus1', [-1])] }), x([2, 4, 3, 3]), 'shape arithmetic');
});

test('ShuffleNet channel shuffle (Reshape-Transpose-Reshape) between convolutions', async () => {
  const nodes = [
    node('Conv', ['x', 'w1'], ['a'], { kernel_shape: attr.ints([1, 1]), group: attr.int(2) }),
    node('Reshape', ['a', 's5'], ['r']),
    node('Transpose', ['r'], ['t'], { perm: attr.ints([0, 2, 1, 3, 4]) }),
    node('Reshape', ['t', 's4'], ['sh']),
    node('Conv', ['sh', 'w2', 'b2'], ['y'], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), group: attr.int(6) }),
  ];
  const inits = [w('w1', [6, 2, 1, 1], 1), ints('s5', [2, 2, 3, 5, 4]), ints('s4', [2, 6, 5, 4]), w('w2', [6, 1, 3, 3], 2), w('b2', [6], 3)];
  await importAndCompare(file({ opset: 13, nodes, inputs: [['x', [2, 4, 5, 4]]], outputs: ['y'], inits }), x([2, 4, 5, 4]), 'channel shuffle');
});

test('Pad (input form with asymmetric pads and a value, opset 18 axes) and asymmetric Conv pads', async () => {
  await importAndCompare(file({ opset: 13, nodes: [node('Pad', ['x', 'p', 'v'], ['y'])], inputs: [['x', [2, 3, 4, 5]]], outputs: ['y'],
    inits: [ints('p', [0, 0, 1, 2, 0, 0, 3, 0]), floatTensor('v', [], [0.5])] }), x([2, 3, 4, 5]), 'Pad');
  await importAndCompare(file({ opset: 18, nodes: [node('Pad', ['x', 'p', '', 'ax'], ['y'])], inputs: [['x', [2, 3, 4, 5]]], outputs: ['y'],
    inits: [ints('p', [2, 0, 1, 1]), ints('ax', [-1, 2])] }), x([2, 3, 4, 5]), 'Pad axes');
  await importAndCompare(file({ opset: 13, nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { pads: attr.ints([0, 2, 1, 1]), strides: attr.ints([2, 1]) })],
    inputs: [['x', [2, 3, 7, 6]]], outputs: ['y'], inits: [w('w', [4, 3, 3, 2], 1), w('b', [4], 2)] }), x([2, 3, 7, 6]), 'asymmetric conv pads');
});

test('auto_pad SAME_UPPER / SAME_LOWER / VALID on Conv, depthwise Conv and pools', async () => {
  for (const autoPad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
    const a = { auto_pad: attr.string(autoPad), strides: attr.ints([2, 2]) };
    const nodes = [
      node('Conv', ['x', 'w'], ['c'], { ...a, kernel_shape: attr.ints([4, 4]) }),
      node('Conv', ['c', 'dw', 'db'], ['d'], { ...a, group: attr.int(4) }),
      node('MaxPool', ['d'], ['m'], { auto_pad: attr.string(autoPad), kernel_shape: attr.ints([2, 2]), strides: attr.ints([1, 1]) }),
      node('AveragePool', ['x'], ['p'], { ...a, kernel_shape: attr.ints([2, 3]) }),
    ];
    await importAndCompare(file({ opset: 13, nodes, inputs: [['x', [1, 3, 17, 16]]], outputs: ['m', 'p'],
      inits: [w('w', [4, 3, 4, 4], 1), w('dw', [8, 1, 3, 2], 2), w('db', [8], 3)] }), x([1, 3, 17, 16]), autoPad, 1e-4);
  }
});

test('pools: explicit pads, count_include_pad, ceil_mode; GlobalAveragePool', async () => {
  const nodes = [
    node('MaxPool', ['x'], ['a'], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 0, 1, 1]), ceil_mode: attr.int(1) }),
    node('AveragePool', ['x'], ['b'], { kernel_shape: attr.ints([3, 2]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 0]), count_include_pad: attr.int(1) }),
    node('AveragePool', ['x'], ['c'], { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) }),
    node('GlobalAveragePool', ['x'], ['g']),
  ];
  await importAndCompare(file({ opset: 13, nodes, inputs: [['x', [2, 3, 8, 7]]], outputs: ['a', 'b', 'c', 'g'] }), x([2, 3, 8, 7]), 'pools');
});

test('ReduceMean / ReduceSum (attribute axes, input axes from 18 / 13), Squeeze/Unsqueeze in both forms', async () => {
  const inits = [ints('hw', [2, 3]), ints('a1', [1]), ints('a23', [2, 3])];
  await importAndCompare(file({ opset: 13, nodes: [
    node('ReduceMean', ['x'], ['k'], { axes: attr.ints([2, 3]) }),
    node('ReduceMean', ['x'], ['d'], { axes: attr.ints([1, -1]), keepdims: attr.int(0) }),
    node('ReduceMean', ['x'], ['all'], { keepdims: attr.int(0) }),
    node('Squeeze', ['k', 'a23'], ['sq']),
    node('Unsqueeze', ['sq', 'a23'], ['un']),
    node('Mul', ['x', 'un'], ['y']),
  ], inputs: [['x', [2, 3, 4, 5]]], outputs: ['k', 'd', 'all', 'sq', 'y'], inits }), x([2, 3, 4, 5]), 'opset 13');
  await importAndCompare(file({ opset: 11, nodes: [
    node('ReduceMean', ['x'], ['k'], { axes: attr.ints([2, 3]), keepdims: attr.int(1) }),
    node('Squeeze', ['k'], ['sq'], { axes: attr.ints([2, 3]) }),
    node('Unsqueeze', ['sq'], ['un'], { axes: attr.ints([2, 3]) }),
    node('Squeeze', ['un'], ['all']),
    node('Add', ['x', 'un'], ['y']),
  ], inputs: [['x', [2, 3, 4, 5]]], outputs: ['sq', 'all', 'y'] }), x([2, 3, 4, 5]), 'opset 11');
  await importAndCompare(file({ opset: 18, nodes: [
    node('ReduceMean', ['x', 'hw'], ['k']),
    node('ReduceMean', ['x', 'a1'], ['d'], { keepdims: attr.int(0) }),
  ], inputs: [['x', [2, 3, 4, 5]]], outputs: ['k', 'd'], inits }), x([2, 3, 4, 5]), 'opset 18');
  await importAndCompare(file({ opset: 11, nodes: [node('ReduceSum', ['x'], ['s'], { axes: attr.ints([1]), keepdims: attr.int(0) })],
    inputs: [['x', [2, 3, 4, 5]]], outputs: ['s'] }), x([2, 3, 4, 5]), 'ReduceSum opset 11');
  await importAndCompare(file({ opset: 13, nodes: [node('ReduceSum', ['x', 'hw'], ['s']), node('ReduceSum', ['x'], ['all'], { keepdims: attr.int(0) })],
    inputs: [['x', [2, 3, 4, 5]]], outputs: ['s', 'all'], inits }), x([2, 3, 4, 5]), 'ReduceSum opset 13');
});

test('Gemm with transA / transB / alpha / beta, as a Linear layer and with B and C at run time', async () => {
  for (const [tA, tB] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    const a = { transA: attr.int(tA), transB: attr.int(tB), alpha: attr.float(0.7), beta: attr.float(-1.3) };
    const aDims = tA ? [6, 3] : [3, 6];
    const bDims = tB ? [4, 6] : [6, 4];
    await importAndCompare(file({ opset: 13, nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], a)], inputs: [['a', aDims]], outputs: ['y'],
      inits: [w('b', bDims, 1), w('c', [4], 2)] }), { a: randomData(aDims, 3) }, `Gemm const B ${tA}${tB}`);
    await importAndCompare(file({ opset: 13, nodes: [node('Gemm', ['a', 'b', 'c'], ['y'], a)], inputs: [['a', aDims], ['b', bDims], ['c', [3, 4]]], outputs: ['y'] }),
      { a: randomData(aDims, 3), b: randomData(bDims, 4), c: randomData([3, 4], 5) }, `Gemm run-time B ${tA}${tB}`);
  }
  await importAndCompare(file({ opset: 13, nodes: [node('Gemm', ['a', 'b'], ['y'])], inputs: [['a', [3, 6]]], outputs: ['y'], inits: [w('b', [6, 4], 1)] }),
    { a: randomData([3, 6], 3) }, 'Gemm without C');
  await importAndCompare(file({ opset: 13, nodes: [node('MatMul', ['a', 'b'], ['y'])], inputs: [['a', [2, 3, 6]]], outputs: ['y'], inits: [w('b', [6, 4], 1)] }),
    { a: randomData([2, 3, 6], 3) }, 'MatMul 3-D x constant');
});

test('layout-sensitive ops on NHWC activations: Concat, Softmax, Flatten, Transpose, broadcasting constants', async () => {
  const nodes = [
    node('Conv', ['x', 'w'], ['c'], { kernel_shape: attr.ints([1, 1]) }),
    node('Concat', ['c', 'x'], ['cat'], { axis: attr.int(1) }),
    node('Add', ['cat', 'bias'], ['biased']),
    node('Mul', ['biased', 'scale'], ['scaled']),
    node('Softmax', ['scaled'], ['sm'], { axis: attr.int(1) }),
    node('Transpose', ['sm'], ['tr'], { perm: attr.ints([0, 2, 3, 1]) }),
    node('Softmax', ['tr'], ['sm2'], { axis: attr.int(-1) }),
    node('Flatten', ['sm'], ['flat'], { axis: attr.int(1) }),
    node('Sub', ['one', 'flat'], ['y']),
  ];
  const inits = [w('w', [2, 3, 1, 1], 1), w('bias', [5, 1, 1], 2), w('scale', [3, 1], 3), floatTensor('one', [], [1])];
  await importAndCompare(file({ opset: 13, nodes, inputs: [['x', [2, 3, 3, 4]]], outputs: ['y', 'sm2', 'tr'], inits }), x([2, 3, 3, 4]), 'layout ops');
  // Before opset 13, Softmax normalises over all axes from `axis` on.
  await importAndCompare(file({ opset: 11, nodes: [node('Softmax', ['x'], ['y'], { axis: attr.int(1) }), node('LogSoftmax', ['x'], ['z'], { axis: attr.int(3) })],
    inputs: [['x', [2, 3, 2, 2]]], outputs: ['y', 'z'] }), x([2, 3, 2, 2]), 'legacy softmax');
});

test('network ops: depthwise with multiplier, grouped and dilated Conv, BatchNormalization, PRelu, LeakyRelu, Sigmoid, Tanh, Dropout, Identity', async () => {
  const nodes = [
    node('Conv', ['x', 'dw'], ['a'], { group: attr.int(4), pads: attr.ints([1, 1, 1, 1]), dilations: attr.ints([1, 2]) }),
    node('BatchNormalization', ['a', 'g', 'be', 'm', 'v'], ['bn'], { epsilon: attr.float(1e-3) }),
    node('PRelu', ['bn', 'slope'], ['pr']),
    node('Conv', ['pr', 'gw', 'gb'], ['gc'], { group: attr.int(2), strides: attr.ints([2, 2]) }),
    node('LeakyRelu', ['gc'], ['lr'], { alpha: attr.float(0.2) }),
    node('Sigmoid', ['lr'], ['s']),
    node('Dropout', ['s'], ['d']),
    node('Identity', ['d'], ['i']),
    node('Tanh', ['i'], ['y']),
  ];
  const inits = [w('dw', [8, 1, 3, 3], 1), w('g', [8], 2), w('be', [8], 3), w('m', [8], 4), w('v', [8], 5, 0.5, 2), w('slope', [8, 1, 1], 6, 0, 0.5),
    w('gw', [6, 4, 2, 2], 7), w('gb', [6], 8)];
  await importAndCompare(file({ opset: 15, nodes, inputs: [['x', [2, 4, 7, 8]]], outputs: ['y'], inits }), x([2, 4, 7, 8]), 'network ops', 1e-4);
  // BatchNormalization on [N, C] and [N, C, L]; PRelu with a shared slope.
  await importAndCompare(file({ opset: 9, nodes: [
    node('BatchNormalization', ['a', 'g', 'be', 'm', 'v'], ['y']),
    node('BatchNormalization', ['b', 'g', 'be', 'm', 'v'], ['z']),
    node('PRelu', ['z', 'one'], ['p']),
  ], inputs: [['a', [3, 4]], ['b', [2, 4, 5]]], outputs: ['y', 'z', 'p'],
    inits: [w('g', [4], 2), w('be', [4], 3), w('m', [4], 4), w('v', [4], 5, 0.5, 2), floatTensor('one', [1], [0.1])] }),
  { a: randomData([3, 4], 1), b: randomData([2, 4, 5], 2) }, 'BatchNormalization 1-D');
});

test('weights as Constant nodes (value, value_float(s), value_int(s)) and constant folding', async () => {
  const nodes = [
    node('Constant', [], ['wt'], { value: attr.tensor(w('', [3, 2, 1, 1], 1)) }),
    node('Conv', ['x', 'wt'], ['c']),
    node('Constant', [], ['k'], { value_float: attr.float(2) }),
    node('Constant', [], ['ks'], { value_floats: attr.floats([1, 2, 3]) }),
    node('Constant', [], ['shape'], { value_ints: attr.ints([0, -1]) }),
    node('Transpose', ['ks'], ['kt']),
    node('Mul', ['k', 'kt'], ['k2']),
    node('Reshape', ['k2', 'shape3'], ['k3']),
    node('Mul', ['c', 'k3'], ['m']),
    node('Reshape', ['m', 'shape'], ['y']),
  ];
  await importAndCompare(file({ opset: 13, nodes, inputs: [['x', [2, 2, 3, 3]]], outputs: ['y'], inits: [ints('shape3', [3, 1, 1])] }), x([2, 2, 3, 3]), 'constants');
});

test('Dropout at opset 13 with a ratio and a BOOL training_mode of false is the identity; true is rejected', async () => {
  const flag = (on: boolean): TensorProto => ({ ...int64Tensor('training', [], [0]), data_type: DataType.BOOL, int64_data: [], raw_data: Uint8Array.of(on ? 1 : 0) });
  const spec = (on: boolean): Spec => ({ opset: 13, nodes: [node('Dropout', ['x', 'ratio', 'training'], ['y'])], inputs: [['x', [2, 3]]], outputs: ['y'],
    inits: [floatTensor('ratio', [], [0.5]), flag(on)] });
  await importAndCompare(file(spec(false)), x([2, 3]), 'Dropout');
  assert.throws(() => importOnnx(file(spec(true))), /training_mode must be a constant false/);
});
