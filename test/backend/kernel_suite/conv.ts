/**
 * Standard and grouped convolution (forward, input and filter gradients) against the js reference: kernel shapes
 * 1/3/5/7 and 1x3/3x1, strides, 'same' and asymmetric padding, dilation, groups, channel counts around the SIMD
 * widths, the no-im2col 1x1 path, and cases large enough to span several pixel blocks and GEMM cache blocks.
 */
import { test } from 'node:test';
import { assertClose } from '../../helpers/close.js';
import { convCase, describeConv, js, random, skipUnless, tolerance, type ConvCase, type KernelTarget } from './harness.js';

export function convSuite(target: KernelTarget): void {
  const { name, kernels: k } = target;
  const options = skipUnless(target);

  function checkConv(c: ConvCase, seed: number, withBias = true): void {
    const g = convCase(c);
    const what = `${name} ${describeConv(c)}`;
    const cinPerGroup = g.inC / g.groups;
    const x = random(g.batch * g.inH * g.inW * g.inC, seed);
    const w = random(g.kH * g.kW * cinPerGroup * g.outC, seed + 1);
    const bias = withBias ? random(g.outC, seed + 2) : null;
    const dy = random(g.batch * g.outH * g.outW * g.outC, seed + 3);
    assertClose(k.conv2d(x, w, bias, g), js.conv2d(x, w, bias, g), tolerance(g.kH * g.kW * cinPerGroup),
      `forward ${what}`);
    assertClose(k.conv2dBackwardInput(dy, w, g), js.conv2dBackwardInput(dy, w, g),
      tolerance(g.kH * g.kW * (g.outC / g.groups)), `backward input ${what}`);
    assertClose(k.conv2dBackwardFilter(x, dy, g), js.conv2dBackwardFilter(x, dy, g),
      tolerance(g.batch * g.outH * g.outW), `backward filter ${what}`);
  }

  test(`${name} conv2d: kernels 1, 3, 5, 7, 1x3, 3x1 at strides 1 and 2 with same padding`, options, () => {
    let seed = 1;
    for (const kernel of [1, 3, 5, 7, [1, 3], [3, 1]] as (number | [number, number])[])
      for (const stride of [1, 2])
        for (const [h, w, cin, cout] of [[1, 1, 3, 4], [5, 7, 4, 9], [9, 8, 5, 17], [6, 6, 17, 8]])
          checkConv({ x: [1, h, w, cin], kernel, outC: cout, stride, padding: 'same' }, seed++, seed % 2 === 0);
  });

  test(`${name} conv2d: channel counts around the SIMD widths (3x3 same, 1x1 valid)`, options, () => {
    let seed = 100;
    const channels = [1, 3, 4, 5, 7, 8, 9, 16, 17, 33];
    for (const cin of channels)
      for (const cout of [1, 5, 8, 17, 40]) {
        checkConv({ x: [2, 4, 5, cin], kernel: 3, outC: cout, padding: 'same' }, seed++);
        checkConv({ x: [2, 3, 3, cin], kernel: 1, outC: cout }, seed++, false);
      }
  });

  test(`${name} conv2d: asymmetric padding, uneven strides, dilation`, options, () => {
    let seed = 200;
    const cases: ConvCase[] = [
      { x: [1, 7, 6, 3], kernel: 3, outC: 4, padding: [0, 2, 1, 0] },
      { x: [2, 8, 9, 5], kernel: 3, outC: 7, stride: 2, padding: [1, 0, 0, 1] },
      { x: [1, 9, 9, 4], kernel: 3, outC: 5, dilation: 2, padding: 'same' },
      { x: [1, 9, 8, 3], kernel: [3, 5], outC: 6, dilation: [2, 1], stride: [1, 2], padding: [2, 1, 0, 3] },
      { x: [2, 7, 7, 2], kernel: 1, outC: 3, stride: 2 },
      { x: [1, 6, 5, 3], kernel: 1, outC: 4, padding: [1, 1, 0, 2] },
      { x: [1, 9, 7, 3], kernel: 7, outC: 8, stride: 2, padding: [3, 3, 3, 3] },
    ];
    for (const c of cases) checkConv(c, seed++);
  });

  test(`${name} conv2d: groups 2 and 3, and groups = channels with multiplier 2`, options, () => {
    let seed = 300;
    const cases: ConvCase[] = [
      { x: [1, 5, 5, 4], kernel: 3, outC: 6, groups: 2, padding: 'same' },
      { x: [2, 6, 5, 6], kernel: 3, outC: 9, groups: 3, stride: 2, padding: [0, 1, 1, 0] },
      { x: [1, 5, 6, 3], kernel: 3, outC: 6, groups: 3, padding: 'same' },
      { x: [1, 4, 4, 8], kernel: 1, outC: 12, groups: 4 },
      { x: [1, 7, 7, 10], kernel: 5, outC: 10, groups: 5, dilation: 2, padding: 'same' },
    ];
    for (const c of cases) checkConv(c, seed++);
  });

  test(`${name} conv2d: shapes large enough for several im2col blocks, GEMM cache blocks and threads`, options, () => {
    checkConv({ x: [1, 33, 31, 3], kernel: 3, outC: 16, stride: 2, padding: 'same' }, 400);
    checkConv({ x: [1, 32, 33, 32], kernel: 3, outC: 9, padding: 'same' }, 401);
    checkConv({ x: [2, 16, 17, 24], kernel: 1, outC: 20 }, 402);
    checkConv({ x: [1, 7, 7, 96], kernel: 3, outC: 160, padding: 'same' }, 403);
  });
}
