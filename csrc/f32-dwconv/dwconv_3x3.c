/* Depthwise 3x3, multiplier 1, dilation 1, stride 1 or 2: the MobileNet workhorse. */
#include "dwconv_kxk_m1.h"

void f32_dwconv_3x3s1_m1(const float* x, const float* w, const float* bias, float* y,
                         const sepconv_conv_geometry* g, float* workspace, const float* clip) {
  dwconv_kxk_run(3, 1, x, w, bias, y, g, workspace, clip);
}

void f32_dwconv_3x3s2_m1(const float* x, const float* w, const float* bias, float* y,
                         const sepconv_conv_geometry* g, float* workspace, const float* clip) {
  dwconv_kxk_run(3, 2, x, w, bias, y, g, workspace, clip);
}
