/* The GEMM driver: cache blocking over k (GEMM_KC) and m (GEMM_MC) around the micro-kernel; and sepconv_matmul. */
#include "gemm.h"
#include "gemm_4x2v_ukernel.h"
#include "pack.h"

size_t f32_gemm_packed_b_size(int k, int n) { return round_up((size_t)n, GEMM_NR) * (size_t)k; }

size_t f32_gemm_a_pack_size(void) { return (size_t)GEMM_MC * GEMM_KC; }

/* C = bias (or 0) for every row: the whole product when k = 0. */
static void fill_bias(int m, int n, float* c, size_t ldc, const float* bias) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = bias != NULL ? bias[j] : 0.0f;
}

void f32_gemm_packed(int m, int n, int k, const float* a, size_t lda, int trans_a, const float* packed_b, float* c,
                     size_t ldc, const float* bias, int accumulate, float* a_pack) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) fill_bias(m, n, c, ldc, bias);
    return;
  }
  for (int p0 = 0; p0 < k; p0 += GEMM_KC) {
    const int kc = imin(GEMM_KC, k - p0);
    const int add = accumulate || p0 > 0;
    for (int i0 = 0; i0 < m; i0 += GEMM_MC) {
      const int mc = imin(GEMM_MC, m - i0);
      f32_gemm_pack_a(mc, kc, a, lda, trans_a, i0, p0, a_pack);
      for (int j0 = 0; j0 < n; j0 += GEMM_NR) {
        const int cols = imin(GEMM_NR, n - j0);
        const float* b_panel = packed_b + (size_t)j0 * (size_t)k + (size_t)p0 * GEMM_NR;
        const float* panel_bias = bias != NULL ? bias + j0 : NULL;
        for (int r0 = 0; r0 < mc; r0 += GEMM_MR)
          f32_gemm_ukernel_4x2v((size_t)kc, a_pack + (size_t)r0 * (size_t)kc, b_panel,
                                c + (size_t)(i0 + r0) * ldc + j0, ldc, imin(GEMM_MR, mc - r0), cols, panel_bias,
                                add);
      }
    }
  }
}

void f32_gemm(int m, int n, int k, const float* a, size_t lda, int trans_a, const float* b, size_t ldb, int trans_b,
              float* c, size_t ldc, const float* bias, int accumulate, float* workspace) {
  f32_gemm_pack_b(k, n, b, ldb, trans_b, workspace);
  f32_gemm_packed(m, n, k, a, lda, trans_a, workspace, c, ldc, bias, accumulate,
                  workspace + f32_gemm_packed_b_size(k, n));
}

size_t sepconv_matmul_workspace(int32_t m, int32_t k, int32_t n) {
  (void)m;
  return f32_gemm_packed_b_size(k, n) + f32_gemm_a_pack_size();
}

void sepconv_matmul(const float* a, const float* b, const float* bias, float* c, int32_t m, int32_t k, int32_t n,
                    int32_t trans_a, int32_t trans_b, float* workspace) {
  f32_gemm(m, n, k, a, trans_a ? (size_t)m : (size_t)k, trans_a, b, trans_b ? (size_t)k : (size_t)n, trans_b, c,
           (size_t)n, bias, 0, workspace);
}
