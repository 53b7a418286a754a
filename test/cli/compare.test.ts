import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { oneLineError, sepconv } from './run.js';

test('compare prints the table and the ratio against 1/C_out + 1/K^2', () => {
  const r = sepconv('compare', '--k', '3', '--cin', '32', '--cout', '64', '--size', '112');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^standard 3x3 +112x112x64 +18,432 +18,496 +231,211,008 /m);
  assert.match(r.stdout, /^depthwise 3x3 +112x112x32 +288 +320 +3,612,672 /m);
  assert.match(r.stdout, /^pointwise 1x1 +112x112x64 +2,048 +2,112 +25,690,112 /m);
  assert.match(r.stdout, /^separable \(dw\+pw\) +112x112x64 +2,336 +2,432 +29,302,784 /m);
  assert.match(r.stdout, /formula 1\/C_out \+ 1\/K\^2: +1\/64 \+ 1\/9 = 0\.1267 +\(equals the MAC ratio\)/);
});

test('compare --json has the four layers and the ratios; stride 2 makes the pointwise run on the strided output', () => {
  const r = sepconv('compare', '--k', '5', '--cin', '40', '--cout', '80', '--size', '28', '--stride', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(c).sort(), ['depthwise', 'options', 'outH', 'outW', 'pointwise', 'ratio', 'separable', 'standard']);
  assert.deepEqual([c.outH, c.outW], [14, 14]);
  assert.equal(c.standard.macs, 25 * 40 * 80 * 14 * 14);
  assert.equal(c.pointwise.macs, 40 * 80 * 14 * 14);
  assert.equal(c.ratio.formula, 1 / 80 + 1 / 25);
  assert.ok(Math.abs(c.ratio.macs - c.ratio.formula) < 1e-15);
});

test('compare --plot writes an SVG with standard and separable bars', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sepconv-compare-'));
  try {
    const file = join(dir, 'cmp.svg');
    const r = sepconv('compare', '--cin', '16', '--cout', '32', '--size', '56', '--plot', file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote .*cmp\.svg/);
    const svg = readFileSync(file, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const label of ['MACs', 'Parameters', 'Memory traffic (bytes)', 'standard 3x3', 'depthwise 3x3', 'pointwise 1x1']) assert.ok(svg.includes(label), label);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compare: missing or malformed numbers are usage errors (exit 2); an impossible window is a runtime error (exit 1)', () => {
  const missing = sepconv('compare', '--k', '3', '--cout', '8', '--size', '8');
  assert.equal(missing.status, 2);
  assert.match(oneLineError(missing), /--cin is required/);
  for (const [opt, value] of [['--cin', '0'], ['--cin', 'abc'], ['--k', '2.5'], ['--size', '-3']]) {
    const args = { '--k': '3', '--cin': '8', '--cout': '8', '--size': '8', [opt]: value };
    const r = sepconv('compare', ...Object.entries(args).map(([k, v]) => `${k}=${v}`));
    assert.equal(r.status, 2, `${opt} ${value}`);
    assert.match(oneLineError(r), new RegExp(`${opt} must be a positive integer, got '${value.replace('.', '\\.')}'`));
  }
  const noSize = sepconv('compare', '--cin', '8', '--cout', '8');
  assert.equal(noSize.status, 2);
  assert.match(oneLineError(noSize), /--size/);
  const badPad = sepconv('compare', '--cin', '8', '--cout', '8', '--size', '8', '--padding', 'full');
  assert.equal(badPad.status, 2);
  const ambiguous = sepconv('compare', '--cin', '8', '--cout', '8', '--size', '-3');
  assert.equal(ambiguous.status, 2);
  assert.match(oneLineError(ambiguous), /Option '--size' argument is ambiguous.*'--size=-XYZ'/);
  const tooBig = sepconv('compare', '--k', '7', '--cin', '8', '--cout', '8', '--size', '4', '--padding', 'valid');
  assert.equal(tooBig.status, 1);
  assert.match(oneLineError(tooBig), /^sepconv compare: ShapeError: compareConv: kernel height extent 7/);
});

test('a plot file that cannot be written is a one-line runtime error', () => {
  const r = sepconv('compare', '--cin', '8', '--cout', '8', '--size', '8', '--plot', '/nonexistent-dir/x.svg');
  assert.equal(r.status, 1);
  assert.match(oneLineError(r), /^sepconv compare: CommandError: cannot write the plot to '\/nonexistent-dir\/x\.svg': ENOENT/);
});
