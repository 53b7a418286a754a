/** Bad ONNX files and unsupported graphs fail at load with one clear FormatError. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, FormatError, SepconvError, ShapeError } from '../../../src/errors.js';
import { attr, floatTensor, graph, model, node, valueInfo } from '../../../src/io/onnx/builder.js';
import { encodeModel } from '../../../src/io/onnx/encode.js';
import { importOnnx } from '../../../src/io/onnx/import.js';
import { DataType, type NodeProto, type TensorProto } from '../../../src/io/onnx/proto.js';
import { Random } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';

function file(nodes: NodeProto[], inits: TensorProto[] = [], opset = 13, outputs = ['y']): Uint8Array {
  const m = model(graph({
    nodes, inputs: [valueInfo('x', [1, 2, 4, 4])], outputs: outputs.map((o) => valueInfo(o, null)), initializers: inits,
  }));
  m.opset_import[0].version = opset; // may be outside what the builder writes
  return encodeModel(m);
}

const small = (): Uint8Array => file([
  node('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) }, 'conv'),
  node('Relu', ['c'], ['y'], {}, 'relu'),
], [floatTensor('w', [3, 2, 3, 3], new Float32Array(54).fill(0.1)), floatTensor('b', [3], [1, 2, 3])]);

function throwsFormat(fn: () => unknown, ...patterns: RegExp[]): string {
  let message = '';
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected a FormatError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    message = e.message;
    return true;
  });
  return message;
}

test('unsupported ops and attributes are listed together in one FormatError with the opset and the supported ops', () => {
  const bytes = file([
    node('Resize', ['x'], ['r'], {}, 'upsample'),
    node('Conv', ['x', 'w'], ['c'], { auto_pad: attr.string('SAME_MIDDLE') }, 'conv1'),
    node('Conv', ['x', 'w'], ['d'], { foo: attr.int(1) }, 'conv2'),
    node('MaxPool', ['x'], ['m', 'idx'], { kernel_shape: attr.ints([2, 2]) }, 'pool'),
    node('Relu', ['r'], ['y'], {}, 'after_resize'),
  ], [floatTensor('w', [3, 2, 3, 3], new Float32Array(54))], 13, ['y', 'c', 'd', 'm', 'idx']);
  const msg = throwsFormat(() => importOnnx(bytes), /opset 13/, /4 nodes cannot be loaded/, /'upsample' \(Resize\): op not supported/,
    /'conv1' \(Conv\): auto_pad="SAME_MIDDLE" is not supported \(supported: "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"\)/,
    /'conv2' \(Conv\): attribute foo not supported/, /'pool' \(MaxPool\): the Indices output is not supported/,
    /Supported ops: Add, AveragePool, BatchNormalization, .*Unsqueeze\./);
  // Nodes downstream of a failed one are not reported again.
  assert.doesNotMatch(msg, /after_resize/);
  throwsFormat(() => importOnnx(file([node('Relu', ['x'], ['y'])], [], 22)), /opset 22 is not supported; sepconv imports opsets 6 to 21/);
  const custom = file([{ ...node('Relu', ['x'], ['y'], {}, 'custom'), domain: 'com.microsoft' }]);
  throwsFormat(() => importOnnx(custom), /'custom' \(Relu\): domain "com.microsoft" is not supported/);
});

test('files that are not ONNX models are recognised', () => {
  throwsFormat(() => importOnnx(new Uint8Array(0)), /empty/);
  throwsFormat(() => importOnnx(new TextEncoder().encode('{"format": "layers-model"}')), /JSON/);
  throwsFormat(() => importOnnx(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a)), /PNG image/);
  throwsFormat(() => importOnnx(Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0, 0)), /ZIP archive/);
  throwsFormat(() => importOnnx(Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0)), /\.npy/);
  // Valid protobuf that holds no graph.
  throwsFormat(() => importOnnx(Uint8Array.of(0x08, 0x07)), /no graph/);
  assert.throws(() => importOnnx('model.onnx' as unknown as Uint8Array), ArgumentError);
});

test('a truncated file fails with a FormatError at every cut point', () => {
  const bytes = small();
  for (let cut = 1; cut < bytes.length; cut += 7) throwsFormat(() => importOnnx(bytes.subarray(0, cut)));
});

test('a length prefix that runs past the end of the file is rejected', () => {
  const bytes = small().slice();
  // ModelProto field 7 (graph) is the first LEN field: key 0x3a, then its varint length.
  const at = bytes.indexOf(0x3a);
  bytes[at + 1] = 0xff;
  bytes[at + 2] = 0xff;
  throwsFormat(() => importOnnx(bytes), /runs past end|truncated/);
});

test('a tensor whose bytes do not match its dims is rejected before anything is allocated', () => {
  const lying: TensorProto = { ...floatTensor('w', [3, 2, 3, 3], new Float32Array(54)), raw_data: new Uint8Array(8) };
  throwsFormat(() => importOnnx(file([node('Conv', ['x', 'w'], ['y'])], [lying])), /tensor "w".*raw_data has 8 bytes, expected 216/);
  const huge: TensorProto = { ...floatTensor('w', [1], [0]), dims: [1e6, 1e6, 1e6] };
  throwsFormat(() => importOnnx(file([node('Conv', ['x', 'w'], ['y'])], [huge])), /tensor "w"/);
  const listed: TensorProto = { ...floatTensor('w', [1], [0]), raw_data: null, float_data: [1, 2], data_type: DataType.FLOAT, dims: [3] };
  throwsFormat(() => importOnnx(file([node('Add', ['x', 'w'], ['y'])], [listed])), /holds 2 elements/);
});

test('dangling inputs, cycles and values produced twice are rejected', () => {
  throwsFormat(() => importOnnx(file([node('Add', ['x', 'ghost'], ['y'], {}, 'add')])), /'add' \(Add\) reads "ghost".*dangling/);
  throwsFormat(() => importOnnx(file([node('Relu', ['b'], ['a'], {}, 'n1'), node('Relu', ['a'], ['b'], {}, 'n2'), node('Relu', ['x'], ['y'])])),
    /cycle \(2 nodes can never run, e.g. 'n1' \(Relu\), 'n2' \(Relu\)\)/);
  throwsFormat(() => importOnnx(file([node('Relu', ['x'], ['y'], {}, 'first'), node('Sigmoid', ['x'], ['y'], {}, 'second')])), /"y" is produced twice/);
  throwsFormat(() => importOnnx(file([node('Relu', ['x'], ['z'])])), /output "y" is produced by no node/);
});

test('random corruption never escapes as anything but a SepconvError', () => {
  const bytes = small();
  const rng = new Random(7);
  for (let trial = 0; trial < 300; trial++) {
    const b = bytes.slice();
    for (let k = 0; k <= trial % 3; k++) b[rng.int(b.length)] = rng.int(256);
    try {
      importOnnx(b);
    } catch (e) {
      assert.ok(e instanceof SepconvError, `trial ${trial}: ${String(e)}`);
    }
  }
});

test('run-time input checks name the expected ONNX dims', () => {
  const m = importOnnx(small());
  assert.throws(() => m.forward(Tensor.zeros([1, 4, 4, 3])), (e: unknown) => e instanceof ShapeError &&
    /input "x" expects dims \[1, 2, 4, 4\] \(ONNX layout\), got a tensor of shape \[1, 4, 4, 3\] \(NHWC, i.e. NCHW \[1, 3, 4, 4\]\)/.test(e.message));
  assert.throws(() => m.run({ y: Tensor.zeros([1]) }), /missing input "x"; unknown input "y"/);
});
