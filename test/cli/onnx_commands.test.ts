/**
 * The ONNX commands (inspect, run, export), driven through their Command objects with buffered output, so that they
 * are tested whether or not the command table lists them yet.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { exportCommand } from '../../src/cli/commands/export.js';
import { inspectCommand } from '../../src/cli/commands/inspect.js';
import { runModelCommand } from '../../src/cli/commands/run.js';
import { attr, floatTensor, graph, model, node, valueInfo } from '../../src/io/onnx/builder.js';
import { encodeModel } from '../../src/io/onnx/encode.js';
import { importOnnx } from '../../src/io/onnx/import.js';
import { writeNpy } from '../../src/io/npy.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/close.js';
import { runCommand } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-onnx-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('export writes a builder model that inspect describes and run executes', async () => {
  const file = join(dir, 'v3s.onnx');
  const said = await runCommand(exportCommand, 'mobilenet_v3_small', file, '--input', '32x32x3', '--classes', '7', '--opset', '14', '--fold-bn');
  assert.match(said, /^wrote .*v3s\.onnx \([\d.]+ [kM]B, opset 14, batch norm folded\): input 'input' \[1, 3, 32, 32\] \(NCHW\), output 'output'$/m);
  const text = await runCommand(inspectCommand, file);
  assert.match(text, /^opset: +14$/m);
  assert.match(text, /^input input: +\[1, 3, 32, 32\]$/m);
  assert.match(text, /^nodes: +\d+: Conv x\d+, .*HardSwish x\d+/m);
  assert.match(text, /^node +kind +output +params +MACs \(M\) +bytes$/m);
  assert.match(text, /^total +7 /m);
  const json = JSON.parse(await runCommand(inspectCommand, file, '--json'));
  assert.equal(json.opset, 14);
  assert.ok(json.ops.Conv > 10);
  assert.deepEqual(json.cost.output, [1, 7]);
  assert.ok(json.cost.totals.macs > 0);

  const x = new Float32Array(3 * 32 * 32).map((_, i) => Math.sin(i));
  const npy = join(dir, 'x.npy');
  writeFileSync(npy, writeNpy({ dtype: 'float32', shape: [1, 3, 32, 32], data: x }));
  const ran = JSON.parse(await runCommand(runModelCommand, file, '--input', npy, '--json'));
  assert.deepEqual(ran.outputs.output.shape, [1, 7]);
  const expected = importOnnx(readFileSync(file)).run({ input: new Tensor(x, [1, 3, 32, 32]) }).output;
  assertClose(ran.outputs.output.data, expected.data, { rtol: 1e-6, atol: 1e-6 }, 'run --json');
  assert.match(await runCommand(runModelCommand, file, '--input', npy, '--top', '3'), /^output \[1, 7\]\nclass +score +softmax\n(.*\n){4}/m);
});

test('run takes an image, resized to the model input, scaled and normalised', async () => {
  // y = mean over pixels of each channel: checks channel order, scaling and normalisation at once.
  const bytes = encodeModel(model(graph({
    nodes: [node('GlobalAveragePool', ['x'], ['g']), node('Flatten', ['g'], ['y'], { axis: attr.int(1) })],
    inputs: [valueInfo('x', ['N', 3, 'H', 'W'])], outputs: [valueInfo('y', null)],
  })));
  const file = join(dir, 'mean.onnx');
  writeFileSync(file, bytes);
  const data = Buffer.alloc(8 * 8 * 4);
  for (let p = 0; p < 64; p++) data.set([255, 51, 0, 255], 4 * p);
  const image = join(dir, 'red.png');
  writeFileSync(image, PNG.sync.write({ width: 8, height: 8, data }));
  const out = JSON.parse(await runCommand(runModelCommand, file, '-i', image, '--mean', '0.5,0,0', '--std', '0.5,1,1', '--json'));
  assertClose(out.outputs.y.data, [1, 0.2, 0], { atol: 1e-5 }, 'channel means');
  const scaled = JSON.parse(await runCommand(runModelCommand, file, '-i', image, '--scale', '1', '--size', '2x3', '--json'));
  assertClose(scaled.outputs.y.data, [255, 51, 0], { atol: 1e-3 }, 'unscaled');
});

test('bad arguments and files fail with one clear error', async () => {
  await assert.rejects(runCommand(runModelCommand, join(dir, 'none.onnx'), '--input', 'x.npy'), /cannot read the model '.*none\.onnx': ENOENT/);
  await assert.rejects(runCommand(runModelCommand, 'm.onnx'), /--input is required/);
  await assert.rejects(runCommand(runModelCommand, 'm.onnx', '--input', 'x.txt'), /must be a \.npy, \.png, \.jpg or \.jpeg file/);
  const notOnnx = join(dir, 'not.onnx');
  writeFileSync(notOnnx, '{"format": "graph-model"}');
  await assert.rejects(runCommand(inspectCommand, notOnnx), /not\.onnx: ONNX: this looks like a JSON file/);
  await assert.rejects(runCommand(exportCommand, 'resnet9000', join(dir, 'o.onnx')), /neither a checkpoint \(\.safetensors\) nor a model/);
  await assert.rejects(runCommand(exportCommand, 'small_cnn', join(dir, 'o.onnx'), '--opset', '5'), /--opset must be from 7 to 21/);
  await assert.rejects(runCommand(exportCommand, 'small_cnn', join(dir, 'missing', 'o.onnx')), /cannot write '.*o\.onnx': ENOENT/);
  const symbolic = join(dir, 'sym.onnx');
  writeFileSync(symbolic, encodeModel(model(graph({
    nodes: [node('Conv', ['x', 'w'], ['y'])], inputs: [valueInfo('x', ['N', 2, 'H', 'W'])], outputs: [valueInfo('y', null)],
    initializers: [floatTensor('w', [1, 2, 1, 1], [1, 1])],
  }))));
  assert.match(await runCommand(inspectCommand, symbolic), /no cost analysis: the input \[N, 2, H, W\] has symbolic or unknown sizes; give them with --input HxWxC/);
  assert.match(await runCommand(inspectCommand, symbolic, '--input', '5x6x2'), /^total +5x6x1 +2 /m);
});
