/**
 * NumPy's `.npy` format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), read strictly:
 * little-endian float32, float64 or uint8 in C order, format versions 1.0 to 3.0. Everything else (big-endian,
 * Fortran order, other dtypes, object arrays, a data section longer or shorter than the shape says) is a
 * FormatError naming what was found.
 */
import { ArgumentError, FormatError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

export type NpyDtype = 'float32' | 'float64' | 'uint8';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Float32Array | Float64Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR: Record<string, NpyDtype> = { '<f4': 'float32', '<f8': 'float64', '|u1': 'uint8', '<u1': 'uint8' };
const ITEM_SIZE: Record<NpyDtype, number> = { float32: 4, float64: 8, uint8: 1 };
const WRITE_DESCR: Record<NpyDtype, string> = { float32: '<f4', float64: '<f8', uint8: '|u1' };

/** Parses the header's Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }. */
function parseHeader(text: string, what: string): { descr: string; fortran: boolean; shape: number[] } {
  const fail = (why: string): never => {
    // At most 200 characters of each: enough for any real header, bounded for a hostile one.
    const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 197)}...` : s);
    throw new FormatError(`${what}: bad .npy header (${clip(why)}): ${clip(JSON.stringify(text.trim()))}`);
  };
  const body = /^\s*\{(.*)\}\s*$/s.exec(text)?.[1] ?? fail('not a dict');
  const entries = new Map<string, string>();
  // Values are a quoted string, True/False, or a tuple of integers; keys are quoted.
  const re = /\s*(['"])(\w+)\1\s*:\s*('[^']*'|"[^"]*"|True|False|\([^)]*\))\s*(,|$)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(body)) !== null && m[0] !== '') {
    if (entries.has(m[2])) fail(`key '${m[2]}' repeats`);
    entries.set(m[2], m[3]);
    end = re.lastIndex;
  }
  if (body.slice(end).trim() !== '') fail(`cannot parse ${JSON.stringify(body.slice(end).trim())}`);
  const keys = [...entries.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') fail(`keys are ${keys || 'none'}, expected descr, fortran_order and shape`);
  const shapeText = entries.get('shape')!.slice(1, -1).trim();
  const parts = shapeText === '' ? [] : shapeText.split(',').map((s) => s.trim());
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // (3,)
  const shape = parts.map((p) => (/^\d+$/.test(p) && Number.isSafeInteger(Number(p)) ? Number(p)
    : fail(`shape entry '${p}' is not a non-negative integer below 2^53`)));
  return { descr: entries.get('descr')!.slice(1, -1), fortran: entries.get('fortran_order') === 'True', shape };
}

/** Reads a `.npy` file's bytes; `what` (e.g. the file name) prefixes errors. */
export function readNpy(bytes: Uint8Array, what = 'npy'): NpyArray {
  if (bytes.byteLength < 10 || !MAGIC.every((b, i) => bytes[i] === b))
    throw new FormatError(`${what}: not a .npy file (it does not start with \\x93NUMPY)`);
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3 || minor !== 0) throw new FormatError(`${what}: .npy format version ${major}.${minor} is not supported (1.0 to 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.byteLength < 8 + lenSize) throw new FormatError(`${what}: truncated .npy header`);
  const headerLen = lenSize === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenSize + headerLen;
  if (start > bytes.byteLength)
    throw new FormatError(`${what}: the .npy header claims ${headerLen} bytes but the file has ${bytes.byteLength - 8 - lenSize} after it`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenSize, start));
  const { descr, fortran, shape } = parseHeader(header, what);
  const dtype = Object.hasOwn(DESCR, descr) ? DESCR[descr] : undefined;
  if (dtype === undefined)
    throw new FormatError(`${what}: dtype '${descr.slice(0, 60)}' is not supported (little-endian float32 '<f4', float64 '<f8' or uint8 '|u1'); ` +
      "convert with arr.astype('<f4')");
  if (fortran) throw new FormatError(`${what}: Fortran-order arrays are not supported; save np.ascontiguousarray(arr)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = ITEM_SIZE[dtype];
  const available = bytes.byteLength - start;
  if (!Number.isSafeInteger(count * size) || available !== count * size)
    throw new FormatError(`${what}: shape (${shape.join(', ')}) of ${dtype} needs ${count * size} data bytes, the file has ${available}`);
  // Copied through a DataView: the data offset need not be aligned for a typed-array view.
  let data: NpyArray['data'];
  if (dtype === 'uint8') data = bytes.slice(start);
  else if (dtype === 'float32') data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(start + 4 * i, true));
  else data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(start + 8 * i, true));
  return { dtype, shape, data };
}

/** Writes a C-order little-endian `.npy` (format 1.0, header padded so the data starts on a 64-byte boundary). */
export function writeNpy(array: NpyArray): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.shape.some((d) => !Number.isInteger(d) || d < 0) || array.data.length !== count)
    throw new ArgumentError(`writeNpy: ${array.data.length} values do not fill shape [${array.shape.join(', ')}]`);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${WRITE_DESCR[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const size = ITEM_SIZE[array.dtype];
  const out = new Uint8Array(10 + header.length + count * size);
  out.set(MAGIC);
  out[6] = 1;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const start = 10 + header.length;
  for (let i = 0; i < count; i++) {
    const v = array.data[i];
    if (array.dtype === 'uint8') out[start + i] = v;
    else if (array.dtype === 'float32') view.setFloat32(start + 4 * i, v, true);
    else view.setFloat64(start + 8 * i, v, true);
  }
  return out;
}

/** The array as a float32 tensor of the same shape (uint8 values keep their 0..255 range). */
export function npyToTensor(a: NpyArray): Tensor {
  return new Tensor(a.data instanceof Float32Array ? a.data : Float32Array.from(a.data), a.shape);
}

/** A tensor as a float32 `.npy` array. */
export function tensorToNpy(t: Tensor): NpyArray {
  return { dtype: 'float32', shape: [...t.shape], data: t.data };
}
