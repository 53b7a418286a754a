/*
 * im2col for one group of a (grouped) convolution, over a block of output pixels: row p of the block holds the
 * receptive field of output pixel p0 + p as [kh][kw][ci] (ci within the group), which is exactly the row order of
 * the weight [KH, KW, C_in/groups, C_out], so conv = col · w. Taps in the padding read zero.
 */
#ifndef SEPCONV_F32_IM2COL_H
#define SEPCONV_F32_IM2COL_H

#include "../common.h"

void f32_im2col(const float* x, const sepconv_conv_geometry* g, int group, int p0, int rows, float* col);

/*
 * Columns [c0, c1) of those rows into col, row stride ld (column c0 of row p at col + p * ld): a k block of the
 * rows at a time, as the fused conv's GEMM consumes them. f32_im2col is columns [0, kdim) at ld = kdim.
 */
void f32_im2col_columns(const float* x, const sepconv_conv_geometry* g, int group, int p0, int rows, size_t c0,
                        size_t c1, float* col, size_t ld);

/* The adjoint of f32_im2col: dx[pixel, channel] += col[...] for every tap inside the input. */
void f32_col2im_add(const float* col, const sepconv_conv_geometry* g, int group, int p0, int rows, float* dx);

#endif
