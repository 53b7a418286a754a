/**
 * wasm matmul (the packed GEMM behind pointwise convs and linear layers) against the js reference: sizes below,
 * at and above the 4x8 register tile, all four transpose combinations, with and without bias, and sizes past the
 * cache blocks (k > 256, m > 128) so the blocked accumulation is exercised.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose } from '../../helpers/close.js';
import { js, random, tolerance, wasm } from './harness.js';

function checkMatmul(m: number, k: number, n: number, transA: boolean, transB: boolean, withBias: boolean,
  seed: number): void {
  const a = random(m * k, seed);
  const b = random(k * n, seed + 1);
  const bias = withBias ? random(n, seed + 2) : null;
  assertClose(wasm.matmul(a, b, bias, m, k, n, transA, transB), js.matmul(a, b, bias, m, k, n, transA, transB),
    tolerance(k), `matmul m=${m} k=${k} n=${n} transA=${transA} transB=${transB} bias=${withBias}`);
}

const dims = [1, 3, 4, 5, 7, 8, 9, 16, 17];

test('matmul: every m, k, n in 1,3,4,5,7,8,9,16,17 (no transposes)', () => {
  let seed = 1;
  for (const m of dims) for (const k of dims) for (const n of dims) checkMatmul(m, k, n, false, false, seed % 2 === 0, seed++);
});

test('matmul: transA and transB combinations over uneven sizes', () => {
  let seed = 1000;
  for (const [transA, transB] of [[true, false], [false, true], [true, true]] as const)
    for (const m of [1, 5, 9, 17]) for (const k of [1, 4, 7]) for (const n of [3, 8, 17])
      checkMatmul(m, k, n, transA, transB, seed % 2 === 0, seed++);
});

test('matmul: past the cache blocks (m > 128, k > 256), each transpose combination', () => {
  let seed = 2000;
  for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const)
    checkMatmul(133, 301, 37, transA, transB, true, seed++);
  checkMatmul(300, 520, 9, false, false, false, seed++);
});

test('matmul with k = 0 gives the bias (or zeros)', () => {
  const bias = Float32Array.of(1, 2, 3);
  assert.deepEqual(wasm.matmul(new Float32Array(0), new Float32Array(0), bias, 2, 0, 3, false, false),
    Float32Array.of(1, 2, 3, 1, 2, 3));
  assert.deepEqual(wasm.matmul(new Float32Array(0), new Float32Array(0), null, 2, 0, 3, false, false), new Float32Array(6));
});
