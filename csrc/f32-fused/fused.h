/*
 * Internals shared by the fused inference kernels: the epilogue (activation and residual add applied to a block
 * of output rows while it is in cache) and the GEMM driver over prepacked weights that the pointwise, standard
 * conv and depthwise -> pointwise kernels all end in.
 */
#ifndef SEPCONV_F32_FUSED_H
#define SEPCONV_F32_FUSED_H

#include "../common.h"

/* 1 when the epilogue changes nothing (no activation, no residual): kernels then skip the pass. */
static inline int epilogue_is_identity(const sepconv_epilogue* e, const float* residual) {
  return (e == NULL || e->act == SEPCONV_ACT_NONE) && residual == NULL;
}

/* Applies the epilogue to rows x cols values at c (row stride ldc); residual (may be NULL) has row stride ldr. */
void fused_epilogue(float* c, size_t ldc, int rows, int cols, const float* residual, size_t ldr,
                    const sepconv_epilogue* e);

/*
 * c[m, n] (row stride ldc) = epilogue(a[m, k] · packed_w + bias) with a's rows of stride lda; when `scale` is
 * not NULL, a's columns are multiplied by scale[0..k) while they are packed. `a_pack` holds
 * f32_gemm_a_pack_size() floats.
 */
void fused_gemm_rows(int m, int n, int k, const float* a, size_t lda, const float* scale, const float* packed_w,
                     const float* bias, float* c, size_t ldc, const float* residual, size_t ldr,
                     const sepconv_epilogue* e, float* a_pack);

#endif
