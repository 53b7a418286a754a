/**
 * The weights of a TF.js model: `weightsManifest` lists groups of weights, each stored back to back in the
 * concatenation of the group's shard files (little-endian). Weights are float32, int32 or bool, optionally
 * quantized by the converter to uint8 / uint16 (value = q * scale + min) or float16. Everything is checked before
 * anything large is allocated: a shard that is missing or too short, or a manifest whose shapes and dtypes do not
 * add up to the shards' bytes, is a FormatError.
 */
import { FormatError, previewValue } from '../../errors.js';
import { JsonFields, isObject, type Json } from './json.js';

/** A decoded weight: float values for float32 weights, integers for int32 and bool ones. */
export type TfjsWeight =
  | { readonly name: string; readonly shape: readonly number[]; readonly kind: 'float'; readonly data: Float32Array }
  | { readonly name: string; readonly shape: readonly number[]; readonly kind: 'int'; readonly data: Int32Array };

/** The stored dtypes sepconv reads (before quantization). */
export const SUPPORTED_WEIGHT_DTYPES = ['float32', 'int32', 'bool'] as const;
/** The converter's quantization dtypes. */
export const SUPPORTED_QUANTIZATION_DTYPES = ['uint8', 'uint16', 'float16'] as const;

type Dtype = (typeof SUPPORTED_WEIGHT_DTYPES)[number];
type QuantDtype = (typeof SUPPORTED_QUANTIZATION_DTYPES)[number];

interface Spec {
  name: string;
  shape: number[];
  size: number;
  dtype: Dtype;
  quant: { dtype: QuantDtype; scale: number; min: number } | null;
  bytes: number;
}

/** Largest element count accepted for one weight (2^31 - 1, the largest typed array index). */
const MAX_ELEMENTS = 2 ** 31 - 1;

const BYTES: Record<Dtype | QuantDtype, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function readShape(f: JsonFields): { shape: number[]; size: number } {
  const raw = f.array('shape');
  let size = 1;
  for (const d of raw) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) f.fail('shape', 'a list of non-negative integers');
    size *= d;
    if (size > MAX_ELEMENTS) throw new FormatError(`${f.where}: shape ${previewValue(raw)} has more than 2^31 elements; the manifest is corrupt`);
  }
  return { shape: raw as number[], size };
}

function readSpec(entry: Json, where: string): Spec {
  if (!isObject(entry)) throw new FormatError(`${where} must be an object {name, shape, dtype}, got ${previewValue(entry)}`);
  const name = new JsonFields(entry, where).string('name');
  const named = new JsonFields(entry, `${where} ("${name}")`);
  const { shape, size } = readShape(named);
  const dtype = named.string('dtype') as Dtype;
  if (!(SUPPORTED_WEIGHT_DTYPES as readonly string[]).includes(dtype))
    throw new FormatError(`${named.where}: dtype "${dtype}" is not supported (supported: ${SUPPORTED_WEIGHT_DTYPES.join(', ')})`);
  let quant: Spec['quant'] = null;
  if (named.has('quantization')) {
    const q = new JsonFields(named.object('quantization'), `${named.where} quantization`);
    const qd = q.string('dtype');
    if (!(SUPPORTED_QUANTIZATION_DTYPES as readonly string[]).includes(qd))
      throw new FormatError(`${q.where}: dtype "${qd}" is not supported (supported: ${SUPPORTED_QUANTIZATION_DTYPES.join(', ')})`);
    if (qd === 'float16' && dtype !== 'float32') throw new FormatError(`${q.where}: float16 quantization applies to float32 weights, not ${dtype}`);
    if (dtype === 'bool') throw new FormatError(`${q.where}: bool weights cannot be quantized`);
    const affine = qd !== 'float16';
    quant = { dtype: qd as QuantDtype, scale: affine ? q.number('scale') : 1, min: affine ? q.number('min') : 0 };
  }
  return { name, shape, size, dtype: dtype as Dtype, quant, bytes: size * BYTES[quant?.dtype ?? dtype] };
}

/** IEEE 754 half precision to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(spec: Spec, view: DataView, offset: number): TfjsWeight {
  const { name, shape, size, quant } = spec;
  const read = (i: number): number => {
    if (quant === null) {
      const at = offset + i * BYTES[spec.dtype];
      return spec.dtype === 'float32' ? view.getFloat32(at, true) : spec.dtype === 'int32' ? view.getInt32(at, true) : view.getUint8(at) !== 0 ? 1 : 0;
    }
    if (quant.dtype === 'uint8') return view.getUint8(offset + i) * quant.scale + quant.min;
    const q = view.getUint16(offset + 2 * i, true);
    return quant.dtype === 'float16' ? halfToFloat(q) : q * quant.scale + quant.min;
  };
  if (spec.dtype === 'float32') {
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = read(i);
    return { name, shape, kind: 'float', data };
  }
  // Quantized integers are rounded back, as TF.js does.
  const data = new Int32Array(size);
  for (let i = 0; i < size; i++) data[i] = Math.round(read(i));
  return { name, shape, kind: 'int', data };
}

/** Shard paths as the manifest writes them, with a leading "./" dropped (TF.js resolves both the same way). */
export function normalizeShardPath(path: string): string {
  return path.replace(/^(\.\/)+/, '');
}

function readGroup(group: Json, where: string): { paths: string[]; specs: Spec[] } {
  if (!isObject(group)) throw new FormatError(`${where} must be an object {paths, weights}, got ${previewValue(group)}`);
  const f = new JsonFields(group, where);
  const paths = f.array('paths').map((p, i) => {
    if (typeof p !== 'string' || p === '') throw new FormatError(`${where}.paths[${i}] must be a file name, got ${previewValue(p)}`);
    return p;
  });
  const specs = f.array('weights').map((w, i) => readSpec(w, `${where}.weights[${i}]`));
  return { paths, specs };
}

/**
 * Decodes every weight of a manifest. `shard(path)` returns a shard's bytes, or undefined when it was not given.
 * Throws a FormatError for a malformed manifest, an unsupported dtype, a duplicate name, a missing shard, or shards
 * whose total size differs from what the manifest's shapes and dtypes need.
 */
export function decodeWeightsManifest(manifest: Json | undefined, shard: (path: string) => Uint8Array | undefined): Map<string, TfjsWeight> {
  const out = new Map<string, TfjsWeight>();
  if (manifest === undefined || manifest === null) return out;
  if (!Array.isArray(manifest)) throw new FormatError(`TF.js model.json: weightsManifest must be a list of groups, got ${previewValue(manifest)}`);
  manifest.forEach((g, gi) => {
    const where = `TF.js weightsManifest[${gi}]`;
    const { paths, specs } = readGroup(g, where);
    const need = specs.reduce((s, p) => s + p.bytes, 0);
    const parts = paths.map((p) => {
      const bytes = shard(normalizeShardPath(p));
      if (bytes === undefined)
        throw new FormatError(`${where}: weight shard "${p}" is missing; it must be given next to model.json (TF.js splits weights into ` +
          `${paths.length} shard${paths.length === 1 ? '' : 's'}: ${paths.join(', ')})`);
      if (!(bytes instanceof Uint8Array)) throw new FormatError(`${where}: weight shard "${p}" must be given as a Uint8Array`);
      return bytes;
    });
    const have = parts.reduce((s, b) => s + b.byteLength, 0);
    if (have !== need)
      throw new FormatError(`${where}: the shards ${paths.join(', ')} hold ${have} bytes but the manifest's ${specs.length} weights need ` +
        `${need} bytes (${have < need ? 'a shard is truncated or missing data' : 'the shapes or dtypes in the manifest do not match the shards'})`);
    const bytes = parts.length === 1 ? parts[0] : concat(parts, have);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const spec of specs) {
      if (out.has(spec.name)) throw new FormatError(`${where}: weight "${spec.name}" is listed twice in the manifest`);
      out.set(spec.name, decode(spec, view, offset));
      offset += spec.bytes;
    }
  });
  return out;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
