/* Depthwise 5x5, multiplier 1, dilation 1, stride 1 or 2 (MobileNetV3, EfficientNet). */
#include "dwconv_kxk_m1.h"

void f32_dwconv_5x5s1_m1(const float* x, const float* w, const float* bias, float* y,
                         const sepconv_conv_geometry* g, float* workspace, const float* clip) {
  dwconv_kxk_run(5, 1, x, w, bias, y, g, workspace, clip);
}

void f32_dwconv_5x5s2_m1(const float* x, const float* w, const float* bias, float* y,
                         const sepconv_conv_geometry* g, float* workspace, const float* clip) {
  dwconv_kxk_run(5, 2, x, w, bias, y, g, workspace, clip);
}
