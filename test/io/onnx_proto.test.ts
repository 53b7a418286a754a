import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../src/errors.js';
import {
  DataType, decodeModel, decodeTensor, tensorToFloat32, tensorToInt64, type TensorProto,
} from '../../src/io/onnx/proto.js';
import { MAX_DEPTH, Reader } from '../../src/io/onnx/wire.js';
import {
  conformanceDir, listConformanceCases, loadConformanceCase, nchwToNhwc, nhwcToNchw, oihwToHwio,
} from '../helpers/conformance.js';

// ---- a tiny protobuf encoder, to craft inputs ----

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n)); // negative ints are 10-byte two's complement
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const len = (field: number, body: number[]) => [...key(field, 2), ...varint(body.length), ...body];
const int = (field: number, v: number | bigint) => [...key(field, 0), ...varint(v)];
const str = (field: number, s: string) => len(field, [...new TextEncoder().encode(s)]);
const bytes = (a: number[]) => Uint8Array.from(a);

const prod = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const caseFile = (name: string, file: string) => readFileSync(join(conformanceDir(), name, file));

/** Asserts that `fn` throws a FormatError (and nothing else), optionally matching the message. */
function throwsFormat(fn: () => unknown, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${String(e)}`);
    assert.equal(e.name, 'FormatError');
    if (re) assert.match(e.message, re);
    return true;
  });
}

// ---- the conformance data ----

const cases = listConformanceCases();

test('all 24 conformance cases are found', () => {
  assert.equal(cases.length, 24);
});

test('every conformance model and tensor decodes with consistent dims', () => {
  for (const name of cases) {
    const model = decodeModel(caseFile(name, 'model.onnx'));
    assert.ok(model.graph, name);
    assert.ok(model.graph.node.length > 0, name);
    assert.ok(model.opset_import.some((o) => o.domain === '' && o.version > 0), name);
    for (const t of model.graph.initializer) assert.equal(tensorToFloat32(t).length, prod(t.dims), `${name} ${t.name}`);
    // Declared graph shapes agree with the data files.
    const declared = new Map([...model.graph.input, ...model.graph.output].map((v) => [v.name, v.shape?.map((d) => d.dim_value)]));
    const c = loadConformanceCase(name);
    for (const t of [...c.inputs, ...c.outputs]) {
      assert.equal(t.data.length, prod(t.dims), `${name} ${t.name}`);
      assert.deepEqual(t.dims, declared.get(t.name), `${name} ${t.name}`);
      assert.ok(t.data.every(Number.isFinite), `${name} ${t.name}`);
    }
    for (const [n, t] of c.initializers) assert.deepEqual(t.dims, declared.get(n), `${name} initializer ${n}`);
  }
});

test('conformance cases load with their attributes', () => {
  const conv = loadConformanceCase('test_Conv2d_padding');
  assert.equal(conv.opsetVersion, 6);
  assert.equal(conv.nodes.length, 1);
  assert.deepEqual(conv.nodes[0], {
    opType: 'Conv', inputs: ['0', '1', '2'], outputs: ['3'],
    attrs: { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] },
  });
  assert.deepEqual([...conv.initializers.keys()], ['1', '2']);
  assert.deepEqual(conv.inputs.map((t) => [t.name, t.dims]), [['0', [2, 3, 6, 6]]]);
  assert.deepEqual(conv.outputs.map((t) => [t.name, t.dims]), [['3', [2, 4, 3, 3]]]);

  const pad = loadConformanceCase('ZeroPad2d'); // prefix optional
  assert.equal(pad.name, 'test_ZeroPad2d');
  assert.deepEqual(pad.nodes[0]!.attrs, { mode: 'constant', pads: [0, 0, 3, 1, 0, 0, 4, 2], value: 0 });

  const lrelu = loadConformanceCase('test_LeakyReLU');
  assert.ok(Math.abs((lrelu.nodes[0]!.attrs['alpha'] as number) - 0.01) < 1e-9);
});

test('ReLU conformance output equals max(0, input)', () => {
  const c = loadConformanceCase('test_ReLU');
  const x = c.inputs[0]!.data;
  assert.deepEqual(c.outputs[0]!.data, x.map((v) => Math.max(0, v)));
});

test('SEPCONV_CONFORMANCE_DIR overrides the data location', () => {
  const saved = process.env['SEPCONV_CONFORMANCE_DIR'];
  try {
    process.env['SEPCONV_CONFORMANCE_DIR'] = '/nonexistent/conformance';
    assert.equal(conformanceDir(), '/nonexistent/conformance');
    assert.throws(() => listConformanceCases(), /ENOENT/);
  } finally {
    if (saved === undefined) delete process.env['SEPCONV_CONFORMANCE_DIR'];
    else process.env['SEPCONV_CONFORMANCE_DIR'] = saved;
  }
});

// ---- layout helpers ----

test('nchwToNhwc / nhwcToNchw round-trip and place channels last', () => {
  const dims = [2, 3, 4, 5];
  const data = Float32Array.from({ length: prod(dims) }, (_, i) => i);
  const nhwc = nchwToNhwc(data, dims);
  assert.deepEqual(nhwc.dims, [2, 4, 5, 3]);
  // element (n=1, c=2, h=3, w=4)
  assert.equal(nhwc.data[((1 * 4 + 3) * 5 + 4) * 3 + 2], data[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
  const back = nhwcToNchw(nhwc.data, nhwc.dims);
  assert.deepEqual(back.dims, dims);
  assert.deepEqual(back.data, data);
  assert.throws(() => nchwToNhwc(data, [2, 3, 20]), /4-D/);
});

test('oihwToHwio puts depthwise weights in [K, K, 1, C*M] order', () => {
  const w = loadConformanceCase('test_Conv2d_depthwise_with_multiplier').initializers.get('1')!;
  assert.deepEqual(w.dims, [8, 1, 3, 3]);
  const hwio = oihwToHwio(w.data, w.dims);
  assert.deepEqual(hwio.dims, [3, 3, 1, 8]);
  for (let o = 0; o < 8; o++)
    for (let kh = 0; kh < 3; kh++)
      for (let kw = 0; kw < 3; kw++) assert.equal(hwio.data[(kh * 3 + kw) * 8 + o], w.data[o * 9 + kh * 3 + kw]);
});

// ---- wire format ----

test('varints: 64-bit, negative and out-of-range values', () => {
  assert.equal(decodeModel(bytes(int(1, 2 ** 53 - 1))).ir_version, 2 ** 53 - 1);
  assert.equal(decodeModel(bytes(int(1, -1))).ir_version, -1);
  assert.equal(decodeModel(bytes(int(1, -(2 ** 53 - 1)))).ir_version, -(2 ** 53 - 1));
  throwsFormat(() => decodeModel(bytes(int(1, 2 ** 53))), /out of safe integer range at byte 1 while reading ModelProto\.ir_version/);
  throwsFormat(() => decodeModel(bytes(int(1, -(2n ** 63n)))), /safe integer/);
  throwsFormat(() => decodeModel(bytes([0x08, 0x80])), /^ONNX: truncated varint at byte 1 while reading ModelProto\.ir_version$/);
  throwsFormat(() => decodeModel(bytes([0x08, ...Array(10).fill(0xff), 0x01])), /varint longer than 10 bytes at byte 1/);
  throwsFormat(() => decodeModel(bytes([0x08, ...Array(9).fill(0xff), 0x7f])), /overflows 64 bits/);
  throwsFormat(() => decodeModel(bytes([0x08, ...Array(9).fill(0xff)])), /truncated varint at byte 1/);
});

test('packed and unpacked repeated fields both decode', () => {
  const dims = [4, 0x7f, 0x80, 1, 3];
  const packed = decodeTensor(bytes(len(1, dims.flatMap((d) => varint(d)))));
  const unpacked = decodeTensor(bytes(dims.flatMap((d) => int(1, d))));
  assert.deepEqual(packed.dims, dims);
  assert.deepEqual(unpacked.dims, dims);
  const f32 = new Uint8Array(Float32Array.of(1.5, -2).buffer);
  const floats = decodeTensor(bytes([...len(4, [...f32]), ...key(4, 5), ...f32.slice(0, 4)]));
  assert.deepEqual(floats.float_data, [1.5, -2, 1.5]);
  throwsFormat(() => decodeTensor(bytes(len(4, [...f32.slice(0, 6)]))), /packed length 6 is not a multiple of 4 at byte 1 while reading TensorProto\.float_data/);
});

test('unknown fields of every wire type are skipped, groups included', () => {
  const model = bytes([
    ...int(1, 7),
    ...int(99, 5), ...key(98, 1), ...Array(8).fill(1), ...len(97, [1, 2, 3]), ...key(96, 5), 1, 2, 3, 4,
    ...key(95, 3), ...int(1, 1), ...key(94, 3), ...len(2, [9]), ...key(94, 4), ...key(95, 4), // nested groups
    ...str(2, 'me'),
  ]);
  const m = decodeModel(model);
  assert.equal(m.ir_version, 7);
  assert.equal(m.producer_name, 'me');
  throwsFormat(() => decodeModel(bytes([...key(95, 3), ...int(1, 1)])), /unterminated group/);
  throwsFormat(() => decodeModel(bytes([...key(95, 3), ...key(94, 4)])), /end-group for field 94 inside group 95/);
  throwsFormat(() => decodeModel(bytes(key(95, 4))), /unexpected end-group/);
});

test('bad wire types throw FormatError naming field and offset', () => {
  throwsFormat(() => decodeModel(bytes([...int(1, 3), ...key(40, 6)])), /^ONNX: bad wire type 6 at byte 2 while reading ModelProto field 40$/);
  throwsFormat(() => decodeModel(bytes(key(3, 7))), /bad wire type 7/);
  // a known field with the wrong wire type
  throwsFormat(() => decodeModel(bytes(str(1, 'x'))), /bad wire type 2 \(expected 0\) at byte 1 while reading ModelProto\.ir_version/);
  throwsFormat(() => decodeModel(bytes(int(7, 1))), /bad wire type 0 \(expected 2\).*ModelProto\.graph/);
  throwsFormat(() => decodeModel(bytes([0x00, 0x01])), /invalid field number 0 at byte 0/);
});

test('a length field that lies throws instead of allocating', () => {
  const node = len(1, [...str(4, 'Relu'), ...str(1, 'x')]);
  const ok = bytes(len(7, node));
  assert.equal(decodeModel(ok).graph!.node[0]!.op_type, 'Relu');
  // graph claims 100 bytes, only a few follow
  throwsFormat(() => decodeModel(bytes([...key(7, 2), 100, ...node])), /^ONNX: length 100 runs past end of buffer \(\d+ bytes left\) at byte 1 while reading ModelProto\.graph$/);
  // node length lies inside an otherwise consistent graph
  const lying = [...key(1, 2), node.length + 5, ...node.slice(2)];
  throwsFormat(() => decodeModel(bytes(len(7, lying))), /runs past end.*GraphProto\.node/);
  // a huge raw_data length: rejected, not allocated
  throwsFormat(() => decodeTensor(bytes([...key(9, 2), ...varint(2 ** 40), 0])), /length 1099511627776 runs past end.*TensorProto\.raw_data/);
  // huge dims with tiny data: rejected by the element count check before allocation
  throwsFormat(() => tensorToFloat32(decodeTensor(bytes([...len(1, [...varint(2 ** 30), ...varint(2 ** 30)]), ...int(2, 1)]))), /dims \[1073741824,1073741824\]/);
});

test('nesting deeper than the limit throws FormatError', () => {
  // graph -> node -> attribute.g -> graph ... : 3 levels per round
  let g: number[] = [];
  for (let i = 0; i < 40; i++) g = len(1, len(5, [...str(1, 'body'), ...len(6, g)]));
  throwsFormat(() => decodeModel(bytes(len(7, g))), new RegExp(`^ONNX: nesting deeper than ${MAX_DEPTH} at byte \\d+ while reading (GraphProto|NodeProto|AttributeProto)\\.\\w+$`));
  let shallow: number[] = [];
  for (let i = 0; i < 10; i++) shallow = len(1, len(5, [...str(1, 'body'), ...len(6, shallow)]));
  assert.equal(decodeModel(bytes(len(7, shallow))).graph!.node[0]!.attribute[0]!.g!.node.length, 1);
  // nested unknown groups
  const groups = [...Array(MAX_DEPTH + 1).fill(key(50, 3)).flat(), ...Array(MAX_DEPTH + 1).fill(key(50, 4)).flat()];
  throwsFormat(() => decodeModel(bytes(groups)), /nesting deeper than 100/);
  const fine = [...Array(MAX_DEPTH).fill(key(50, 3)).flat(), ...Array(MAX_DEPTH).fill(key(50, 4)).flat()];
  assert.equal(decodeModel(bytes(fine)).graph, null);
});

test('every truncation of a small model throws FormatError or stops at a field boundary', () => {
  const full = caseFile('test_ReLU', 'model.onnx');
  // Top-level field boundaries: prefixes ending there are themselves valid (shorter) models.
  const boundaries = new Set<number>([0]);
  const r = new Reader(full);
  while (r.pos < r.end) {
    const at = r.pos;
    const k = r.uint();
    r.wire = k % 8;
    r.skip(Math.floor(k / 8), at);
    boundaries.add(r.pos);
  }
  let threw = 0;
  for (let n = 0; n < full.length; n++) {
    const prefix = full.subarray(0, n);
    if (boundaries.has(n)) decodeModel(prefix);
    else {
      throwsFormat(() => decodeModel(prefix));
      threw++;
    }
  }
  assert.ok(threw > full.length * 0.9, `${threw} of ${full.length} prefixes threw`);
  assert.ok(decodeModel(full).graph);
});

test('every truncation of a tensor file fails with FormatError', () => {
  const full = caseFile('test_Softmax', 'test_data_set_0/input_0.pb');
  for (let n = 0; n < full.length; n++) throwsFormat(() => tensorToFloat32(decodeTensor(full.subarray(0, n))));
  assert.equal(tensorToFloat32(decodeTensor(full)).length, 200);
});

test('corrupted models only ever throw FormatError', () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const name of ['test_Conv2d', 'test_ZeroPad2d', 'test_BatchNorm2d_eval']) {
    const original = caseFile(name, 'model.onnx');
    for (let trial = 0; trial < 300; trial++) {
      const b = Uint8Array.from(original);
      for (let k = 0; k < 1 + (trial % 4); k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      try {
        const m = decodeModel(b);
        for (const t of m.graph?.initializer ?? []) tensorToFloat32(t);
      } catch (e) {
        assert.ok(e instanceof FormatError, `${name} trial ${trial}: ${String(e)}`);
      }
    }
  }
});

// ---- tensor contents ----

function tensor(fields: Partial<TensorProto>): TensorProto {
  return {
    name: 't', dims: [], data_type: DataType.FLOAT, float_data: [], int32_data: [], int64_data: [], double_data: [],
    raw_data: null, data_location: 0, ...fields,
  };
}
const le = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

test('tensorToFloat32 handles FLOAT, DOUBLE, INT32, INT64 and FLOAT16', () => {
  const want = [1.5, -2, 0, 3];
  const dims = [2, 2];
  assert.deepEqual([...tensorToFloat32(tensor({ dims, float_data: want }))], want);
  assert.deepEqual([...tensorToFloat32(tensor({ dims, raw_data: le(Float32Array.from(want)) }))], want);
  // raw_data at an odd offset (not 4-byte aligned) still reads correctly
  const odd = new Uint8Array(17);
  odd.set(le(Float32Array.from(want)), 1);
  assert.deepEqual([...tensorToFloat32(tensor({ dims, raw_data: odd.subarray(1) }))], want);
  assert.deepEqual([...tensorToFloat32(tensor({ dims, data_type: DataType.DOUBLE, raw_data: le(Float64Array.from(want)) }))], want);
  assert.deepEqual([...tensorToFloat32(tensor({ dims, data_type: DataType.DOUBLE, double_data: want }))], want);
  assert.deepEqual([...tensorToFloat32(tensor({ dims: [3], data_type: DataType.INT32, raw_data: le(Int32Array.of(-7, 0, 9)) }))], [-7, 0, 9]);
  assert.deepEqual([...tensorToFloat32(tensor({ dims: [2], data_type: DataType.INT64, raw_data: le(BigInt64Array.of(-5n, 6n)) }))], [-5, 6]);
  // half: 1, -2, +inf, smallest subnormal (2^-24), 65504
  const halves = [0x3c00, 0xc000, 0x7c00, 0x0001, 0x7bff];
  const expected = [1, -2, Infinity, 2 ** -24, 65504];
  assert.deepEqual([...tensorToFloat32(tensor({ dims: [5], data_type: DataType.FLOAT16, raw_data: le(Uint16Array.from(halves)) }))], expected);
  assert.deepEqual([...tensorToFloat32(tensor({ dims: [5], data_type: DataType.FLOAT16, int32_data: halves }))], expected);
  assert.ok(Number.isNaN(tensorToFloat32(tensor({ dims: [1], data_type: DataType.FLOAT16, int32_data: [0x7e00] }))[0]));
  // a scalar (no dims) holds one element
  assert.deepEqual([...tensorToFloat32(tensor({ float_data: [4] }))], [4]);
});

test('tensorToInt64 reads INT64 and INT32, checking range', () => {
  assert.deepEqual(tensorToInt64(tensor({ dims: [3], data_type: DataType.INT64, raw_data: le(BigInt64Array.of(-1n, 2n ** 40n, 0n)) })), [-1, 2 ** 40, 0]);
  assert.deepEqual(tensorToInt64(tensor({ dims: [2], data_type: DataType.INT64, int64_data: [3, -4] })), [3, -4]);
  assert.deepEqual(tensorToInt64(tensor({ dims: [2], data_type: DataType.INT32, int32_data: [-3, 4] })), [-3, 4]);
  throwsFormat(() => tensorToInt64(tensor({ dims: [1], data_type: DataType.INT64, raw_data: le(BigInt64Array.of(2n ** 60n)) })), /out of safe integer range/);
  throwsFormat(() => tensorToInt64(tensor({ dims: [1], float_data: [1] })), /unsupported data type FLOAT/);
});

test('element counts must match dims, naming the tensor', () => {
  throwsFormat(() => tensorToFloat32(tensor({ name: 'conv.weight', dims: [2, 3], float_data: [1, 2] })), /tensor "conv\.weight" \(FLOAT, dims \[2,3\], 6 elements\): holds 2 elements/);
  throwsFormat(() => tensorToFloat32(tensor({ name: 'b', dims: [2], raw_data: new Uint8Array(7) })), /tensor "b".*raw_data has 7 bytes, expected 8/);
  throwsFormat(() => tensorToFloat32(tensor({ dims: [-1], float_data: [] })), /invalid dim -1/);
  throwsFormat(() => tensorToFloat32(tensor({ dims: [1], data_type: DataType.STRING })), /unsupported data type STRING/);
  throwsFormat(() => tensorToFloat32(tensor({ dims: [1], data_type: 99 })), /unsupported data type data_type 99/);
});

test('external data is rejected', () => {
  throwsFormat(() => decodeTensor(bytes([...int(14, 1), ...str(8, 'w')])), /tensor "w" at byte 0: external data not supported/);
  const graph = len(5, [...str(8, 'big'), ...int(14, 1)]);
  throwsFormat(() => decodeModel(bytes(len(7, graph))), /external data not supported/);
});
