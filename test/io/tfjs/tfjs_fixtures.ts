/**
 * TF.js (@tensorflow/tfjs, pure JS 'cpu' backend, no network) as the reference for the TF.js importer: helpers that
 * save a tf.LayersModel the way `model.save('file://...')` lays it out (model.json + shards), quantize its weights
 * the way tfjs-converter writes quantized manifests, and load the same files back into TF.js.
 */
import * as tf from '@tensorflow/tfjs';
import { Random } from '../../../src/tensor/random.js';

await tf.setBackend('cpu');
// Keeps TF.js' "install tfjs-node" notice out of the test output.
tf.env().set('IS_TEST', true);

export { tf };

export type Quantization = 'uint8' | 'uint16' | 'float16';

export interface SavedModel {
  /** model.json as an object. */
  json: Record<string, unknown>;
  /** Shards by path. */
  weights: Map<string, Uint8Array>;
  /** What TF.js' own loaders take: the same topology, specs and bytes. */
  artifacts: tf.io.ModelArtifacts;
}

/** IEEE 754 half precision bits of `v` (round to nearest even), the encoding of float16 weight shards. */
export function floatToHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  // A mantissa that rounds up past 0x3ff carries into the exponent, as it should.
  let h = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/** Quantizes float32 weights as tfjs-converter does: each weight gets {dtype, scale, min} (affine) or float16. */
export function quantize(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, dtype: Quantization): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((p, d) => p * d, 1);
    const values = new Float32Array(data.slice(offset, offset + size * 4));
    offset += size * 4;
    if (dtype === 'float16') {
      parts.push(new Uint8Array(Uint16Array.from(values, floatToHalf).buffer));
      out.push({ ...spec, quantization: { dtype: 'float16' } });
      continue;
    }
    const levels = dtype === 'uint8' ? 255 : 65535;
    const min = Math.min(...values);
    const max = Math.max(...values);
    const scale = max > min ? (max - min) / levels : 1;
    const q = values.map((v) => Math.round((v - min) / scale));
    parts.push(new Uint8Array((dtype === 'uint8' ? Uint8Array.from(q) : Uint16Array.from(q)).buffer));
    out.push({ ...spec, quantization: { dtype, scale, min } });
  }
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return { specs: out, data: bytes.buffer };
}

/** Splits `data` into shards of at most `shardBytes` ("group1-shard1of3.bin", ...), as TF.js writes large models. */
export function shard(data: ArrayBuffer, shardBytes: number): Map<string, Uint8Array> {
  const bytes = new Uint8Array(data);
  const n = Math.max(1, Math.ceil(bytes.byteLength / shardBytes));
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) out.set(`group1-shard${i + 1}of${n}.bin`, bytes.slice(i * shardBytes, (i + 1) * shardBytes));
  return out;
}

/** Fills every weight of `model` with seeded values (variances positive) so that BN statistics are not trivial. */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const rng = new Random(seed);
  model.setWeights(model.weights.map((w) => {
    const size = w.shape.reduce((p: number, d) => p * (d ?? 1), 1);
    const variance = w.originalName.endsWith('moving_variance');
    const gamma = w.originalName.endsWith('gamma');
    const values = Float32Array.from({ length: size }, () => (variance ? 0.5 + rng.uniform() : gamma ? 0.5 + rng.uniform() : rng.uniform() - 0.5));
    return tf.tensor(values, w.shape as number[]);
  }));
}

/** Saves a layers model to model.json + shards; optionally quantized and wrapped as the Keras converter does. */
export async function saveLayersModel(model: tf.LayersModel, o: { quantize?: Quantization; shardBytes?: number; kerasWrapper?: boolean } = {}): Promise<SavedModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  let specs = artifacts!.weightSpecs!;
  let data = artifacts!.weightData as ArrayBuffer;
  if (o.quantize !== undefined) ({ specs, data } = quantize(specs, data, o.quantize));
  const weights = shard(data, o.shardBytes ?? 1 << 22);
  const topology = o.kerasWrapper === true
    ? { keras_version: '2.15.0', backend: 'tensorflow', model_config: artifacts!.modelTopology }
    : artifacts!.modelTopology;
  const json = {
    format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers', convertedBy: null, modelTopology: topology,
    weightsManifest: [{ paths: [...weights.keys()], weights: specs }],
  };
  return { json, weights, artifacts: { ...artifacts!, weightSpecs: specs, weightData: data } };
}

/** A graph model's files and what tf.loadGraphModel takes. */
export function graphModelFiles(nodes: object[], consts: { name: string; shape: number[]; dtype: 'float32' | 'int32'; values: number[] }[],
  o: { quantize?: Quantization } = {}): SavedModel {
  let specs: tf.io.WeightsManifestEntry[] = consts.map(({ name, shape, dtype }) => ({ name, shape, dtype }));
  const bytes = new Uint8Array(consts.reduce((s, c) => s + c.values.length * 4, 0));
  let at = 0;
  for (const c of consts) {
    const arr = c.dtype === 'float32' ? Float32Array.from(c.values) : Int32Array.from(c.values);
    bytes.set(new Uint8Array(arr.buffer), at);
    at += arr.byteLength;
  }
  let data: ArrayBuffer = bytes.buffer;
  if (o.quantize !== undefined) {
    // Only float weights are quantized; the int32 shapes and axes stay as they are (tfjs-converter does the same).
    const floats = quantize(specs.filter((s) => s.dtype === 'float32'), concatFloat(consts), o.quantize);
    const ints = consts.filter((c) => c.dtype === 'int32');
    specs = [...floats.specs, ...ints.map(({ name, shape }) => ({ name, shape, dtype: 'int32' as const }))];
    const intBytes = new Uint8Array(Int32Array.from(ints.flatMap((c) => c.values)).buffer);
    const all = new Uint8Array(floats.data.byteLength + intBytes.byteLength);
    all.set(new Uint8Array(floats.data), 0);
    all.set(intBytes, floats.data.byteLength);
    data = all.buffer;
  }
  const modelTopology = { node: nodes, library: {}, versions: { producer: 1395 } };
  const json = {
    format: 'graph-model', generatedBy: '2.15.0', convertedBy: 'hand-written test GraphDef', modelTopology,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }],
  };
  return { json, weights: new Map([['group1-shard1of1.bin', new Uint8Array(data)]]), artifacts: { modelTopology, weightSpecs: specs, weightData: data, format: 'graph-model' } };
}

function concatFloat(consts: { dtype: string; values: number[] }[]): ArrayBuffer {
  return Float32Array.from(consts.filter((c) => c.dtype === 'float32').flatMap((c) => c.values)).buffer;
}

/** Seeded values in [-scale, scale). */
export function randomValues(n: number, seed: number, scale = 1): number[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale);
}
