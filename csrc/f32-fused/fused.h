/*
 * Internals shared by the fused inference kernels: the epilogue (activation and residual add applied to a block
 * of output rows while it is in cache) and the GEMM driver over prepacked weights that the pointwise, standard
 * conv and depthwise -> pointwise kernels all end in.
 */
#ifndef SEPCONV_F32_FUSED_H
#define SEPCONV_F32_FUSED_H

#include "../f32-gemm/gemm.h"

/* 1 when the epilogue changes nothing (no activation, no residual): kernels then skip the pass. */
static inline int epilogue_is_identity(const sepconv_epilogue* e, const float* residual) {
  return (e == NULL || e->act == SEPCONV_ACT_NONE) && residual == NULL;
}

/*
 * When the epilogue is a clip alone, no residual: SEPCONV_ACT_CLIP, or ReLU6 (the same min(max(v, 0), 6)). Returns
 * `range` holding its bounds, for kernels that clip as they store instead of making a pass over their output; NULL
 * otherwise.
 */
static inline const float* epilogue_clip_range(const sepconv_epilogue* e, const float* residual, float range[2]) {
  if (e == NULL || residual != NULL) return NULL;
  if (e->act == SEPCONV_ACT_CLIP) {
    range[0] = e->alpha;
    range[1] = e->beta;
  } else if (e->act == SEPCONV_RELU6) {
    range[0] = 0.0f;
    range[1] = 6.0f;
  } else {
    return NULL;
  }
  return range;
}

/* Applies the epilogue to rows x cols values at c (row stride ldc); residual (may be NULL) has row stride ldr. */
void fused_epilogue(float* c, size_t ldc, int rows, int cols, const float* residual, size_t ldr,
                    const sepconv_epilogue* e);

/* Row stride of the A blocks fused_gemm_rows copies: a k block plus a cache line, so that the rows of a tile fall
 * in different L1 sets (A rows 1024 or 512 floats apart, as in MobileNet's late layers, share one or two sets). */
#define FUSED_A_STRIDE (GEMM_KC + 16)

/* Floats of fused_gemm_rows's `a_pack`: a GEMM_MC-row block of A at FUSED_A_STRIDE. */
static inline size_t fused_gemm_a_block_size(void) { return (size_t)GEMM_MC * FUSED_A_STRIDE; }

/*
 * c[m, n] (row stride ldc) = epilogue(a[m, k] · packed_w + bias) with a's rows of stride lda; when `scale` is
 * not NULL, a's columns are multiplied by scale[0..k). A block of A that several B panels read is first copied
 * (scaled) into `a_pack` (fused_gemm_a_block_size() floats).
 */
void fused_gemm_rows(int m, int n, int k, const float* a, size_t lda, const float* scale, const float* packed_w,
                     const float* bias, float* c, size_t ldc, const float* residual, size_t ldr,
                     const sepconv_epilogue* e, float* a_pack);

/*
 * One k block of fused_gemm_rows's product, columns [p0, p0 + GEMM_KC) of k (p0 a multiple of GEMM_KC below k),
 * for a caller that makes A a k block at a time (a conv's im2col, used while it is still in cache) and writes it as
 * the tiles read it, so that nothing is copied: a holds the block's m rows at FUSED_A_STRIDE. The first block
 * (p0 = 0) starts from the bias, the others add to c, the last applies the epilogue; called for p0 = 0, GEMM_KC, ...
 * in turn, it gives fused_gemm_rows's results bit for bit. packed_w comes from fused_gemm_pack_tiled, which lays B
 * out by k blocks: weights of tens of megabytes (3x3x1024 inputs) then stream from memory in one sequential pass.
 */
void fused_gemm_tiled_block(int m, int n, int k, int p0, const float* a, const float* packed_w, const float* bias,
                            float* c, size_t ldc, const float* residual, size_t ldr, const sepconv_epilogue* e);
void fused_gemm_pack_tiled(const float* w, float* packed, int k, int n, size_t ldw);

#endif
