/** The js reference matmul kernel: hand-computed products, bias, and transposed operands. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsBackend } from '../../src/backend/js/index.js';
import { Random } from '../../src/index.js';
import { assertClose } from '../helpers/close.js';

const { matmul } = jsBackend.kernels;

function random(n: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
}

/** Row-major [rows, cols] -> [cols, rows]. */
function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

test('matmul: [2, 3] x [3, 2] (hand-computed), with and without bias', () => {
  const a = Float32Array.of(1, 2, 3, 4, 5, 6);
  const b = Float32Array.of(7, 8, 9, 10, 11, 12);
  assert.deepEqual([...matmul(a, b, null, 2, 3, 2, false, false)], [58, 64, 139, 154]);
  assert.deepEqual([...matmul(a, b, Float32Array.of(1, -1), 2, 3, 2, false, false)], [59, 63, 140, 153]);
});

test('matmul: transA and transB read the stored transposes', () => {
  for (const [m, kk, n] of [[1, 1, 1], [3, 5, 2], [4, 1, 7], [7, 3, 5]]) {
    const a = random(m * kk, m);
    const b = random(kk * n, n + 10);
    const bias = random(n, 20);
    const ref = matmul(a, b, bias, m, kk, n, false, false);
    const at = transposed(a, m, kk);
    const bt = transposed(b, kk, n);
    assertClose(matmul(at, b, bias, m, kk, n, true, false), ref, {}, 'transA');
    assertClose(matmul(a, bt, bias, m, kk, n, false, true), ref, {}, 'transB');
    assertClose(matmul(at, bt, bias, m, kk, n, true, true), ref, {}, 'transA and transB');
  }
});

test('matmul: k = 0 gives the bias (or zeros)', () => {
  assert.deepEqual([...matmul(new Float32Array(0), new Float32Array(0), Float32Array.of(2, 3), 2, 0, 2, false, false)], [2, 3, 2, 3]);
  assert.deepEqual([...matmul(new Float32Array(0), new Float32Array(0), null, 1, 0, 2, false, false)], [0, 0]);
});
