/**
 * Test helpers around onnxruntime-node (the reference every ONNX test compares against): run a model file in ONNX
 * Runtime and in sepconv's importer on the same NCHW inputs and compare every output.
 */
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { importOnnx, type OnnxModel } from '../../../src/io/onnx/import.js';
import { Random } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers/close.js';

export interface Data {
  dims: number[];
  data: Float32Array;
}

/** Uniform values in [lo, hi) from a seeded generator. */
export function randomData(dims: number[], seed: number, lo = -1, hi = 1): Data {
  const rng = new Random(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return { dims, data: Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform()) };
}

/** Runs `bytes` in ONNX Runtime (CPU) on float32 inputs; returns every output by name. */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, Data>): Promise<Record<string, Data>> {
  const session = await InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new OrtTensor('float32', v.data, v.dims)]));
    const out = await session.run(inputs);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: [...v.dims], data: Float32Array.from(v.data as Float32Array) }]));
  } finally {
    await session.release();
  }
}

/** Runs an imported model on NCHW inputs (ONNX layout). */
export function runSepconv(model: OnnxModel, feeds: Record<string, Data>): Record<string, Data> {
  const out = model.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor(v.data, v.dims)])));
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: [...v.shape], data: v.data }]));
}

export function assertSameOutputs(actual: Record<string, Data>, expected: Record<string, Data>, tol: number, what: string): void {
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name];
    if (a === undefined) throw new Error(`${what}: output ${name} missing`);
    if (a.dims.join() !== e.dims.join()) throw new Error(`${what}: output ${name} has dims [${a.dims}], expected [${e.dims}]`);
    assertClose(a.data, e.data, { rtol: tol, atol: tol }, `${what}: ${name}`);
  }
}

/** Imports `bytes`, runs it and ONNX Runtime on `feeds`, and asserts equal outputs. Returns the imported model. */
export async function importAndCompare(bytes: Uint8Array, feeds: Record<string, Data>, what: string, tol = 1e-5): Promise<OnnxModel> {
  const model = importOnnx(bytes);
  assertSameOutputs(runSepconv(model, feeds), await runOrt(bytes, feeds), tol, what);
  return model;
}
