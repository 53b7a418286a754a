/**
 * matmul (the packed GEMM behind pointwise convs and linear layers) against the js reference: sizes below, at and
 * above the register tiles of every SIMD width, all four transpose combinations, with and without bias, and sizes
 * past the cache blocks (k > 256, m > 128) so the blocked accumulation is exercised.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose } from '../../helpers/close.js';
import { js, random, skipUnless, tolerance, type KernelTarget } from './harness.js';

export function matmulSuite(target: KernelTarget): void {
  const { name, kernels: k } = target;
  const options = skipUnless(target);

  function checkMatmul(m: number, kd: number, n: number, transA: boolean, transB: boolean, withBias: boolean,
    seed: number): void {
    const a = random(m * kd, seed);
    const b = random(kd * n, seed + 1);
    const bias = withBias ? random(n, seed + 2) : null;
    assertClose(k.matmul(a, b, bias, m, kd, n, transA, transB), js.matmul(a, b, bias, m, kd, n, transA, transB),
      tolerance(kd), `${name} matmul m=${m} k=${kd} n=${n} transA=${transA} transB=${transB} bias=${withBias}`);
  }

  const dims = [1, 3, 4, 5, 7, 8, 9, 16, 17, 33];

  test(`${name} matmul: every m, k, n in ${dims.join(',')} (no transposes)`, options, () => {
    let seed = 1;
    for (const m of dims) for (const kd of dims) for (const n of dims) checkMatmul(m, kd, n, false, false, seed % 2 === 0, seed++);
  });

  test(`${name} matmul: transA and transB combinations over uneven sizes`, options, () => {
    let seed = 2000;
    for (const [transA, transB] of [[true, false], [false, true], [true, true]] as const)
      for (const m of [1, 5, 9, 17]) for (const kd of [1, 4, 7]) for (const n of [3, 8, 17, 40])
        checkMatmul(m, kd, n, transA, transB, seed % 2 === 0, seed++);
  });

  test(`${name} matmul: past the cache blocks (m > 128, k > 256), each transpose combination`, options, () => {
    let seed = 3000;
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const)
      checkMatmul(133, 301, 37, transA, transB, true, seed++);
    checkMatmul(300, 520, 9, false, false, false, seed++);
    checkMatmul(7, 600, 301, false, false, true, seed++);
  });

  test(`${name} matmul with k = 0 gives the bias (or zeros)`, options, () => {
    const bias = Float32Array.of(1, 2, 3);
    assert.deepEqual(k.matmul(new Float32Array(0), new Float32Array(0), bias, 2, 0, 3, false, false),
      Float32Array.of(1, 2, 3, 1, 2, 3));
    assert.deepEqual(k.matmul(new Float32Array(0), new Float32Array(0), null, 2, 0, 3, false, false), new Float32Array(6));
  });
}
