/**
 * Loads ONNX conformance cases (`../shared/onnx-conformance/<name>/`) into plain float32 data for op tests.
 *
 * Everything stays in ONNX layout (NCHW activations, OIHW conv weights); the layout helpers at the bottom convert
 * to sepconv's channels-last layout.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError, ShapeError } from '../../src/errors.js';
import {
  AttributeType, decodeModel, decodeTensor, tensorToFloat32, type AttributeProto, type TensorProto,
} from '../../src/io/onnx/proto.js';

export interface ConformanceTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export type AttrValue = number | number[] | string | string[] | { dims: number[]; data: Float32Array };

export interface ConformanceNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ConformanceCase {
  name: string;
  /** Version of the default ("" / ai.onnx) operator set: attribute semantics depend on it. */
  opsetVersion: number;
  nodes: ConformanceNode[];
  /** Constant inputs (weights, BN statistics) by name; node inputs not in here are graph inputs or node outputs. */
  initializers: Map<string, { dims: number[]; data: Float32Array }>;
  /** Graph inputs that are not initializers, in order, with the values from test_data_set_0/input_<i>.pb. */
  inputs: ConformanceTensor[];
  /** Graph outputs, in order, with the expected values from test_data_set_0/output_<i>.pb. */
  outputs: ConformanceTensor[];
}

/** build/test/helpers -> repo root is three levels up; the shared data sits next to the repo. */
export function conformanceDir(): string {
  const override = process.env['SEPCONV_CONFORMANCE_DIR'];
  if (override) return resolve(override);
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return resolve(root, '..', 'shared', 'onnx-conformance');
}

/** Names of all cases (directories holding a model.onnx), sorted. */
export function listConformanceCases(): string[] {
  const dir = conformanceDir();
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'model.onnx')))
    .map((e) => e.name)
    .sort();
}

const utf8 = new TextDecoder();

function attrValue(a: AttributeProto): AttrValue {
  switch (a.type) {
    case AttributeType.FLOAT: return a.f;
    case AttributeType.INT: return a.i;
    case AttributeType.STRING: return utf8.decode(a.s);
    case AttributeType.FLOATS: return a.floats;
    case AttributeType.INTS: return a.ints;
    case AttributeType.STRINGS: return a.strings.map((s) => utf8.decode(s));
    case AttributeType.TENSOR: return { dims: a.t!.dims, data: tensorToFloat32(a.t!) };
    default: throw new FormatError(`ONNX: attribute "${a.name}" has unsupported type ${a.type}`);
  }
}

/** `input_0.pb, input_1.pb, ...` in numeric order. */
function dataFiles(dir: string, prefix: 'input' | 'output'): string[] {
  const re = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return readdirSync(dir)
    .map((f) => re.exec(f))
    .filter((m) => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => join(dir, m[0]));
}

function loadTensors(files: string[], names: string[], what: string): ConformanceTensor[] {
  if (files.length !== names.length) throw new FormatError(`${what}: ${files.length} .pb files for ${names.length} graph values [${names}]`);
  return files.map((f, i) => {
    const t: TensorProto = decodeTensor(readFileSync(f));
    // The .pb tensors are usually unnamed; the graph says which value each one is.
    return { name: names[i]!, dims: t.dims, data: tensorToFloat32(t) };
  });
}

/** Loads `<name>` (e.g. `test_Conv2d`; the `test_` prefix may be left off). */
export function loadConformanceCase(name: string): ConformanceCase {
  const base = conformanceDir();
  const dirName = existsSync(join(base, name)) || name.startsWith('test_') ? name : `test_${name}`;
  const dir = join(base, dirName);
  const model = decodeModel(readFileSync(join(dir, 'model.onnx')));
  const graph = model.graph;
  if (graph === null) throw new FormatError(`${dirName}/model.onnx has no graph`);

  const opset = model.opset_import.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  const initializers = new Map(graph.initializer.map((t) => [t.name, { dims: t.dims, data: tensorToFloat32(t) }]));
  // Before IR 4, initializers were also listed as graph inputs; only the rest are fed by input_<i>.pb.
  const inputNames = graph.input.map((v) => v.name).filter((n) => !initializers.has(n));
  const data = join(dir, 'test_data_set_0');

  return {
    name: dirName,
    opsetVersion: opset?.version ?? 0,
    nodes: graph.node.map((n) => ({
      opType: n.op_type,
      inputs: n.input,
      outputs: n.output,
      attrs: Object.fromEntries(n.attribute.map((a) => [a.name, attrValue(a)])),
    })),
    initializers,
    inputs: loadTensors(dataFiles(data, 'input'), inputNames, `${dirName} inputs`),
    outputs: loadTensors(dataFiles(data, 'output'), graph.output.map((v) => v.name), `${dirName} outputs`),
  };
}

// ---- layout helpers (ONNX is NCHW / OIHW; sepconv is channels-last) ----

/** Generic 4-D transpose: out dims[i] = dims[perm[i]]. */
function permute4(data: Float32Array, dims: number[], perm: [number, number, number, number], what: string) {
  if (dims.length !== 4 || dims.reduce((a, b) => a * b, 1) !== data.length) {
    throw new ShapeError(`${what}: expected 4-D dims matching ${data.length} values, got [${dims}]`);
  }
  const outDims = perm.map((p) => dims[p]!);
  const inStrides = [dims[1]! * dims[2]! * dims[3]!, dims[2]! * dims[3]!, dims[3]!, 1];
  const [s0, s1, s2, s3] = perm.map((p) => inStrides[p]!) as [number, number, number, number];
  const [d0, d1, d2, d3] = outDims as [number, number, number, number];
  const out = new Float32Array(data.length);
  let o = 0;
  for (let a = 0; a < d0; a++)
    for (let b = 0; b < d1; b++)
      for (let c = 0; c < d2; c++)
        for (let d = 0; d < d3; d++) out[o++] = data[a * s0 + b * s1 + c * s2 + d * s3]!;
  return { dims: outDims, data: out };
}

/** [N, C, H, W] -> [N, H, W, C]. */
export function nchwToNhwc(data: Float32Array, dims: number[]): { dims: number[]; data: Float32Array } {
  return permute4(data, dims, [0, 2, 3, 1], 'nchwToNhwc');
}

/** [N, H, W, C] -> [N, C, H, W]. */
export function nhwcToNchw(data: Float32Array, dims: number[]): { dims: number[]; data: Float32Array } {
  return permute4(data, dims, [0, 3, 1, 2], 'nhwcToNchw');
}

/**
 * Conv weights [O, I/g, KH, KW] -> [KH, KW, I/g, O]. For depthwise (g = C, O = C*M) this gives [K, K, 1, C*M],
 * i.e. sepconv's depthwise [K, K, C*M] once the 1 is dropped.
 */
export function oihwToHwio(data: Float32Array, dims: number[]): { dims: number[]; data: Float32Array } {
  return permute4(data, dims, [2, 3, 1, 0], 'oihwToHwio');
}
