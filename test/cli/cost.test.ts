import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelNames } from '../../src/models/index.js';
import { oneLineError, sepconv } from './run.js';

test('cost prints a per-layer table, a total row and the summary', () => {
  const r = sepconv('cost', 'mobilenet_v2');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^mobilenet_v2, input 224x224x3, 1000 classes; counts per image, fp32 bytes$/m);
  assert.match(r.stdout, /^layer +kind +output +params +MACs \(M\) +bytes +FLOP\/B$/m);
  assert.match(r.stdout, /^\S+ +conv +112x112x32 +864 +10\.838 /m);
  assert.match(r.stdout, /^\S+ +depthwise +112x112x32 +288 +3\.613 /m);
  assert.match(r.stdout, /^\S+ +add +56x56x24 +0 +0 /m);
  assert.match(r.stdout, /^total +1000 +3,504,872 +300\.774 /m);
  assert.match(r.stdout, /^MACs: +300,774,272 \(300\.77M\)/m);
  assert.match(r.stdout, /^FLOPs: +601\.55M \(= 2 x MACs\)/m);
  assert.match(r.stdout, /^MAC share: +depthwise \d+\.\d%, pointwise \d+\.\d%, other \d+\.\d%$/m);
  assert.ok(!r.stdout.includes('\x1b['), 'no colour when not on a terminal');
});

test('cost --json: one object with model, input, layers and totals {params, macs, bytes}', () => {
  const r = sepconv('cost', 'mobilenet_v1', '--alpha', '0.5', '--input', '160x160x3', '--classes', '10', '--json');
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout);
  assert.equal(c.model, 'mobilenet_v1');
  assert.deepEqual(c.input, [160, 160, 3]);
  assert.deepEqual(c.output, [10]);
  assert.deepEqual(c.options, { alpha: 0.5, classes: 10 });
  assert.ok(Array.isArray(c.layers) && c.layers.length > 20);
  for (const key of ['name', 'kind', 'ops', 'outputShape', 'params', 'macs', 'flops', 'bytes', 'intensity']) assert.ok(key in c.layers[0], key);
  for (const key of ['params', 'macs', 'bytes']) assert.equal(typeof c.totals[key], 'number', key);
  assert.equal(c.totals.params, c.layers.reduce((s: number, l: { params: number }) => s + l.params, 0));
  assert.equal(c.ops, undefined);
  const withOps = JSON.parse(sepconv('cost', 'small_cnn', '--json', '--ops').stdout);
  assert.ok(withOps.ops.length >= withOps.layers.length);
  assert.deepEqual(withOps.input, [28, 28, 1], "small_cnn's own default input");
});

test('cost --ops shows one row per op with its name', () => {
  const r = sepconv('cost', 'mobilenet_v3_small', '--ops');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^layer \(scope\) +op +kind +output/m);
  assert.match(r.stdout, / globalAvgPool2d +pool /);
  assert.match(r.stdout, / mul +se-multiply /);
  assert.match(r.stdout, / hardSwish +activation /);
});

test('cost --plot writes per-layer MACs and params split into depthwise, pointwise and other', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sepconv-cost-'));
  try {
    const file = join(dir, 'v3.svg');
    const r = sepconv('cost', 'mobilenet_v3_small', '--plot', file);
    assert.equal(r.status, 0, r.stderr);
    const svg = readFileSync(file, 'utf8');
    for (const label of ['MACs per layer', 'Parameters per layer', 'depthwise', 'pointwise', 'other']) assert.ok(svg.includes(`>${label}<`), label);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cost: unknown models list the accepted names (exit 2)', () => {
  const r = sepconv('cost', 'mobilenet_v4');
  assert.equal(r.status, 2);
  const line = oneLineError(r);
  assert.match(line, /unknown model 'mobilenet_v4'; accepted models: /);
  for (const name of modelNames) assert.ok(line.includes(name), name);
});

test('cost: malformed shapes name the accepted form HxWxC (exit 2)', () => {
  for (const bad of ['224x224', '0x5x3', 'abc', '224x224x3x1', '-1x4x3']) {
    const r = sepconv('cost', 'mobilenet_v2', `--input=${bad}`);
    assert.equal(r.status, 2, bad);
    assert.match(oneLineError(r), /the accepted form is HxWxC with positive integers/, bad);
  }
});

test('cost: impossible configurations are one-line errors with a non-zero exit', () => {
  for (const [args, message] of [
    [['--alpha', '0'], /--alpha must be a number greater than 0, got '0'/],
    [['--alpha=-0.5'], /--alpha must be a number greater than 0/],
    [['--classes', '0'], /--classes must be a positive integer/],
    [['--input', '16x16x3'], /cannot build mobilenet_v2 with these options: .*resolution must be an integer >= 32/],
  ] as const) {
    const r = sepconv('cost', 'mobilenet_v2', ...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(oneLineError(r), message);
  }
  const noWidth = sepconv('cost', 'xception', '--alpha', '0.5');
  assert.equal(noWidth.status, 2);
  assert.match(oneLineError(noWidth), /no width setting/);
  const missing = sepconv('cost');
  assert.equal(missing.status, 2);
  assert.match(oneLineError(missing), /missing <model>: one of mobilenet_v1/);
});
