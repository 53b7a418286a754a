/* Depthwise forward entry point: picks a specialised kernel when the geometry allows one. */
#include "dwconv_kxk_m1.h"

dwconv_kxk_fn f32_dwconv_specialised(const sepconv_conv_geometry* g) {
  if (g->out_c != g->in_c || g->dilation_h != 1 || g->dilation_w != 1 || g->k_h != g->k_w ||
      g->stride_h != g->stride_w)
    return NULL;
  const int s = g->stride_h;
  if (g->k_h == 3) return s == 1 ? f32_dwconv_3x3s1_m1 : s == 2 ? f32_dwconv_3x3s2_m1 : NULL;
  if (g->k_h == 5) return s == 1 ? f32_dwconv_5x5s1_m1 : s == 2 ? f32_dwconv_5x5s2_m1 : NULL;
  return NULL;
}

size_t sepconv_depthwise_conv2d_workspace(const sepconv_conv_geometry* g) {
  return f32_dwconv_specialised(g) != NULL ? dwconv_kxk_workspace(g) : 0;
}

void f32_dwconv_forward(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g,
                        float* workspace, const float* clip) {
  const dwconv_kxk_fn kernel = f32_dwconv_specialised(g);
  if (kernel == NULL) {
    f32_dwconv_generic(x, w, bias, y, g, 0, g->out_c, clip);
    return;
  }
  kernel(x, w, bias, y, g, workspace, clip);
}

void sepconv_depthwise_conv2d(const float* x, const float* w, const float* bias, float* y,
                              const sepconv_conv_geometry* g, float* workspace) {
  f32_dwconv_forward(x, w, bias, y, g, workspace, NULL);
}
