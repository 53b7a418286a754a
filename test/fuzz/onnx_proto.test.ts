import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { DataType, decodeModel, decodeTensor, tensorToFloat32, tensorToInt64, type GraphProto, type TensorProto } from '../../src/io/onnx/proto.js';
import { fuzzReader, type FuzzInput } from './harness.js';

const CONFORMANCE = join(import.meta.dirname, '../../../../shared/onnx-conformance');
const cases = readdirSync(CONFORMANCE).filter((n) => n.startsWith('test_')).sort();
const models = cases.map((c) => new Uint8Array(readFileSync(join(CONFORMANCE, c, 'model.onnx'))));
const tensors = cases.flatMap((c) => ['input_0.pb', 'output_0.pb'].map((f) =>
  new Uint8Array(readFileSync(join(CONFORMANCE, c, 'test_data_set_0', f)))));

// ---- a few protobuf encoders, to build hostile messages directly ----

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint(BigInt(field * 8 + wire));
const lenField = (field: number, body: number[]) => [...key(field, 2), ...varint(BigInt(body.length)), ...body];
const intField = (field: number, value: bigint) => [...key(field, 0), ...varint(value)];

/** A TensorProto whose dims, type and data may disagree (negative or huge dims, short or long raw_data). */
const lyingTensor: fc.Arbitrary<number[]> = fc.record({
  dims: fc.array(fc.oneof(fc.constantFrom(-1n, 0n, 1n, 3n, 2n ** 31n, 2n ** 53n, 2n ** 63n - 1n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
    { maxLength: 5 }),
  packed: fc.boolean(),
  dataType: fc.constantFrom(0n, 1n, 6n, 7n, 10n, 11n, 8n, 16n, 99n, -1n),
  raw: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
  floats: fc.array(fc.float({ noDefaultInfinity: false }), { maxLength: 8 }),
  location: fc.constantFrom(0n, 1n, 2n),
}).map(({ dims, packed, dataType, raw, floats, location }) => [
  ...(packed ? lenField(1, dims.flatMap((d) => varint(d))) : dims.flatMap((d) => intField(1, d))),
  ...intField(2, dataType),
  ...lenField(8, [...new TextEncoder().encode('w')]),
  ...(raw === undefined ? [] : lenField(9, [...raw])),
  ...lenField(4, floats.flatMap((f) => [...new Uint8Array(Float32Array.of(f).buffer)])),
  ...(location === 0n ? [] : intField(14, location)),
]);

/** A model whose graph holds a node whose attribute holds a graph ... `depth` times (or groups nested as deep). */
const deepModel: fc.Arbitrary<number[]> = fc.tuple(fc.integer({ min: 1, max: 400 }), fc.boolean()).map(([depth, groups]) => {
  if (groups) {
    // Unknown field 15 as nested start-group/end-group pairs (wire types 3 and 4).
    const open = Array.from({ length: depth }, () => key(15, 3)).flat();
    const close = Array.from({ length: depth }, () => key(15, 4)).flat();
    return lenField(7, [...open, ...close]);
  }
  let graph: number[] = [];
  for (let d = 0; d < depth; d++) {
    const attribute = [...lenField(1, [0x67]), ...intField(20, 5n), ...lenField(6, graph)];
    graph = lenField(1, [...lenField(4, [...new TextEncoder().encode('If')]), ...lenField(5, attribute)]);
  }
  return [...intField(1, 8n), ...lenField(7, graph)];
});

/** Every tensor of a decoded graph (initializers and attribute tensors, in sub-graphs too). */
function* graphTensors(g: GraphProto | null): Generator<TensorProto> {
  if (g === null) return;
  yield* g.initializer;
  for (const n of g.node)
    for (const a of n.attribute) {
      if (a.t !== null) yield a.t;
      yield* a.tensors;
      yield* graphTensors(a.g);
      for (const sub of a.graphs) yield* graphTensors(sub);
    }
}

/** Reads a tensor's values the way the importer does: floats, or integers for shape-like data. */
function readValues(t: TensorProto): void {
  if (t.data_type === DataType.INT64 || t.data_type === DataType.INT32) tensorToInt64(t);
  else tensorToFloat32(t);
}

test('fuzz: ONNX model protobuf decoding (conformance models)', () => {
  const generated: fc.Arbitrary<FuzzInput> = fc.oneof(
    deepModel,
    lyingTensor.map((t) => [...intField(1, 8n), ...lenField(7, lenField(5, t))]),
  ).map((bytes) => ({ seed: -1, bytes: Uint8Array.from(bytes) }));
  const report = fuzzReader({
    name: 'onnx model', seeds: models, generated,
    read: ({ bytes }) => {
      for (const t of graphTensors(decodeModel(bytes).graph)) readValues(t);
    },
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

test('fuzz: ONNX TensorProto decoding (conformance inputs and outputs)', () => {
  const report = fuzzReader({
    name: 'onnx tensor', seeds: tensors,
    generated: lyingTensor.map((bytes) => ({ seed: -1, bytes: Uint8Array.from(bytes) })),
    read: ({ bytes }) => readValues(decodeTensor(bytes)),
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});
