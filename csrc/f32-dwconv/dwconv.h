/*
 * Depthwise convolution kernels (NHWC; w [KH, KW, C*M], output channel c*M + m reads input channel c).
 * Specialised square kernels for multiplier 1, dilation 1: f32_dwconv_{3x3,5x5}s{1,2}_m1; everything else goes to
 * f32_dwconv_generic. Specialised kernels hand channels past the last full vector to the generic one.
 */
#ifndef SEPCONV_F32_DWCONV_H
#define SEPCONV_F32_DWCONV_H

#include "../common.h"

/*
 * Every kernel takes `clip`: NULL, or the range [clip[0], clip[1]] the outputs are clipped to as they are stored (the
 * fused kernels' ReLU6), as min(max(v, clip[0]), clip[1]) with NaN passing through, like their epilogue pass.
 */

/* Generic path, output channels [c_begin, c_end) only (the full range when multiplier > 1). */
void f32_dwconv_generic(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g,
                        int c_begin, int c_end, const float* clip);

/* `workspace` holds dwconv_kxk_workspace(g) floats (dwconv_kxk_m1.h): a zero row and the packed weights. */
void f32_dwconv_3x3s1_m1(const float* x, const float* w, const float* bias, float* y,
                         const sepconv_conv_geometry* g, float* workspace, const float* clip);
void f32_dwconv_3x3s2_m1(const float* x, const float* w, const float* bias, float* y,
                         const sepconv_conv_geometry* g, float* workspace, const float* clip);
void f32_dwconv_5x5s1_m1(const float* x, const float* w, const float* bias, float* y,
                         const sepconv_conv_geometry* g, float* workspace, const float* clip);
void f32_dwconv_5x5s2_m1(const float* x, const float* w, const float* bias, float* y,
                         const sepconv_conv_geometry* g, float* workspace, const float* clip);

typedef void (*dwconv_kxk_fn)(const float* x, const float* w, const float* bias, float* y,
                              const sepconv_conv_geometry* g, float* workspace, const float* clip);

/* The specialised kernel for this geometry, or NULL when only the generic path applies. */
dwconv_kxk_fn f32_dwconv_specialised(const sepconv_conv_geometry* g);

/* sepconv_depthwise_conv2d with the outputs clipped as they are stored (clip as above). */
void f32_dwconv_forward(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g,
                        float* workspace, const float* clip);

#endif
