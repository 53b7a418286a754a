#ifndef SEPCONV_F32_GEMM_PACK_H
#define SEPCONV_F32_GEMM_PACK_H

#include "gemm.h"

void f32_gemm_pack_a(int mc, int kc, const float* a, size_t lda, int trans_a, int i0, int p0, float* a_pack);

#endif
