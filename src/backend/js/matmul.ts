/**
 * Reference matrix product C[M,N] = op(A) op(B) (+ bias[N]), row-major, accumulating each element in float64.
 * A is [M,K] (stored [K,M] when transA); B is [K,N] (stored [N,K] when transB).
 */
import type { Kernels } from '../kernels.js';

function matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number,
  transA: boolean, transB: boolean): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = bias === null ? 0 : bias[j];
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        s += av * bv;
      }
      c[i * n + j] = s;
    }
  return c;
}

export const matmulKernels: Pick<Kernels, 'matmul'> = { matmul };
