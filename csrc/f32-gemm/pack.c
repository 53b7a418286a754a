/* Packing for the GEMM: copies op(A) / op(B) into the panel layouts the micro-kernel streams through. */
#include "pack.h"

/* B panels: panel jp holds columns [jp*NR, jp*NR + NR) as k rows of NR floats, zero past column n. */
void f32_gemm_pack_b(int k, int n, const float* b, size_t ldb, int trans_b, float* packed_b) {
  for (int j0 = 0; j0 < n; j0 += GEMM_NR) {
    const int cols = imin(GEMM_NR, n - j0);
    float* out = packed_b + (size_t)j0 * (size_t)k;
    if (!trans_b && cols == GEMM_NR) {
      for (int p = 0; p < k; p++) {
        const float* row = b + (size_t)p * ldb + j0;
        vf_store(out, vf_load(row));
        vf_store(out + VF_LANES, vf_load(row + VF_LANES));
        out += GEMM_NR;
      }
      continue;
    }
    for (int p = 0; p < k; p++, out += GEMM_NR)
      for (int j = 0; j < GEMM_NR; j++) {
        if (j >= cols) out[j] = 0.0f;
        else out[j] = trans_b ? b[(size_t)(j0 + j) * ldb + p] : b[(size_t)p * ldb + j0 + j];
      }
  }
}

/* A panels for rows [i0, i0+mc) and depth [p0, p0+kc): panel ip holds kc columns of MR floats, zero past row mc. */
void f32_gemm_pack_a(int mc, int kc, const float* a, size_t lda, int trans_a, int i0, int p0, float* a_pack) {
  for (int r0 = 0; r0 < mc; r0 += GEMM_MR) {
    const int rows = imin(GEMM_MR, mc - r0);
    float* out = a_pack + (size_t)r0 * (size_t)kc;
    if (trans_a) {
      for (int p = 0; p < kc; p++, out += GEMM_MR) {
        const float* src = a + (size_t)(p0 + p) * lda + i0 + r0;
        for (int r = 0; r < GEMM_MR; r++) out[r] = r < rows ? src[r] : 0.0f;
      }
    } else {
      for (int r = 0; r < GEMM_MR; r++) {
        if (r >= rows) {
          for (int p = 0; p < kc; p++) out[p * GEMM_MR + r] = 0.0f;
          continue;
        }
        const float* src = a + (size_t)(i0 + r0 + r) * lda + p0;
        for (int p = 0; p < kc; p++) out[p * GEMM_MR + r] = src[p];
      }
    }
  }
}
