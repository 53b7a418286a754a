import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { BIN, oneLineError, sepconv } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'sepconv-cli-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Small and quick on the reference backend: 1,024 digits, width 4, two epochs of 32 steps.
const RUN = ['--limit', '1024', '--epochs', '2', '--width', '4', '--batch', '32', '--lr', '0.01', '--seed', '3'];

test('train writes a checkpoint, a JSON-lines log and curves, and eval/predict use the checkpoint', () => {
  const out = join(dir, 'full');
  const r = sepconv('train', ...RUN, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /test accuracy \d+\.\d+%/);
  // Not a terminal: plain progress lines, one per quarter epoch, and an epoch summary.
  assert.match(r.stderr, /small_cnn epoch 1\/2 step 8\/32 .*img\/s/);
  assert.match(r.stderr, /epoch 2\/2: train loss [\d.]+ acc [\d.]+%  test loss/);
  const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(log.map((e) => e.epoch), [1, 2]);
  // Well above chance (10%) after 64 steps of a 4-channel CNN; the demo and bench/ show real accuracy.
  assert.ok(log[1].test.top1 > 0.2, `accuracy after 2 epochs: ${log[1].test.top1}`);
  assert.match(readFileSync(join(out, 'curves.svg'), 'utf8'), /^<svg[^>]*>[\s\S]*top-1 accuracy[\s\S]*<\/svg>\s*$/);

  const ev = sepconv('eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--json');
  assert.equal(ev.status, 0, ev.stderr);
  const result = JSON.parse(ev.stdout);
  assert.equal(result.count, 2000);
  assert.ok(Math.abs(result.top1 - log[1].test.top1) < 1e-9, 'eval reproduces the last epoch\'s test accuracy');

  const png = join(dir, 'digit.png');
  writeFileSync(png, greyPng(28, 28, (x, y) => (x >= 12 && x <= 15 && y >= 4 && y <= 23 ? 255 : 0)));
  const p = sepconv('predict', '--checkpoint', join(out, 'checkpoint.safetensors'), png, '--top', '3', '--json');
  assert.equal(p.status, 0, p.stderr);
  const top = JSON.parse(p.stdout).top as { class: number; probability: number }[];
  assert.equal(top.length, 3);
  assert.ok(top[0].probability >= top[1].probability && top[1].probability >= top[2].probability);

  const notImage = sepconv('predict', '--checkpoint', join(out, 'checkpoint.safetensors'), join(out, 'log.jsonl'));
  assert.equal(notImage.status, 1);
  assert.match(oneLineError(notImage), /log\.jsonl: not a PNG or JPEG file/);
});

test('a run killed with SIGKILL mid-training resumes with --resume to the same weights as an uninterrupted run', async () => {
  const full = join(dir, 'full');
  if (!existsSync(join(full, 'checkpoint.safetensors'))) assert.equal(sepconv('train', ...RUN, '--out', full).status, 0);
  const reference = await loadCheckpoint(join(full, 'checkpoint.safetensors'));

  const out = join(dir, 'killed');
  const ckpt = join(out, 'checkpoint.safetensors');
  const child = spawn(process.execPath, [BIN, 'train', ...RUN, '--checkpoint-every', '5', '--out', out], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  while (!existsSync(ckpt) && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await exited;
  const partial = await loadCheckpoint(ckpt);
  assert.ok(partial.step < 64, `the run was killed before it finished (checkpoint at step ${partial.step})`);

  const resumed = sepconv('train', '--resume', '--out', out);
  assert.equal(resumed.status, 0, resumed.stderr);
  const final = await loadCheckpoint(ckpt);
  assert.equal(final.step, 64);
  for (const [name, t] of reference.model) assert.deepEqual(final.model.get(name)!.data, t.data, `weights of ${name}`);
});

test('train --separable --keep-stem --dw-kernel 5 stores the 5x5 twin, and eval rebuilds it from the checkpoint', async () => {
  const out = join(dir, 'k5');
  const r = sepconv('train', '--limit', '256', '--epochs', '1', '--width', '4', '--batch', '32', '--separable', '--keep-stem', '--dw-kernel', '5', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const ckpt = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
  const depthwise = [...ckpt.model].filter(([name]) => name.endsWith('depthwise.weight')).map(([, t]) => t.shape.slice(0, 2));
  assert.ok(depthwise.length >= 1);
  for (const k of depthwise) assert.deepEqual(k, [5, 5]);
  const ev = sepconv('eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--json');
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(oneLineError(sepconv('train', '--limit', '64', '--separable', '--dw-kernel', '4', '--out', join(dir, 'k4'))),
    /depthwiseKernelSize 4 cannot replace the 3x3 kernel of 'features\.\d+'/);
});

test('train --separable --order pointwise-first stores the BSConv-U twin, and eval rebuilds it from the checkpoint', async () => {
  const out = join(dir, 'bsconv');
  const r = sepconv('train', '--limit', '256', '--epochs', '1', '--width', '4', '--batch', '32', '--separable', '--keep-stem', '--order', 'pointwise-first', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const ckpt = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
  assert.equal(ckpt.config.separableOrder, 'pointwise-first');
  // Each replaced conv: a pointwise [Cin, Cout] conv, a batch norm and a depthwise conv over its Cout channels.
  const prefixes = [...ckpt.model.keys()].filter((k) => k.endsWith('.pointwise.weight')).map((k) => k.slice(0, -'pointwise.weight'.length));
  assert.ok(prefixes.length >= 1);
  for (const p of prefixes) {
    const cout = ckpt.model.get(`${p}pointwise.weight`)!.shape[1];
    assert.equal(ckpt.model.get(`${p}bn.running_mean`)!.shape[0], cout);
    assert.equal(ckpt.model.get(`${p}depthwise.weight`)!.shape[2], cout);
  }
  const ev = sepconv('eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--json');
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(oneLineError(sepconv('train', '--limit', '64', '--separable', '--order', 'sideways', '--out', join(dir, 'bad-order'))),
    /--order must be one of depthwise-first, pointwise-first; got 'sideways'/);
});

test('train --rep 2 trains over-parameterised, keeps the branches in the checkpoint, and folds them for eval and export', async () => {
  const out = join(dir, 'rep');
  const r = sepconv('train', '--limit', '256', '--epochs', '1', '--width', '4', '--batch', '32', '--separable', '--keep-stem', '--rep', '2', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const ckpt = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
  const keys = [...ckpt.model.keys()];
  for (const branch of ['depthwise.conv1.conv.weight', 'depthwise.scale.bn.running_var', 'depthwise.skip.weight', 'pointwise.conv1.bn.weight'])
    assert.ok(keys.some((k) => k.endsWith(branch)), `a ${branch} in ${keys.join(', ')}`);
  // Batch-norm statistics recomputed before each evaluation (and so saved): the default with --rep.
  assert.equal(ckpt.config.bnRecompute, 20);
  const log = JSON.parse(readFileSync(join(out, 'log.jsonl'), 'utf8').trim());
  const ev = sepconv('eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--json');
  assert.equal(ev.status, 0, ev.stderr);
  // The folded model differs from the multi-branch one by float rounding only: one near-tie among 2,000 at most.
  assert.ok(Math.abs(JSON.parse(ev.stdout).top1 - log.test.top1) <= 1 / 2000, `eval ${ev.stdout} against training's ${log.test.top1}`);
  const x = sepconv('export', join(out, 'checkpoint.safetensors'), join(out, 'model.onnx'));
  assert.equal(x.status, 0, x.stderr);
  const inspect = sepconv('inspect', join(out, 'model.onnx'));
  assert.equal(inspect.status, 0, inspect.stderr);
  assert.doesNotMatch(inspect.stdout, /conv1|scale|skip/);
});

test('train --teacher distils from a trained checkpoint, stores the teacher for --resume, and rejects one that does not fit', async () => {
  const full = join(dir, 'full');
  if (!existsSync(join(full, 'checkpoint.safetensors'))) assert.equal(sepconv('train', ...RUN, '--out', full).status, 0);
  const teacher = join(full, 'checkpoint.safetensors');
  const out = join(dir, 'student');
  // The built-in digits are split by seed: the student uses the teacher's seed, so it trains on the same images.
  const r = sepconv('train', '--limit', '256', '--epochs', '1', '--width', '4', '--batch', '32', '--seed', '3', '--separable', '--teacher', teacher,
    '--distill-temperature', '2', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const ckpt = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
  assert.deepEqual(ckpt.config.distill, { teacher, weight: 0.9, temperature: 2 });

  assert.match(oneLineError(sepconv('train', '--distill-weight', '0.5')), /--distill-weight needs --teacher FILE/);
  assert.match(oneLineError(sepconv('train', '--teacher', teacher, '--distill-weight', '1.5')), /--distill-weight must be a number in \[0, 1\], got '1.5'/);
  assert.match(oneLineError(sepconv('train', '--limit', '64', '--teacher', teacher, '--out', join(dir, 'other-split'))),
    /does not fit this run: its input normalisation is .*the built-in digits are split by --seed: use the teacher's/);
  assert.match(oneLineError(sepconv('train', '--limit', '64', '--teacher', join(dir, 'missing.safetensors'), '--out', join(dir, 'no-teacher'))),
    /cannot read checkpoint '.*missing\.safetensors': ENOENT/);
  // A teacher that saw differently normalised images would give meaningless targets.
  const reference = await loadCheckpoint(teacher);
  const shifted = join(dir, 'shifted.safetensors');
  await saveCheckpoint(shifted, { ...reference, config: { ...reference.config, normalize: { mean: [0.5], std: [0.5] } } });
  assert.match(oneLineError(sepconv('train', '--limit', '64', '--seed', '3', '--teacher', shifted, '--out', join(dir, 'misfit'))),
    /--teacher '.*shifted\.safetensors' does not fit this run: its input normalisation is \{"mean":\[0\.5\],"std":\[0\.5\]\}/);
});

test('train rejects bad options and unwritable output before training', () => {
  assert.match(oneLineError(sepconv('train', '--optimizer', 'lbfgs')), /--optimizer must be one of sgd, adam, adamw, rmsprop/);
  assert.match(oneLineError(sepconv('train', '--data', 'imagenet')), /dataset 'imagenet'.*use one of: mnist/);
  assert.match(oneLineError(sepconv('train', '--rep', '0')), /--rep must be a positive integer, got '0'/);
  assert.match(oneLineError(sepconv('train', '--bn-recompute', 'all')), /--bn-recompute must be a number >= 0, got 'all'/);
  assert.match(oneLineError(sepconv('train', '--resume', '--out', join(dir, 'nothing-here'))), /no checkpoint at/);
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, '');
  assert.match(oneLineError(sepconv('train', '--out', join(blocker, 'sub'))), /cannot write to output folder/);
});

test('demo trains both twins and prints the comparison', () => {
  const out = join(dir, 'demo');
  const r = sepconv('demo', '--epochs', '1', '--limit', '256', '--width', '4', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const d = JSON.parse(r.stdout);
  const [std, sep] = d.models;
  assert.deepEqual([std.name, sep.name], ['standard', 'separable']);
  assert.ok(sep.params < std.params && sep.macs < std.macs);
  assert.ok(std.latencyMs > 0 && sep.latencyMs > 0);
  assert.equal(d.ratios.macs, std.macs / sep.macs);
  assert.match(readFileSync(join(out, 'demo.svg'), 'utf8'), /Test accuracy against multiply-adds/);
});

/** A minimal 8-bit greyscale PNG. */
function greyPng(w: number, h: number, value: (x: number, y: number) => number): Buffer {
  const rows = Buffer.alloc((w + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rows[y * (w + 1) + 1 + x] = value(x, y);
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const byte of b) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}
