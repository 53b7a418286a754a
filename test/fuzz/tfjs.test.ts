import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadTfjsModel } from '../../src/io/tfjs/load.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { tidy } from '../../src/tensor/memory.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { A, convAttrs, GraphBuilder } from '../io/tfjs/graph_builder.js';
import { randomizeWeights, saveLayersModel, tf, type SavedModel } from '../io/tfjs/tfjs_fixtures.js';
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
  const g = new GraphBuilder(1);
  const conv = g.n('conv', '_FusedConv2D', [g.placeholder('x', [-1, 6, 6, 2]), g.c('filter', [3, 3, 2, 4]), g.c('bias', [4])],
    { ...convAttrs(1, 'SAME'), num_args: A.i(1), fused_ops: A.strs(['BiasAdd', 'Relu6']), epsilon: A.f(0) });
  const depthwise = g.n('depthwise', 'DepthwiseConv2dNative', [conv, g.c('dw', [3, 3, 4, 1])], convAttrs(1, 'SAME'));
  const mean = g.n('mean', 'Mean', [depthwise, g.c('axes', [2], [1, 2], 'int32')], { keep_dims: A.b(false), Tidx: A.int });
  const logits = g.n('logits', 'MatMul', [mean, g.c('w', [4, 3])], { transpose_a: A.b(false), transpose_b: A.b(false) });
  g.n('Identity', 'Identity', [logits]);
  return g.files();
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
