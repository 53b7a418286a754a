/** The protobuf encoder is the exact inverse of the decoder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, floatTensor, graph, int64Tensor, irVersionFor, model, node, valueInfo } from '../../../src/io/onnx/builder.js';
import { encodeModel, encodeTensor } from '../../../src/io/onnx/encode.js';
import { AttributeType, DataType, decodeModel, decodeTensor, tensorToFloat32, tensorToInt64, type TensorProto } from '../../../src/io/onnx/proto.js';

test('tensors round-trip through encode and decode in every storage field', () => {
  const tensors: TensorProto[] = [
    floatTensor('f', [2, 3], [0, -1.5, 3.25, Infinity, -0, 1e-30]),
    floatTensor('scalar', [], [7]),
    floatTensor('empty', [0, 4], []),
    int64Tensor('i', [4], [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1)]),
    { ...floatTensor('listed', [2], [1, 2]), raw_data: null, float_data: [1, 2] },
    { ...floatTensor('d', [2], [1, 2]), raw_data: null, data_type: DataType.DOUBLE, double_data: [0.1, -2] },
    { ...floatTensor('i32', [3], [1, 2, 3]), raw_data: null, data_type: DataType.INT32, int32_data: [-7, 0, 7] },
  ];
  for (const t of tensors) assert.deepEqual(decodeTensor(encodeTensor(t)), t, t.name);
  assert.deepEqual(Array.from(tensorToFloat32(decodeTensor(encodeTensor(tensors[0])))), [0, -1.5, 3.25, Infinity, -0, Math.fround(1e-30)]);
  assert.deepEqual(tensorToInt64(decodeTensor(encodeTensor(tensors[3]))), [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1)]);
});

test('models with every attribute type, symbolic dims and several opsets round-trip', () => {
  const sub = graph({ nodes: [node('Relu', ['a'], ['b'])], inputs: [valueInfo('a', [1])], outputs: [valueInfo('b', [1])] });
  const n = node('Custom', ['x', '', 'w'], ['y', 'z'], {
    f: attr.float(0.5), i: attr.int(-3), s: attr.string('SAME_UPPER \u00e9'), t: attr.tensor(floatTensor('t', [1], [2])),
    fs: attr.floats([1, -2.5]), is: attr.ints([-1, 0, 2 ** 40]),
  }, 'node/with:odd.chars');
  n.attribute.push({ ...attr.int(0), name: 'g', type: AttributeType.GRAPH, g: sub });
  n.attribute.push({ ...attr.int(0), name: 'ss', type: AttributeType.STRINGS, strings: [Uint8Array.of(97), Uint8Array.of()] });
  const m = model(graph({
    name: 'g', nodes: [n], inputs: [valueInfo('x', ['N', 3, 224, 224]), valueInfo('unknown', null, DataType.INT64)],
    outputs: [valueInfo('y', [])], initializers: [floatTensor('w', [3], [1, 2, 3])],
  }), { opset: 17, producer: 'test' });
  assert.deepEqual(decodeModel(encodeModel(m)), m);
  assert.equal(m.ir_version, irVersionFor(17));
  assert.throws(() => model(sub, { opset: 22 }), /opset 22 is outside the supported range 7..21/);
});
