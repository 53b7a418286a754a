/*
 * Element-wise steps that a plan keeps on their own (nothing to fuse them into): the residual add, a batch norm
 * with no convolution before it (a per-channel affine map), and a squeeze-and-excitation multiply whose result
 * feeds something other than a pointwise convolution. Each ends with the epilogue activation where it has one.
 */
#include "fused.h"

void sepconv_fused_add(const float* a, const float* b, float* y, int32_t count, const sepconv_epilogue* e) {
  int32_t i = 0;
  for (; i + VF_LANES <= count; i += VF_LANES) vf_store(y + i, vf_add(vf_load(a + i), vf_load(b + i)));
  for (; i < count; i++) y[i] = a[i] + b[i];
  if (e != NULL && e->act != SEPCONV_ACT_NONE) sepconv_fused_activate(y, y, count, e);
}

void sepconv_fused_channel_affine(const float* x, const float* scale, const float* shift, float* y, int32_t pixels,
                                  int32_t channels, const sepconv_epilogue* e) {
  const size_t C = (size_t)channels;
  for (int32_t p = 0; p < pixels; p++) {
    const float* xp = x + (size_t)p * C;
    float* yp = y + (size_t)p * C;
    size_t c = 0;
    for (; c + VF_LANES <= C; c += VF_LANES)
      vf_store(yp + c, vf_add(vf_mul(vf_load(xp + c), vf_load(scale + c)), vf_load(shift + c)));
    for (; c < C; c++) yp[c] = xp[c] * scale[c] + shift[c];
  }
  if (e != NULL && e->act != SEPCONV_ACT_NONE) sepconv_fused_activate(y, y, pixels * channels, e);
}

void sepconv_fused_channel_scale(const float* x, const float* gate, float* y, int32_t images, int32_t pixels,
                                 int32_t channels) {
  const size_t C = (size_t)channels;
  for (int32_t n = 0; n < images; n++) {
    const float* s = gate + (size_t)n * C;
    for (int32_t p = 0; p < pixels; p++) {
      const size_t at = ((size_t)n * pixels + p) * C;
      size_t c = 0;
      for (; c + VF_LANES <= C; c += VF_LANES) vf_store(y + at + c, vf_mul(vf_load(x + at + c), vf_load(s + c)));
      for (; c < C; c++) y[at + c] = x[at + c] * s[c];
    }
  }
}
