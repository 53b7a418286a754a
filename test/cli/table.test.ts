import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatCount, formatPercent, formatScaled, renderTable, shouldColor, type Column } from '../../src/cli/table.js';

test('number formats: thousands separators, SI suffixes, bytes, percent', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1000), '1,000');
  assert.equal(formatCount(3_504_872), '3,504,872');
  assert.equal(formatCount(-1234567.891, 2), '-1,234,567.89');
  assert.equal(formatScaled(569_355_000), '569.36M');
  assert.equal(formatScaled(1.5e9), '1.50G');
  assert.equal(formatScaled(2500), '2.50K');
  assert.equal(formatScaled(42), '42');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(4_200_000), '4.20 MB');
  assert.equal(formatPercent(0.4567), '45.7%');
});

interface R {
  name: string;
  n: number;
}

test('tables right-align numbers, left-align text, and put the footer after a rule', () => {
  const columns: Column<R>[] = [{ header: 'name', value: (r) => r.name }, { header: 'count', value: (r) => r.n }];
  const out = renderTable(columns, [{ name: 'a', n: 1234567 }, { name: 'longer name', n: 5 }], { footer: [{ name: 'total', n: 1234572 }] });
  assert.equal(out, [
    'name             count',
    '----------------------',
    'a            1,234,567',
    'longer name          5',
    '----------------------',
    'total        1,234,572',
    '',
  ].join('\n'));
  assert.ok(!out.includes('\x1b['), 'no colour unless asked');
  assert.ok(renderTable(columns, [{ name: 'a', n: 1 }], { color: true }).includes('\x1b[1m'));
});

test('colour only on a terminal and never with NO_COLOR set', () => {
  assert.equal(shouldColor({ isTTY: true }, {}), true);
  assert.equal(shouldColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(shouldColor({ isTTY: true }, { NO_COLOR: '' }), true);
  assert.equal(shouldColor({ isTTY: false }, {}), false);
  assert.equal(shouldColor({}, {}), false);
});
