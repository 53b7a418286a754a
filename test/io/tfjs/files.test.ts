/**
 * Bad TF.js files fail fast with one clear error (malformed JSON, prototype keys, missing or short shards, lying
 * manifests, unknown dtypes, unsupported layers); the Node loader reads shards next to model.json and nowhere else.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { listBackends, getBackend, setBackend } from '../../../src/backend/registry.js';
import { initWasmBackend } from '../../../src/backend/wasm/index.js';
import { ArgumentError, FormatError, ShapeError } from '../../../src/errors.js';
import { loadTfjsModelFromFile } from '../../../src/io/tfjs/file.js';
import { loadTfjsModel } from '../../../src/io/tfjs/load.js';
import type { TfjsModel } from '../../../src/io/tfjs/model.js';
import { halfToFloat } from '../../../src/io/tfjs/weights.js';
import { noGrad } from '../../../src/tensor/autograd.js';
import { tidy } from '../../../src/tensor/memory.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose } from '../../helpers/close.js';
import { floatToHalf, randomValues, randomizeWeights, saveLayersModel, tf, type SavedModel } from './tfjs_fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-tfjs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function smallModel(): Promise<{ model: tf.Sequential; saved: SavedModel }> {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, padding: 'same', name: 'conv' }));
  model.add(tf.layers.batchNormalization({ name: 'bn' }));
  model.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  model.add(tf.layers.dense({ units: 2, name: 'fc' }));
  randomizeWeights(model, 31);
  return { model, saved: await saveLayersModel(model) };
}

/** A deep copy of model.json to edit. */
const copy = (json: object): Record<string, any> => JSON.parse(JSON.stringify(json));

const manifestOf = (json: Record<string, any>): { paths: string[]; weights: Record<string, any>[] } => json.weightsManifest[0];

test('model.json that is not JSON, not an object, or holds prototype keys is rejected', async () => {
  const { saved } = await smallModel();
  assert.throws(() => loadTfjsModel({ json: '{"format": "layers-model",', weights: new Map() }), (e: Error) => e instanceof FormatError && /not valid JSON/.test(e.message));
  assert.throws(() => loadTfjsModel({ json: '[1, 2]', weights: new Map() }), /must hold a JSON object/);
  const text = JSON.stringify(saved.json).replace('"modelTopology":{', '"modelTopology":{"__proto__":{"polluted":true},');
  assert.throws(() => loadTfjsModel({ json: text, weights: saved.weights }), /key "__proto__" at \$\.modelTopology is not allowed/);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  const deep = '['.repeat(500) + ']'.repeat(500);
  assert.throws(() => loadTfjsModel({ json: `{"modelTopology": ${deep}}`, weights: new Map() }), /nested more than 200 levels/);
  assert.throws(() => loadTfjsModel({ json: '{"weightsManifest": []}', weights: new Map() }), /no modelTopology/);
  assert.throws(() => loadTfjsModel({ json: { ...saved.json, format: 'saved-model' }, weights: saved.weights }), /format "saved-model" is not supported/);
  assert.throws(() => loadTfjsModel({ json: saved.json, weights: {} as Map<string, Uint8Array> }), ArgumentError);
});

test('missing, short and over-long shards and lying manifests fail before anything is built', async () => {
  const { saved } = await smallModel();
  const path = manifestOf(saved.json).paths[0];
  const bytes = saved.weights.get(path)!;
  assert.throws(() => loadTfjsModel({ json: saved.json, weights: new Map() }), /weight shard "group1-shard1of1\.bin" is missing/);
  assert.throws(() => loadTfjsModel({ json: saved.json, weights: new Map([[path, bytes.subarray(0, bytes.length - 4)]]) }),
    /hold \d+ bytes but the manifest's 8 weights need \d+ bytes \(a shard is truncated or missing data\)/);
  const bigger = new Uint8Array(bytes.length + 8);
  bigger.set(bytes);
  assert.throws(() => loadTfjsModel({ json: saved.json, weights: new Map([[path, bigger]]) }), /the shapes or dtypes in the manifest do not match the shards/);
  const lying = copy(saved.json);
  manifestOf(lying).weights[0].shape = [3, 3, 2, 4];
  assert.throws(() => loadTfjsModel({ json: lying, weights: saved.weights }), /need \d+ bytes/);
  // "./" prefixes in the manifest or in the map keys are the same file.
  const dotted = copy(saved.json);
  manifestOf(dotted).paths = [`./${path}`];
  assert.equal(loadTfjsModel({ json: dotted, weights: saved.weights }).format, 'layers-model');
});

test('unknown dtypes, bad quantization and malformed shapes are named', async () => {
  const { saved } = await smallModel();
  const edit = (f: (w: Record<string, any>) => void): Record<string, any> => {
    const j = copy(saved.json);
    f(manifestOf(j).weights[1]);
    return j;
  };
  assert.throws(() => loadTfjsModel({ json: edit((w) => (w.dtype = 'complex64')), weights: saved.weights }),
    /weights\[1\] \("conv\/bias"\): dtype "complex64" is not supported \(supported: float32, int32, bool\)/);
  assert.throws(() => loadTfjsModel({ json: edit((w) => (w.quantization = { dtype: 'int4', scale: 1, min: 0 })), weights: saved.weights }),
    /quantization: dtype "int4" is not supported \(supported: uint8, uint16, float16\)/);
  assert.throws(() => loadTfjsModel({ json: edit((w) => (w.quantization = { dtype: 'uint8', min: 0 })), weights: saved.weights }), /"scale" must be a finite number/);
  assert.throws(() => loadTfjsModel({ json: edit((w) => (w.shape = [-3])), weights: saved.weights }), /"shape" must be a list of non-negative integers/);
  assert.throws(() => loadTfjsModel({ json: edit((w) => (w.shape = [65536, 65536, 65536])), weights: saved.weights }), /more than 2\^31 elements/);
  assert.throws(() => loadTfjsModel({ json: edit((w) => (w.name = 'conv/kernel')), weights: saved.weights }), /weight "conv\/kernel" is listed twice/);
});

test('float16 decoding covers normals, subnormals, zeros and infinities', () => {
  for (const v of [0, -0, 1, -2.5, 65504, 2 ** -14, 2 ** -24, 3 * 2 ** -20, 0.333251953125, Infinity, -Infinity])
    assert.equal(halfToFloat(floatToHalf(v)), v, `round trip of ${v}`);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('unsupported layers, config values and missing weights are listed in one FormatError', async () => {
  const { saved } = await smallModel();
  const j = copy(saved.json);
  const layers = j.modelTopology.config.layers;
  layers[0].config.data_format = 'channels_first';
  layers[1].config.renorm = true;
  layers.splice(2, 0, { class_name: 'LSTM', config: { name: 'lstm', units: 4 } });
  layers[4].config.activation = 'elu';
  layers[4].config.kernel_quantizer = 'int8';
  assert.throws(() => loadTfjsModel({ json: j, weights: saved.weights }), (e: Error) => {
    assert.ok(e instanceof FormatError);
    assert.match(e.message, /4 layers cannot be loaded/);
    assert.match(e.message, /layer 'conv' \(Conv2D\): config: data_format "channels_first" is not supported \(supported: channels_last\)/);
    assert.match(e.message, /layer 'bn' \(BatchNormalization\): renorm=true/);
    assert.match(e.message, /layer 'lstm' \(LSTM\): layer class not supported/);
    assert.match(e.message, /layer 'fc' \(Dense\): activation "elu" is not supported \(supported: hardSigmoid, .*swish/);
    assert.match(e.message, /Supported layers: Activation, .*DepthwiseConv2D, .*SeparableConv2D/);
    return true;
  });
  const unknownKey = copy(saved.json);
  unknownKey.modelTopology.config.layers[3].config.kernel_quantizer = 'int8';
  assert.throws(() => loadTfjsModel({ json: unknownKey, weights: saved.weights }), /layer 'fc' \(Dense\): config kernel_quantizer="int8" not supported/);
  const renamed = copy(saved.json);
  manifestOf(renamed).weights.find((w) => w.name === 'fc/kernel')!.name = 'head/kernel';
  assert.throws(() => loadTfjsModel({ json: renamed, weights: saved.weights }), /layer 'fc' \(Dense\): weight "fc\/kernel" is not in the weights manifest/);
});

test('functional topologies with a dangling input or a cycle are rejected', () => {
  const layer = (name: string, inbound: string[]) => ({
    class_name: 'ReLU', name, config: { name }, inbound_nodes: [inbound.map((i) => [i, 0, 0, {}])],
  });
  const topology = (layers: object[]) => ({
    format: 'layers-model',
    modelTopology: {
      class_name: 'Model',
      config: {
        name: 'm', input_layers: [['in', 0, 0]], output_layers: [['b', 0, 0]],
        layers: [{ class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 3] }, inbound_nodes: [] }, ...layers],
      },
    },
    weightsManifest: [],
  });
  assert.throws(() => loadTfjsModel({ json: topology([layer('a', ['in']), layer('b', ['ghost'])]), weights: new Map() }),
    /layer 'b' reads "ghost:0:0", which no layer or input produces/);
  assert.throws(() => loadTfjsModel({ json: topology([layer('a', ['b']), layer('b', ['a'])]), weights: new Map() }), /the layers form a cycle \('a', 'b' can never run\)/);
  const ok = loadTfjsModel({ json: topology([layer('a', ['in']), layer('b', ['a'])]), weights: new Map() });
  assert.deepEqual(Array.from(noGrad(() => ok.call(new Tensor(Float32Array.from([-1, 0, 2]), [1, 3]))).data), [0, 0, 2]);
});

test('loadTfjsModelFromFile reads the shards next to model.json and refuses paths outside its folder', async () => {
  const { model, saved } = await smallModel();
  const file = join(dir, 'model.json');
  writeFileSync(file, JSON.stringify(saved.json));
  for (const [p, b] of saved.weights) writeFileSync(join(dir, p), b);
  const x = randomValues(6 * 6 * 2, 3);
  const expected = tf.tidy(() => (model.predict(tf.tensor(x, [1, 6, 6, 2])) as tf.Tensor).dataSync());
  const loaded = loadTfjsModelFromFile(file);
  assertClose(noGrad(() => loaded.call(new Tensor(Float32Array.from(x), [1, 6, 6, 2]))).data, expected, { rtol: 1e-4, atol: 1e-5 }, 'from file');

  const escape = copy(saved.json);
  manifestOf(escape).paths = ['../outside.bin'];
  writeFileSync(join(dir, 'escape.json'), JSON.stringify(escape));
  assert.throws(() => loadTfjsModelFromFile(join(dir, 'escape.json')), /shard path "\.\.\/outside\.bin" must be a file name relative to model\.json/);
  const missing = copy(saved.json);
  manifestOf(missing).paths = ['nope.bin'];
  writeFileSync(join(dir, 'missing.json'), JSON.stringify(missing));
  assert.throws(() => loadTfjsModelFromFile(join(dir, 'missing.json')), /weight shard "nope\.bin" is missing/);
});

test('run() and forward() check input names and shapes', async () => {
  const { saved } = await smallModel();
  const model = loadTfjsModel(saved);
  const name = model.inputs[0].name;
  assert.throws(() => model.call(Tensor.zeros([1, 6, 5, 2])), (e: Error) => e instanceof ShapeError && /expects shape \[\?, 6, 6, 2\]/.test(e.message));
  assert.throws(() => model.run({ wrong: Tensor.zeros([1, 6, 6, 2]) }), new RegExp(`missing "${name}"; unknown "wrong"`));
  assert.deepEqual(model.run({ [name]: Tensor.zeros([3, 6, 6, 2]) })['fc'].shape, [3, 2]);
});

test('a model loaded inside tidy() survives it, and runs on every backend that loads here', async () => {
  // The wasm backend registers itself when its module loads; where it cannot load, js (and meta) remain.
  await initWasmBackend().catch(() => undefined);
  const { model: tfModel, saved } = await smallModel();
  let model!: TfjsModel;
  tidy(() => {
    model = loadTfjsModel(saved);
  });
  const x = randomValues(2 * 6 * 6 * 2, 4);
  const expected = tf.tidy(() => (tfModel.predict(tf.tensor(x, [2, 6, 6, 2])) as tf.Tensor).dataSync());
  const previous = getBackend();
  try {
    for (const backend of listBackends().filter((b) => b !== 'meta')) {
      setBackend(backend);
      assertClose(noGrad(() => model.call(new Tensor(Float32Array.from(x), [2, 6, 6, 2]))).data, expected, { rtol: 1e-4, atol: 1e-5 }, backend);
    }
  } finally {
    setBackend(previous);
  }
});
