/**
 * The fused kernels at their edges, through small graphs compiled for wasm, js and native (when the addon is built)
 * and compared with eager js:
 * channel counts below, at and past the SIMD width, odd sizes, stride 2 with 'same' padding, explicit asymmetric
 * padding, dilation, depth multipliers, groups, row bands (several per image), batch > 1, every epilogue.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clip } from '../../src/io/onnx/extra_ops.js';
import { BatchNorm2d } from '../../src/nn/batchnorm.js';
import type { Module } from '../../src/nn/module.js';
import { conv2d, depthwiseConv2d, pointwiseConv2d, type Conv2dOptions } from '../../src/ops/conv.js';
import { add, mul } from '../../src/ops/elementwise.js';
import { leakyRelu, relu, relu6, sigmoid, swish } from '../../src/ops/activation.js';
import { linear } from '../../src/ops/linear.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../src/ops/pool.js';
import { reshape } from '../../src/ops/shape.js';
import { compile } from '../../src/plan/compile.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { nativeInfo, setNativeIsa } from '../../src/backend/native/index.js';
import { nativeSkip } from '../backend/native/harness.js';
import { Fn, checkPlan, randomInput, weight } from './helpers.js';

interface Case {
  name: string;
  shape: number[];
  model: () => Module;
}

const cases: Case[] = [];

const sameShape = (a: Tensor, b: Tensor): boolean => a.shape.every((d, i) => d === b.shape[i]);

/** Depthwise geometries: the specialised 3x3/5x5 stride 1/2 kernels and the generic path. */
const DEPTHWISE: { k: number | [number, number]; o: Conv2dOptions; m?: number }[] = [
  { k: 3, o: { padding: 'same' } },
  { k: 3, o: { stride: 2, padding: 'same' } },
  { k: 5, o: { padding: 'same' } },
  { k: 5, o: { stride: 2, padding: 'same' } },
  { k: 3, o: { padding: 'valid' } },
  { k: 3, o: { stride: 2, padding: [0, 1, 1, 0] } },
  { k: 7, o: { padding: 'same' } },
  { k: 3, o: { padding: 'same', dilation: 2 } },
  { k: [3, 5], o: { padding: 'same' } },
  { k: 3, o: { padding: 'same' }, m: 2 },
  { k: 1, o: {} },
];

for (const [ci, c] of [1, 3, 4, 5, 8, 13].entries())
  for (const [gi, d] of DEPTHWISE.entries()) {
    const [kh, kw] = typeof d.k === 'number' ? [d.k, d.k] : d.k;
    const m = d.m ?? 1;
    const size = [[1, 1], [5, 7], [9, 9], [6, 3]][(ci + gi) % 4];
    if (d.o.padding !== 'same' && (size[0] < kh || size[1] < kw)) continue;
    const dw = weight([kh, kw, c * m], 10 * ci + gi);
    const dwBias = weight([c * m], 5);
    const pw = weight([c * m, 1 + ((ci + gi) % 3) * 8], 7);
    cases.push({
      name: `depthwise ${kh}x${kw} C=${c} M=${m} ${JSON.stringify(d.o)} on ${size.join('x')}`,
      shape: [2, size[0], size[1], c],
      model: () => new Fn((x) => {
        const y = relu6(depthwiseConv2d(x, dw, dwBias, d.o));
        return sameShape(x, y) ? add(y, x) : y;
      }),
    });
    cases.push({
      name: `depthwise ${kh}x${kw} -> pointwise ${pw.shape[1]}, C=${c} M=${m} ${JSON.stringify(d.o)} on ${size.join('x')}`,
      shape: [2, size[0], size[1], c],
      model: () => new Fn((x) => swish(pointwiseConv2d(clip(depthwiseConv2d(x, dw, dwBias, d.o), -0.5, 0.75), pw, null))),
    });
  }

// Several bands per image: 32768 floats per band, 64 x 24 channels per row -> 21 rows a band.
{
  const dw = weight([3, 3, 24], 1);
  const pw = weight([24, 24], 2);
  cases.push({
    name: 'depthwise -> pointwise over several row bands with a residual, batch 2',
    shape: [2, 64, 64, 24],
    model: () => new Fn((x) => add(pointwiseConv2d(relu(depthwiseConv2d(x, dw, null, { padding: 'same' })), pw, null), x)),
  });
}

// A clip without a residual is applied by the kernels as they store (depthwise, and the GEMM's last k block): 40
// channels take the specialised depthwise kernels with a partial last vector and the small-k GEMM (row tiles outer,
// 300 outputs ending in a partial panel); 300 inputs make two k blocks, 37 outputs a partial panel and 99 rows a
// partial row tile.
{
  const dw = weight([3, 3, 40], 3);
  const pw = weight([40, 300], 4);
  const pw2 = weight([300, 37], 5);
  cases.push({
    name: 'depthwise (40 channels) -> pointwise 300 -> pointwise 37, each clipped, no residual',
    shape: [1, 9, 11, 40],
    model: () => new Fn((x) => {
      const dwOut = relu6(depthwiseConv2d(x, dw, null, { padding: 'same' }));
      return relu6(pointwiseConv2d(clip(pointwiseConv2d(dwOut, pw, null), -0.5, 0.75), pw2, null));
    }),
  });
}

for (const [i, [k, groups, o]] of ([
  [1, 1, { stride: 2 }], [1, 2, {}], [3, 1, { padding: 'same' }], [3, 1, { stride: 2, padding: 'same' }], [5, 3, { padding: 'same' }],
  [3, 2, { padding: [1, 0, 0, 2], dilation: 2 }], [3, 3, { stride: 2, padding: 'valid' }],
  [3, 1, { stride: [2, 1], padding: [2, 1, 0, 1], dilation: [2, 1] }],
] as [number, number, Conv2dOptions][]).entries())
  for (const outC of [6, 5 * groups]) {
    const w = weight([k, k, 6 / groups, outC], 20 + i);
    const b = weight([outC], 3);
    cases.push({
      name: `conv ${k}x${k} groups ${groups} 6 -> ${outC} ${JSON.stringify(o)}`,
      shape: [3, 7, 9, 6],
      model: () => new Fn((x) => {
        const y = conv2d(x, w, b, { ...o, groups });
        return sameShape(x, y) ? leakyRelu(add(y, x), 0.2) : leakyRelu(y, 0.2);
      }),
    });
  }

// Deep enough that a pixel's window spans several of the GEMM's k blocks (256), a kernel row straddling their edge
// (3 x 40 channels); the first has more pixels than one im2col block (128), the last 22 (tiles of 12 rows, then 10).
for (const [i, [shape, outC, groups, o]] of ([
  [[2, 12, 9, 40], 33, 1, { padding: 'same' }], [[1, 5, 4, 64], 10, 2, { padding: [2, 0, 1, 1], dilation: [1, 2] }],
  [[1, 4, 21, 96], 40, 1, { stride: 2, padding: 'same' }],
] as [number[], number, number, Conv2dOptions][]).entries()) {
  const w = weight([3, 3, shape[3] / groups, outC], 40 + i);
  const b = weight([outC], 4);
  cases.push({
    name: `conv 3x3 groups ${groups} ${shape[3]} -> ${outC} ${JSON.stringify(o)} over several k blocks`,
    shape,
    model: () => new Fn((x) => relu6(conv2d(x, w, b, { ...o, groups }))),
  });
}

for (const [m, k, n] of [[1, 3, 5], [2, 13, 1], [5, 17, 33], [9, 4, 8]]) {
  const w = weight([k, n], m + k);
  const b = weight([n], n);
  cases.push({
    name: `linear [${m}, ${k}] x [${k}, ${n}] with sigmoid`,
    shape: [m, 1, 1, k],
    model: () => new Fn((x) => sigmoid(linear(reshape(x, [m, k]), w, b))),
  });
}

// [channels, side, pointwise outputs]: few rows and many columns make the GEMM split by columns; 300 > the GEMM's k block.
for (const [c, side, n] of [[4, 5, 6], [13, 5, 6], [300, 2, 20]]) {
  const reduce = weight([c, 3], 1);
  const expand = weight([3, c], 2);
  const pw = weight([c, n], 3);
  const gate = (x: Tensor): Tensor => sigmoid(pointwiseConv2d(relu(pointwiseConv2d(globalAvgPool2d(x, true), reduce, null)), expand, null));
  cases.push({
    name: `squeeze-excite gate fused into the pointwise input, C=${c}, ${side}x${side}, ${n} outputs, batch 3`,
    shape: [3, side, side, c],
    model: () => new Fn((x) => pointwiseConv2d(mul(x, gate(x)), pw, null)),
  });
  cases.push({
    name: `squeeze-excite multiply on its own (gate first), C=${c}`,
    shape: [3, side, side, c],
    model: () => new Fn((x) => relu(mul(gate(x), x))),
  });
}

cases.push(
  {
    name: 'pools: max 3x3 stride 2 same, average with and without padded cells, global, standalone clip',
    shape: [2, 9, 7, 5],
    model: () => new Fn((x) => {
      const a = maxPool2d(x, { kernelSize: 3, stride: 2, padding: 'same' });
      const b = avgPool2d(x, { kernelSize: 3, stride: 2, padding: 'same', countIncludePad: true });
      const c = avgPool2d(x, { kernelSize: 3, stride: 2, padding: 'same' });
      return clip(mul(add(add(a, b), c), globalAvgPool2d(a, true)), -0.3, 0.4);
    }),
  },
  {
    name: 'batch norm on the input (channel affine) with an activation, then an add with an activation',
    shape: [2, 4, 4, 7],
    model: () => {
      const bn = new BatchNorm2d({ numFeatures: 7 });
      for (let i = 0; i < 7; i++) {
        bn.runningMean.data[i] = 0.1 * i;
        bn.runningVar.data[i] = 1 + 0.1 * i;
        bn.weight.data[i] = 1 - 0.05 * i;
      }
      return new Fn((x) => relu(add(relu6(bn.call(x)), x)), { bn });
    },
  },
);

for (const backend of ['wasm', 'js', 'native'])
  test(`fused kernels on ${backend} equal eager js at the edges (${cases.length} graphs${backend === 'native' ? ', every ISA' : ''})`,
    { skip: backend === 'native' && nativeSkip }, async () => {
      // A native plan runs on the ISA it was loaded with (its weights are packed for that ISA's kernels).
      const isas = backend === 'native' ? nativeInfo().isas : [''];
      try {
        for (const isa of isas) {
          if (isa !== '') setNativeIsa(isa);
          for (const [i, c] of cases.entries()) {
            const model = c.model();
            const plan = await compile(model, c.shape, { backend });
            checkPlan(plan, model, randomInput(c.shape, i), `${c.name}${isa === '' ? '' : ` (${isa})`}`);
          }
        }
      } finally {
        if (backend === 'native') setNativeIsa(isas[0]);
      }
    });

for (const backend of ['wasm', 'native'])
  test(`split over 3 threads, the ${backend} kernels give exactly the single-thread results`, { skip: backend === 'native' && nativeSkip }, async () => {
    // Every fourth graph, and all the ones after the depthwise sweep (bands, convs, GEMMs, pools, element-wise).
    const picked = cases.filter((c, i) => i % 4 === 0 || !c.name.startsWith('depthwise'));
    for (const [i, c] of picked.entries()) {
      const model = c.model();
      const x = randomInput(c.shape, i);
      const one = await compile(model, c.shape, { backend });
      // minSplitWork 0: split every step, however small.
      const three = await compile(model, c.shape, { backend, threads: 3, minSplitWork: 0 });
      try {
        assert.equal(three.threads, 3);
        assert.deepEqual(three.run(x).data, one.run(x).data, c.name);
      } finally {
        three.dispose();
      }
    }
  });
