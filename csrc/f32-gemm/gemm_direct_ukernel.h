/*
 * The GEMM micro-kernel of gemm_4x2v_ukernel.h (GEMM_MR x 2 vectors, same accumulation order) reading A
 * where it lies instead of from a packed panel: element (r, p) of the tile is a[r * row_stride + p * step], so a
 * row-major A (row_stride = lda, step = 1) and a transposed one (row_stride = 1, step = lda) both work. Skipping
 * the A pack saves a pass over A, which costs as much as a third of the product when k is small (pointwise convs).
 * Rows past `rows` reread the last row and their results are dropped.
 */
#ifndef SEPCONV_F32_GEMM_DIRECT_UKERNEL_H
#define SEPCONV_F32_GEMM_DIRECT_UKERNEL_H

#include "gemm_4x2v_ukernel.h"

static inline __attribute__((always_inline)) void gemm_ukernel_direct(
    size_t kc, const float* a, size_t row_stride, size_t step, const float* restrict bp, float* restrict c,
    size_t ldc, int rows, int cols, const float* restrict bias, int accumulate) {
  size_t offset[GEMM_MR];
  for (int r = 0; r < GEMM_MR; r++) offset[r] = (size_t)(r < rows ? r : rows - 1) * row_stride;
  vf acc0[GEMM_MR], acc1[GEMM_MR];
  for (int r = 0; r < GEMM_MR; r++) acc0[r] = acc1[r] = vf_zero();
  for (size_t p = 0; p < kc; p++, a += step, bp += GEMM_NR) {
    const vf b0 = vf_load(bp);
    const vf b1 = vf_load(bp + VF_LANES);
    for (int r = 0; r < GEMM_MR; r++) {
      const vf av = vf_load_splat(a + offset[r]);
      acc0[r] = vf_muladd(av, b0, acc0[r]);
      acc1[r] = vf_muladd(av, b1, acc1[r]);
    }
  }
  f32_gemm_store_tile(acc0, acc1, c, ldc, rows, cols, bias, accumulate);
}

/*
 * The same tile when each row of A is a convolution window read from the input in place: `segments` runs of `run`
 * floats, run s of row r at a[r * row_stride + s * segment_stride] (a kernel row of k_w * C contiguous input floats,
 * one input row apart). The k order is that of the window's im2col row, so the sums equal gemm_ukernel_direct's
 * over im2col; the whole window is one k block (it sets c = acc + bias). `nv` (a constant: 1 or 2) is the tile's
 * width in vectors: 1 when the panel holds at most VF_LANES columns (a stem of 16 channels), so the padding
 * vector is not computed.
 */
static inline __attribute__((always_inline)) void gemm_ukernel_windows(
    const int nv, int segments, size_t run, const float* a, size_t row_stride, size_t segment_stride,
    const float* restrict bp, float* restrict c, size_t ldc, int rows, int cols, const float* restrict bias) {
  size_t offset[GEMM_MR];
  for (int r = 0; r < GEMM_MR; r++) offset[r] = (size_t)(r < rows ? r : rows - 1) * row_stride;
  vf acc0[GEMM_MR], acc1[GEMM_MR];
  for (int r = 0; r < GEMM_MR; r++) acc0[r] = acc1[r] = vf_zero();
  for (int s = 0; s < segments; s++, a += segment_stride)
    for (size_t j = 0; j < run; j++, bp += GEMM_NR) {
      const vf b0 = vf_load(bp);
      const vf b1 = nv == 2 ? vf_load(bp + VF_LANES) : vf_zero();
      for (int r = 0; r < GEMM_MR; r++) {
        const vf av = vf_load_splat(a + offset[r] + j);
        acc0[r] = vf_muladd(av, b0, acc0[r]);
        if (nv == 2) acc1[r] = vf_muladd(av, b1, acc1[r]);
      }
    }
  if (nv == 1 && cols == VF_LANES) {
    const vf base = bias != NULL ? vf_load(bias) : vf_zero();
    for (int r = 0; r < rows; r++) vf_store(c + (size_t)r * ldc, vf_add(acc0[r], base));
    return;
  }
  f32_gemm_store_tile(acc0, acc1, c, ldc, rows, cols, bias, 0);
}

#endif
