/*
 * The fused GEMM: B (the weights) is packed once when the plan loads; A is read where it lies
 * (gemm_direct_ukernel.h), or, with a per-channel scale (the squeeze-and-excitation gate), packed block by block
 * and multiplied on the way, which so costs no extra pass. Blocks of GEMM_MC rows are finished (all of k) before the next starts, so the epilogue runs on
 * rows that are still in cache. Per output element the arithmetic is that of sepconv_matmul.
 */
#include "../f32-gemm/gemm.h"
#include "../f32-gemm/gemm_4x2v_ukernel.h"
#include "../f32-gemm/gemm_direct_ukernel.h"
#include "../f32-gemm/pack.h"
#include "fused.h"

/* f32_gemm_pack_a (not transposed) with column p of A multiplied by scale[p]. */
static void pack_a_scaled(int mc, int kc, const float* a, size_t lda, int i0, int p0, const float* scale,
                          float* a_pack) {
  for (int r0 = 0; r0 < mc; r0 += GEMM_MR) {
    const int rows = imin(GEMM_MR, mc - r0);
    float* out = a_pack + (size_t)r0 * (size_t)kc;
    for (int r = 0; r < GEMM_MR; r++) {
      if (r >= rows) {
        for (int p = 0; p < kc; p++) out[p * GEMM_MR + r] = 0.0f;
        continue;
      }
      const float* src = a + (size_t)(i0 + r0 + r) * lda + p0;
      const float* s = scale + p0;
      for (int p = 0; p < kc; p++) out[p * GEMM_MR + r] = src[p] * s[p];
    }
  }
}

void fused_gemm_rows(int m, int n, int k, const float* a, size_t lda, const float* scale, const float* packed_w,
                     const float* bias, float* c, size_t ldc, const float* residual, size_t ldr,
                     const sepconv_epilogue* e, float* a_pack) {
  if (m <= 0 || n <= 0) return;
  for (int i0 = 0; i0 < m; i0 += GEMM_MC) {
    const int mc = imin(GEMM_MC, m - i0);
    float* c_block = c + (size_t)i0 * ldc;
    if (k <= 0)
      for (int i = 0; i < mc; i++)
        for (int j = 0; j < n; j++) c_block[(size_t)i * ldc + j] = bias != NULL ? bias[j] : 0.0f;
    for (int p0 = 0; p0 < k; p0 += GEMM_KC) {
      const int kc = imin(GEMM_KC, k - p0);
      if (scale != NULL) pack_a_scaled(mc, kc, a, lda, i0, p0, scale, a_pack);
      for (int j0 = 0; j0 < n; j0 += GEMM_NR) {
        const float* b_panel = packed_w + (size_t)j0 * (size_t)k + (size_t)p0 * GEMM_NR;
        const int cols = imin(GEMM_NR, n - j0);
        const float* bias_j = bias != NULL ? bias + j0 : NULL;
        for (int r0 = 0; r0 < mc; r0 += GEMM_MR) {
          float* tile = c_block + (size_t)r0 * ldc + j0;
          const int rows = imin(GEMM_MR, mc - r0);
          if (scale != NULL)
            f32_gemm_ukernel_4x2v((size_t)kc, a_pack + (size_t)r0 * (size_t)kc, b_panel, tile, ldc, rows, cols, bias_j,
                                  p0 > 0);
          else
            gemm_ukernel_direct((size_t)kc, a + (size_t)(i0 + r0) * lda + p0, lda, 1, b_panel, tile, ldc, rows, cols,
                                bias_j, p0 > 0);
        }
      }
    }
    fused_epilogue(c_block, ldc, mc, n, residual != NULL ? residual + (size_t)i0 * ldr : NULL, ldr, e);
  }
}

size_t sepconv_fused_gemm_packed_size(int32_t k, int32_t n) { return f32_gemm_packed_b_size(k, n); }

void sepconv_fused_gemm_pack(const float* w, float* packed, int32_t k, int32_t n) {
  f32_gemm_pack_b(k, n, w, (size_t)n, 0, packed);
}

size_t sepconv_fused_gemm_workspace(void) { return f32_gemm_a_pack_size(); }

int32_t sepconv_fused_gemm_nr(void) { return GEMM_NR; }

void sepconv_fused_gemm(const float* a, const float* packed_w, const float* bias, const float* scale,
                        const float* residual, float* c, int32_t m, int32_t k, int32_t n, int32_t ldc,
                        int32_t scale_rows, const sepconv_epilogue* e, float* workspace) {
  if (scale == NULL) {
    fused_gemm_rows(m, n, k, a, (size_t)k, NULL, packed_w, bias, c, (size_t)ldc, residual, (size_t)ldc, e, workspace);
    return;
  }
  /* One image (scale_rows rows) at a time, each with its own gate. */
  const int32_t per_image = scale_rows > 0 ? scale_rows : m;
  for (int32_t r0 = 0, image = 0; r0 < m; r0 += per_image, image++) {
    const int32_t rows = imin(per_image, m - r0);
    fused_gemm_rows(rows, n, k, a + (size_t)r0 * k, (size_t)k, scale + (size_t)image * k, packed_w, bias,
                    c + (size_t)r0 * ldc, (size_t)ldc, residual != NULL ? residual + (size_t)r0 * ldc : NULL,
                    (size_t)ldc, e, workspace);
  }
}
