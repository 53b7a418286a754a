import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadTfjsModel } from '../../src/io/tfjs/load.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { tidy } from '../../src/tensor/memory.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { graphModelFiles, randomValues, randomizeWeights, saveLayersModel, tf, type SavedModel } from '../io/tfjs/tfjs_fixtures.js';
import { fuzzReader, type FuzzInput, type FuzzTarget } from './harness.js';
import { anyJson, jsonEdited, jsonPaths, prototypeKey } from './json_hostile.js';

/** A small MobileNet-style layers model, saved as TF.js saves it, plain and with uint8-quantized weights. */
async function layersModels(): Promise<SavedModel[]> {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.reLU({ maxValue: 6 }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }));
  m.add(tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  randomizeWeights(m, 1);
  return [await saveLayersModel(m), await saveLayersModel(m, { quantize: 'uint8', shardBytes: 200 })];
}

/** A small graph model as tfjs-converter writes it: Placeholder, fused conv, depthwise, Relu6, Mean, MatMul. */
function graphModel(): SavedModel {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const ints = (v: number[]) => ({ list: { i: v.map(String) } });
  const float = { type: 'DT_FLOAT' };
  const shape = (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } });
  const consts = [
    { name: 'filter', shape: [3, 3, 2, 4], dtype: 'float32' as const, values: randomValues(72, 1) },
    { name: 'bias', shape: [4], dtype: 'float32' as const, values: randomValues(4, 2) },
    { name: 'dw', shape: [3, 3, 4, 1], dtype: 'float32' as const, values: randomValues(36, 3) },
    { name: 'axes', shape: [2], dtype: 'int32' as const, values: [1, 2] },
    { name: 'w', shape: [4, 3], dtype: 'float32' as const, values: randomValues(12, 4) },
  ];
  const constNode = (c: (typeof consts)[number]) => ({ name: c.name, op: 'Const', attr: {
    value: { tensor: { dtype: c.dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32', tensorShape: shape(c.shape).shape } },
    dtype: { type: c.dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32' } } });
  const conv = { strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]) };
  const nodes = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: shape([-1, 6, 6, 2]) } },
    ...consts.map(constNode),
    { name: 'conv', op: '_FusedConv2D', input: ['x', 'filter', 'bias'], attr: { T: float, ...conv, num_args: { i: '1' },
      fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } }, epsilon: { f: 0 } } },
    { name: 'depthwise', op: 'DepthwiseConv2dNative', input: ['conv', 'dw'], attr: { T: float, ...conv } },
    { name: 'mean', op: 'Mean', input: ['depthwise', 'axes'], attr: { T: float, keep_dims: { b: false }, Tidx: { type: 'DT_INT32' } } },
    { name: 'logits', op: 'MatMul', input: ['mean', 'w'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
    { name: 'Identity', op: 'Identity', input: ['logits'], attr: { T: float } },
  ];
  return graphModelFiles(nodes, consts);
}

const X = new Float32Array(2 * 6 * 6 * 2).map((_, i) => Math.sin(i));

/**
 * Seeds 2k are model k's model.json text, 2k + 1 the bytes of its first shard; a case mutates one of them and
 * loads the model with the other as saved, then runs it on a [2, 6, 6, 2] input.
 */
function tfjsTarget(name: string, models: SavedModel[]): FuzzTarget {
  const texts = models.map((m) => JSON.stringify(m.json));
  const seeds = models.flatMap((m, k) => [new TextEncoder().encode(texts[k]), [...m.weights.values()][0]]);
  const paths = models.map((m) => jsonPaths(m.json));
  // Structural edits of model.json: any value replaced by hostile JSON, or a prototype key added to an object.
  const generated: fc.Arbitrary<FuzzInput> = fc.tuple(fc.nat({ max: models.length - 1 }), fc.nat(), anyJson, fc.option(prototypeKey, { freq: 3 }))
    .map(([k, p, value, key]) => ({
      seed: 2 * k,
      bytes: new TextEncoder().encode(jsonEdited(models[k].json, paths[k][p % paths[k].length], value, key ?? undefined)),
    }));
  return {
    name, seeds, generated,
    read: ({ seed, bytes }) => {
      const m = models[seed >> 1];
      const [firstShard] = m.weights.keys();
      const model = seed % 2 === 0
        ? loadTfjsModel({ json: new TextDecoder().decode(bytes), weights: m.weights })
        : loadTfjsModel({ json: m.json, weights: new Map([...m.weights, [firstShard, bytes]]) });
      noGrad(() => tidy(() => {
        model.call(new Tensor(X.slice(), [2, 6, 6, 2]));
      }));
    },
  };
}

test('fuzz: TF.js layers models (model.json and weight shards)', async () => {
  const report = fuzzReader(tfjsTarget('tfjs layers model', await layersModels()));
  assert.ok(report.valid > 0 && report.errors > 0);
});

test('fuzz: TF.js graph models (model.json and weight shards)', () => {
  const report = fuzzReader(tfjsTarget('tfjs graph model', [graphModel()]));
  assert.ok(report.valid > 0 && report.errors > 0);
});

// Regressions found by the fuzzer.

test('TF.js graph model: a Placeholder dtype that is not a string is shown as JSON, and "constructor" is not a dtype', () => {
  const saved = graphModel();
  const withDtype = (type: unknown) => {
    const json = JSON.parse(JSON.stringify(saved.json)) as { modelTopology: { node: { op: string; attr: { dtype: unknown } }[] } };
    json.modelTopology.node.find((n) => n.op === 'Placeholder')!.attr.dtype = { type };
    return () => loadTfjsModel({ json, weights: saved.weights });
  };
  assert.throws(withDtype({ a: 1 }), /input dtype \{"a":1\} is not supported \(only float32 inputs\)/);
  assert.throws(withDtype('constructor'), /input dtype constructor is not supported/);
});
