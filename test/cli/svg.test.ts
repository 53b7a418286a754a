import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChart, combineCharts, compactNumber, lineChart, logTicks, niceTicks } from '../../src/cli/svg.js';

/** Every opened element is closed, in order (a cheap well-formedness check without an XML parser). */
function assertBalanced(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing === '/') continue;
    if (closing === '/') assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else stack.push(name);
  }
  assert.deepEqual(stack, []);
}

test('nice ticks step by 1, 2 or 5 times a power of ten and cover the range', () => {
  assert.deepEqual(niceTicks(0, 231), [0, 50, 100, 150, 200, 250]);
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-3, 7, 5), [-4, -2, 0, 2, 4, 6, 8]);
  assert.deepEqual(niceTicks(5, 5), [5, 6, 7, 8, 9, 10]);
  assert.deepEqual(logTicks(0.14, 2.45), [0.1, 0.2, 0.5, 1, 2, 5]);
  assert.deepEqual(logTicks(3e-4, 20), [2e-4, 1e-3, 1e-2, 0.1, 1, 10, 20]);
  assert.equal(compactNumber(231_211_008), '231M');
  assert.equal(compactNumber(2336), '2.34K');
  assert.equal(compactNumber(0.125), '0.125');
  assert.equal(compactNumber(0), '0');
});

test('bar charts: one rect per non-zero bar, tooltips, escaped labels, both orientations', () => {
  for (const orientation of ['vertical', 'horizontal'] as const)
    for (const stacked of [false, true]) {
      const svg = barChart({
        title: 'A & B <test>', categories: ['one', 'two', 'three'], orientation, stacked, showValues: true,
        series: [{ name: 'x', values: [1, 2, 0] }, { name: 'y', values: [3, 0, 4] }], valueLabel: 'value',
      });
      assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
      assert.ok(svg.includes('A &amp; B &lt;test&gt;'));
      assert.equal((svg.match(/<rect [^>]*fill="#(4e79a7|f28e2b)"/g) ?? []).length - 2, 4, `${orientation} stacked=${stacked}: 4 bars + 2 legend swatches`);
      assert.ok(svg.includes('<title>three — y: 4</title>'));
      assertBalanced(svg);
    }
});

test('line charts break at non-finite points and support a log axis; charts combine into one document', () => {
  const svg = lineChart({
    title: 'loss', xLabel: 'epoch', yLabel: 'loss', logY: true,
    series: [{ name: 'train', points: [[0, 2], [1, 1], [2, NaN], [3, 0.5], [4, 0.3]] }, { name: 'val', points: [[0, 2.2], [4, 0.6]], dashed: true }],
  });
  assert.equal((svg.match(/<polyline [^>]*stroke-width="2"/g) ?? []).length, 3, 'train splits in two runs, plus val');
  assert.ok(svg.includes('stroke-dasharray="6 4"'));
  assertBalanced(svg);
  const both = combineCharts([svg, svg], { title: 'two', legend: [{ name: 'a', color: '#000' }] });
  assert.equal((both.match(/<svg/g) ?? []).length, 3);
  assert.match(both, /^<svg[^>]* width="1440"/);
  assertBalanced(both);
});
