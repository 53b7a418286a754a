/*
 * im2col for one group of a (grouped) convolution, over a block of output pixels: row p of the block holds the
 * receptive field of output pixel p0 + p as [kh][kw][ci] (ci within the group), which is exactly the row order of
 * the weight [KH, KW, C_in/groups, C_out], so conv = col · w. Taps in the padding read zero.
 */
#ifndef SEPCONV_F32_IM2COL_H
#define SEPCONV_F32_IM2COL_H

#include "../common.h"

void f32_im2col(const float* x, const sepconv_conv_geometry* g, int group, int p0, int rows, float* col);
/* The adjoint of f32_im2col: dx[pixel, channel] += col[...] for every tap inside the input. */
void f32_col2im_add(const float* col, const sepconv_conv_geometry* g, int group, int p0, int rows, float* dx);

#endif
