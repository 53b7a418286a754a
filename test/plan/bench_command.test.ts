/**
 * `sepconv bench` driven through its Command object (argument parsing, run, output), as the CLI's main would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { initBackend } from '../../src/backend/select.js';
import { parseCommandArgs, UsageError, type CliIO } from '../../src/cli/command.js';
import { benchCommand } from '../../src/cli/commands/bench.js';
import { nativeSkip } from '../backend/native/harness.js';
import { exportOnnx } from '../../src/io/onnx/export.js';
import { smallCnn } from '../../src/models/baselines.js';
import { Random } from '../../src/tensor/random.js';

async function bench(...argv: string[]): Promise<string> {
  let out = '';
  const io: CliIO = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {} };
  const ctx = parseCommandArgs(benchCommand, argv, io, false);
  assert.ok(ctx !== null);
  await initBackend('wasm');
  await benchCommand.run(ctx);
  return out;
}

test('--json prints the median, min and max with the backend, threads and batch', async () => {
  const r = JSON.parse(await bench('mobilenet_v3_small', '--size', '64x64', '--batch', '2', '--runs', '3', '--backend', 'wasm', '--json'));
  assert.deepEqual(Object.keys(r), ['median_ms', 'min_ms', 'max_ms', 'backend', 'threads', 'batch']);
  assert.ok(r.min_ms > 0 && r.min_ms <= r.median_ms && r.median_ms <= r.max_ms);
  assert.deepEqual([r.backend, r.threads, r.batch], ['wasm', 1, 2]);
});

test('--backend native benchmarks a plan run by the native executor', { skip: nativeSkip }, async () => {
  const r = JSON.parse(await bench('mobilenet_v3_small', '--size', '64x64', '--runs', '2', '--threads', '2', '--backend', 'native', '--json'));
  assert.deepEqual([r.backend, r.threads, r.batch], ['native', 2, 1]);
  const text = await bench('mobilenet_v2', '--size', '48x48', '--runs', '2', '--backend', 'native');
  assert.match(text, /plan on native: .*dwpw/);
});

test('the text report gives timings, throughput and the plan summary; threads are honoured', async () => {
  const text = await bench('mobilenet_v2', '--size', '48x48', '--runs', '2', '--threads', '2', '--backend', 'wasm');
  assert.match(text, /model:\s+mobilenet_v2, input 1x48x48x3 \(NHWC\)/);
  assert.match(text, /backend:\s+wasm, 2 threads/);
  assert.match(text, /median:\s+[\d.]+ ms/);
  assert.match(text, /throughput:\s+[\d.]+ images\/s/);
  assert.match(text, /plan on wasm \(2 threads\): .*dwpw/);
});

test('an ONNX file is benchmarked at its declared input size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sepconv-bench-'));
  const file = join(dir, 'small_cnn.onnx');
  writeFileSync(file, exportOnnx(smallCnn({ width: 4, rng: new Random(1) }), [1, 28, 28, 1]));
  const text = await bench(file, '--runs', '2', '--backend', 'js');
  assert.match(text, /input 1x28x28x1/);
  assert.match(text, /plan on js/);
});

test('bad arguments are usage errors', async () => {
  await assert.rejects(bench('resnet_9000'), (e: unknown) => e instanceof UsageError && /neither a model builder/.test(e.message));
  await assert.rejects(bench('small_cnn', '--backend', 'gpu'), (e: unknown) => e instanceof UsageError && /--backend must be one of native, wasm, js/.test(e.message));
  await assert.rejects(bench('small_cnn', '--size', '28'), (e: unknown) => e instanceof UsageError && /HxW/.test(e.message));
  await assert.rejects(bench('small_cnn', '--backend', 'js', '--threads', '2'), (e: unknown) => e instanceof UsageError && /one thread/.test(e.message));
});
