#include "im2col.h"

/*
 * Visits each (block row, tap) of output pixels [p0, p0+rows): `x_off` is the input offset of the group's first
 * channel at that tap, or -1 when the tap falls in the padding; `col_off` is where that tap's channels sit in col.
 */
#define FOR_EACH_TAP(g, p0, rows, group, BODY)                                                          \
  do {                                                                                                  \
    const int cin_g_ = (g)->in_c / (g)->groups;                                                         \
    const size_t kdim_ = (size_t)(g)->k_h * (size_t)(g)->k_w * (size_t)cin_g_;                           \
    const int pixels_ = (g)->out_h * (g)->out_w;                                                        \
    for (int r_ = 0; r_ < (rows); r_++) {                                                               \
      const int p_ = (p0) + r_;                                                                         \
      const int n_ = p_ / pixels_, oh_ = (p_ % pixels_) / (g)->out_w, ow_ = p_ % (g)->out_w;            \
      for (int kh_ = 0; kh_ < (g)->k_h; kh_++) {                                                        \
        const int ih_ = oh_ * (g)->stride_h - (g)->pad_top + kh_ * (g)->dilation_h;                     \
        for (int kw_ = 0; kw_ < (g)->k_w; kw_++) {                                                      \
          const int iw_ = ow_ * (g)->stride_w - (g)->pad_left + kw_ * (g)->dilation_w;                  \
          const int inside_ = ih_ >= 0 && ih_ < (g)->in_h && iw_ >= 0 && iw_ < (g)->in_w;               \
          const size_t x_off = inside_ ? (((size_t)n_ * (g)->in_h + ih_) * (g)->in_w + iw_) * (g)->in_c + \
                                             (size_t)(group) * cin_g_                                   \
                                       : (size_t)-1;                                                    \
          const size_t col_off = (size_t)r_ * kdim_ + ((size_t)kh_ * (g)->k_w + kw_) * cin_g_;          \
          const int cin = cin_g_;                                                                       \
          BODY                                                                                          \
        }                                                                                               \
      }                                                                                                 \
    }                                                                                                   \
  } while (0)

void f32_im2col(const float* x, const sepconv_conv_geometry* g, int group, int p0, int rows, float* col) {
  FOR_EACH_TAP(g, p0, rows, group, {
    float* dst = col + col_off;
    if (x_off == (size_t)-1) {
      fill_zero(dst, (size_t)cin);
    } else {
      const float* src = x + x_off;
      for (int c = 0; c < cin; c++) dst[c] = src[c];
    }
  });
}

void f32_col2im_add(const float* col, const sepconv_conv_geometry* g, int group, int p0, int rows, float* dx) {
  FOR_EACH_TAP(g, p0, rows, group, {
    if (x_off != (size_t)-1) {
      const float* src = col + col_off;
      float* dst = dx + x_off;
      for (int c = 0; c < cin; c++) dst[c] += src[c];
    }
  });
}
