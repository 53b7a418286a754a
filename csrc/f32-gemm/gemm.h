/*
 * Packed, register-blocked single-precision GEMM: C[m,n] (+)= op(A) op(B) (+ bias). B is packed once per call into
 * column panels of GEMM_NR; A is packed per (GEMM_MC x GEMM_KC) block into row panels of GEMM_MR; a micro-kernel
 * computes one GEMM_MR x GEMM_NR tile from a pair of panels.
 *
 * op(A)[i, p] = trans_a ? a[p * lda + i] : a[i * lda + p];  op(B)[p, j] = trans_b ? b[j * ldb + p] : b[p * ldb + j].
 */
#ifndef SEPCONV_F32_GEMM_H
#define SEPCONV_F32_GEMM_H

#include "../common.h"

#ifndef GEMM_MR /* the native addon's AVX-512 build uses 8 rows: 16 accumulators of its 32 registers */
#define GEMM_MR 4
#endif
#define GEMM_NR (2 * VF_LANES)
#define GEMM_KC 256
#define GEMM_MC 128

/* Floats needed to hold B packed for f32_gemm_packed. */
size_t f32_gemm_packed_b_size(int k, int n);
/* Floats of scratch that f32_gemm_packed needs for packing A. */
size_t f32_gemm_a_pack_size(void);

void f32_gemm_pack_b(int k, int n, const float* b, size_t ldb, int trans_b, float* packed_b);

/*
 * C = A·B + bias (bias may be NULL) or, when `accumulate`, C += A·B (bias ignored). `packed_b` comes from
 * f32_gemm_pack_b with the same k and n; `a_pack` holds f32_gemm_a_pack_size() floats.
 */
void f32_gemm_packed(int m, int n, int k, const float* a, size_t lda, int trans_a, const float* packed_b, float* c,
                     size_t ldc, const float* bias, int accumulate, float* a_pack);

/* Packs B into `workspace` then runs f32_gemm_packed; workspace holds packed_b_size + a_pack_size floats. */
void f32_gemm(int m, int n, int k, const float* a, size_t lda, int trans_a, const float* b, size_t ldb, int trans_b,
              float* c, size_t ldc, const float* bias, int accumulate, float* workspace);

#endif
