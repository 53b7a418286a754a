/** .npy reading and writing, byte-compatible with NumPy's np.save. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../src/errors.js';
import { npyToTensor, readNpy, tensorToNpy, writeNpy } from '../../src/io/npy.js';
import { Tensor } from '../../src/tensor/tensor.js';

/** np.save of np.arange(6, dtype='<f4').reshape(2, 3) (NumPy 2.4). */
const NUMPY_2X3 = Buffer.from(
  '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065' +
  '273a2028322c2033292c207d' + '20'.repeat(58) + '0a' + '000000000000803f0000004000004040000080400000a040', 'hex');

function header(text: string, version = 1): Uint8Array {
  const lenSize = version === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenSize + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  new DataView(out.buffer).setUint32(8, text.length, true);
  if (lenSize === 2) new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 8 + lenSize);
  return out;
}

const withData = (h: Uint8Array, data: Uint8Array): Uint8Array => Uint8Array.from([...h, ...data]);

test('reads NumPy output and writes the same bytes back', () => {
  const a = readNpy(new Uint8Array(NUMPY_2X3));
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.data), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(Buffer.from(writeNpy(a)).toString('hex'), NUMPY_2X3.toString('hex'));
  const t = npyToTensor(a);
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual(readNpy(writeNpy(tensorToNpy(t))).shape, [2, 3]);
});

test('float64, uint8, scalars, 1-D shapes and format versions 2 and 3 round-trip', () => {
  for (const a of [
    { dtype: 'float64' as const, shape: [2], data: Float64Array.of(1.5, -2) },
    { dtype: 'uint8' as const, shape: [], data: Uint8Array.of(3) },
    { dtype: 'uint8' as const, shape: [1, 0, 2], data: new Uint8Array(0) },
    { dtype: 'float32' as const, shape: [3], data: Float32Array.of(Infinity, -0, NaN) },
  ]) {
    const b = readNpy(writeNpy(a));
    assert.deepEqual(b, { ...a, data: b.data });
    assert.deepEqual(Array.from(b.data), Array.from(a.data));
    assert.equal((10 + new DataView(writeNpy(a).buffer).getUint16(8, true)) % 64, 0);
  }
  const v2 = withData(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 2), new Uint8Array(8));
  assert.deepEqual(readNpy(v2).shape, [2]);
  const v3 = withData(header('{"descr": "<f8", "shape": (1, 1), "fortran_order": False}', 3), new Uint8Array(8));
  assert.deepEqual(readNpy(v3).shape, [1, 1]);
});

test('anything outside the strict subset is a FormatError naming it', () => {
  const bad = (bytes: Uint8Array, re: RegExp) => assert.throws(() => readNpy(bytes, 'x.npy'), (e: unknown) => e instanceof FormatError && re.test(e.message));
  bad(new TextEncoder().encode('not numpy at all'), /x\.npy: not a \.npy file/);
  bad(withData(header("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }"), new Uint8Array(4)), /dtype '>f4' is not supported/);
  bad(withData(header("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }"), new Uint8Array(8)), /dtype '<i8'/);
  bad(withData(header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }"), new Uint8Array(4)), /Fortran-order/);
  bad(withData(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), new Uint8Array(4)), /needs 8 data bytes, the file has 4/);
  bad(withData(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"), new Uint8Array(5)), /needs 4 data bytes, the file has 5/);
  bad(withData(header("{'descr': '<f4', 'shape': (1,), }"), new Uint8Array(4)), /keys are descr,shape/);
  bad(withData(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), new Uint8Array(4)), /shape entry '-1'/);
  bad(withData(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': os.system('rm') }"), new Uint8Array(4)), /cannot parse/);
  bad(header("{'descr': '<f4'}").subarray(0, 20), /header claims/);
  const v4 = header("{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
  v4[6] = 4;
  bad(v4, /version 4\.0 is not supported/);
  assert.throws(() => writeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }), /3 values do not fill shape \[2, 2\]/);
  assert.ok(npyToTensor(readNpy(writeNpy({ dtype: 'uint8', shape: [1], data: Uint8Array.of(255) }))) instanceof Tensor);
});
