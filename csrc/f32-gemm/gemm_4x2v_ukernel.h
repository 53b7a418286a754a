/*
 * The GEMM micro-kernel: one GEMM_MR x (2 vectors) tile of C from an A panel (kc x MR, packed) and a B panel
 * (kc x NR, packed). MR accumulator pairs live in registers for the whole k loop: with MR = 4 on SIMD128 that is
 * 8 accumulators + 2 B vectors + 1 broadcast A, inside the 16 vector registers of x86-64 and arm64.
 */
#ifndef SEPCONV_F32_GEMM_UKERNEL_H
#define SEPCONV_F32_GEMM_UKERNEL_H

#include "gemm.h"

/*
 * Writes rows x cols of the tile held in acc0/acc1 (one vector pair per row) at c (row stride ldc): c = acc + bias
 * (bias NULL: + 0), or c += acc when `accumulate`. Full tiles store vectors directly; edge tiles go through a small
 * buffer. Shared by every micro-kernel that computes a GEMM_MR x 2-vector tile.
 */
static inline __attribute__((always_inline)) void f32_gemm_store_tile(
    const vf* acc0, const vf* acc1, float* restrict c, size_t ldc, int rows, int cols, const float* restrict bias,
    int accumulate) {
  if (rows == GEMM_MR && cols == GEMM_NR) {
    vf base0 = vf_zero(), base1 = vf_zero();
    if (!accumulate && bias != NULL) {
      base0 = vf_load(bias);
      base1 = vf_load(bias + VF_LANES);
    }
    for (int r = 0; r < GEMM_MR; r++) {
      float* cr = c + (size_t)r * ldc;
      if (accumulate) {
        base0 = vf_load(cr);
        base1 = vf_load(cr + VF_LANES);
      }
      vf_store(cr, vf_add(acc0[r], base0));
      vf_store(cr + VF_LANES, vf_add(acc1[r], base1));
    }
    return;
  }
  float tile[GEMM_MR * GEMM_NR];
  for (int r = 0; r < GEMM_MR; r++) {
    vf_store(tile + r * GEMM_NR, acc0[r]);
    vf_store(tile + r * GEMM_NR + VF_LANES, acc1[r]);
  }
  for (int r = 0; r < rows; r++) {
    float* cr = c + (size_t)r * ldc;
    for (int j = 0; j < cols; j++) {
      const float base = accumulate ? cr[j] : bias != NULL ? bias[j] : 0.0f;
      cr[j] = tile[r * GEMM_NR + j] + base;
    }
  }
}

/* C tile (see f32_gemm_store_tile) = packed A panel x packed B panel. */
static inline __attribute__((always_inline)) void f32_gemm_ukernel_4x2v(
    size_t kc, const float* restrict ap, const float* restrict bp, float* restrict c, size_t ldc, int rows,
    int cols, const float* restrict bias, int accumulate) {
  vf acc0[GEMM_MR], acc1[GEMM_MR];
  for (int r = 0; r < GEMM_MR; r++) acc0[r] = acc1[r] = vf_zero();
  for (size_t p = 0; p < kc; p++) {
    const vf b0 = vf_load(bp);
    const vf b1 = vf_load(bp + VF_LANES);
    for (int r = 0; r < GEMM_MR; r++) {
      const vf av = vf_load_splat(ap + r);
      acc0[r] = vf_muladd(av, b0, acc0[r]);
      acc1[r] = vf_muladd(av, b1, acc1[r]);
    }
    ap += GEMM_MR;
    bp += GEMM_NR;
  }
  f32_gemm_store_tile(acc0, acc1, c, ldc, rows, cols, bias, accumulate);
}

#endif
