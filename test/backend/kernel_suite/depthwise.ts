/**
 * Depthwise kernels (forward, input and filter gradients) against the js reference: the specialised 3x3/5x5
 * stride 1/2 paths over every spatial size 1..9 and channel counts around the SIMD widths, then the generic path
 * (other kernel shapes, dilation, multipliers, uneven strides, asymmetric padding) and MobileNet-like sizes.
 */
import { test } from 'node:test';
import { assertClose } from '../../helpers/close.js';
import { convCase, describeConv, js, random, skipUnless, tolerance, type ConvCase, type KernelTarget } from './harness.js';

const channelCounts = [1, 3, 4, 5, 7, 8, 9, 16, 17, 24, 33];
const sizes: [number, number][] = [[1, 1], [1, 9], [2, 3], [3, 3], [4, 5], [5, 4], [6, 6], [7, 7], [8, 9], [9, 2]];

export function depthwiseSuite(target: KernelTarget): void {
  const { name, kernels: k } = target;
  const options = skipUnless(target);

  /** Runs forward and both gradients of one case and compares all three with the reference. */
  function checkDepthwise(c: ConvCase, seed: number, withBias = true): void {
    const g = convCase({ ...c, groups: c.x[3] }); // as depthwiseConv2d builds it
    const what = `${name} ${describeConv(c)}`;
    const x = random(g.batch * g.inH * g.inW * g.inC, seed);
    const w = random(g.kH * g.kW * g.outC, seed + 1);
    const bias = withBias ? random(g.outC, seed + 2) : null;
    const dy = random(g.batch * g.outH * g.outW * g.outC, seed + 3);
    const taps = g.kH * g.kW;
    assertClose(k.depthwiseConv2d(x, w, bias, g), js.depthwiseConv2d(x, w, bias, g), tolerance(taps), `forward ${what}`);
    assertClose(k.depthwiseConv2dBackwardInput(dy, w, g), js.depthwiseConv2dBackwardInput(dy, w, g),
      tolerance(taps * (g.outC / g.inC)), `backward input ${what}`);
    assertClose(k.depthwiseConv2dBackwardFilter(x, dy, g), js.depthwiseConv2dBackwardFilter(x, dy, g),
      tolerance(g.batch * g.outH * g.outW), `backward filter ${what}`);
  }

  for (const kernel of [3, 5])
    for (const stride of [1, 2])
      test(`${name} depthwise ${kernel}x${kernel} stride ${stride}: sizes 1..9 x channels ${channelCounts.join(',')}, 'same' and 'valid'`,
        options, () => {
          let seed = 1;
          for (const [h, w] of sizes)
            for (const ch of channelCounts) {
              checkDepthwise({ x: [1, h, w, ch], kernel, outC: ch, stride, padding: 'same' }, seed++, seed % 2 === 0);
              if (h >= kernel && w >= kernel) checkDepthwise({ x: [1, h, w, ch], kernel, outC: ch, stride }, seed++);
            }
        });

  test(`${name} depthwise 3x3 and 5x5: asymmetric padding and batch 2`, options, () => {
    let seed = 100;
    // The last two pads reach the kernel size, where the stride-1 input gradient cannot use the flipped forward kernel.
    const pads: [number, number, number, number][] = [[0, 2, 1, 0], [2, 0, 0, 2], [1, 0, 2, 1], [0, 1, 0, 1], [3, 1, 0, 5], [0, 0, 5, 1]];
    for (const kernel of [3, 5])
      for (const stride of [1, 2])
        for (const padding of pads)
          for (const ch of [4, 5, 9, 24])
            checkDepthwise({ x: [2, 7, 6, ch], kernel, outC: ch, stride, padding }, seed++);
  });

  test(`${name} depthwise generic: kernels 1, 7, 1x3, 3x1, 2x4, strides 1/2/[1,2]`, options, () => {
    let seed = 200;
    const kernels: (number | [number, number])[] = [1, 7, [1, 3], [3, 1], [2, 4]];
    const strides: (number | [number, number])[] = [1, 2, [1, 2], [2, 1]];
    for (const kernel of kernels)
      for (const stride of strides)
        for (const ch of [1, 4, 5, 17])
          for (const [h, w] of [[1, 1], [5, 8], [9, 7]] as [number, number][])
            checkDepthwise({ x: [1, h, w, ch], kernel, outC: ch, stride, padding: 'same' }, seed++);
  });

  test(`${name} depthwise generic: dilation 2 and [2, 1], with explicit and same padding`, options, () => {
    let seed = 300;
    for (const dilation of [2, [2, 1]] as (number | [number, number])[])
      for (const kernel of [3, 5])
        for (const stride of [1, 2])
          for (const ch of [3, 8, 9])
            for (const padding of ['same', [2, 1, 0, 3]] as const)
              checkDepthwise({ x: [2, 9, 8, ch], kernel, outC: ch, stride, padding, dilation }, seed++);
  });

  test(`${name} depthwise with multiplier 2 and 3`, options, () => {
    let seed = 400;
    for (const multiplier of [2, 3])
      for (const kernel of [1, 3, 5, [1, 3]] as (number | [number, number])[])
        for (const stride of [1, 2])
          for (const ch of [1, 3, 4, 5])
            checkDepthwise({ x: [2, 6, 7, ch], kernel, outC: ch * multiplier, stride, padding: 'same' }, seed++,
              seed % 2 === 0);
  });

  test(`${name} depthwise at MobileNet-like sizes (several channel vectors, long rows, batch 2)`, options, () => {
    checkDepthwise({ x: [1, 28, 28, 36], kernel: 3, outC: 36, stride: 1, padding: 'same' }, 500);
    checkDepthwise({ x: [1, 29, 30, 33], kernel: 3, outC: 33, stride: 2, padding: 'same' }, 501);
    checkDepthwise({ x: [1, 20, 19, 24], kernel: 5, outC: 24, stride: 2, padding: 'same' }, 502);
    checkDepthwise({ x: [2, 14, 14, 72], kernel: 5, outC: 72, stride: 1, padding: 'same' }, 503);
    checkDepthwise({ x: [2, 15, 13, 40], kernel: 3, outC: 40, dilation: 2, padding: 'same' }, 504);
  });
}
