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

/*
 * With ungrouped input and no horizontal dilation, the taps of one kernel row lie side by side in the input, so a
 * kernel row whose window is wholly inside is one copy of k_w * C floats (for a 3-channel stem, 9 floats instead of
 * three copies of 3); rows in the padding are zeros; the rest go tap by tap.
 */
static void copy_floats(float* dst, const float* src, size_t count) {
  for (size_t i = 0; i < count; i++) dst[i] = src[i];
}

static int rows_are_contiguous(const sepconv_conv_geometry* g) { return g->groups == 1 && g->dilation_w == 1; }

static void im2col_by_rows(const float* x, const sepconv_conv_geometry* g, int p0, int rows, float* col) {
  const size_t C = (size_t)g->in_c, span = (size_t)g->k_w * C, kdim = (size_t)g->k_h * span;
  const int pixels = g->out_h * g->out_w;
  /* The output pixel (n, oh, ow) of row r, stepped along rather than divided out per row. */
  int n = p0 / pixels, oh = p0 % pixels / g->out_w, ow = p0 % g->out_w;
  for (int r = 0; r < rows; r++, ow++) {
    if (ow == g->out_w) {
      ow = 0;
      if (++oh == g->out_h) {
        oh = 0;
        n++;
      }
    }
    const int iw0 = ow * g->stride_w - g->pad_left;
    const int whole = iw0 >= 0 && iw0 + g->k_w <= g->in_w;
    for (int kh = 0; kh < g->k_h; kh++) {
      float* dst = col + (size_t)r * kdim + (size_t)kh * span;
      const int ih = oh * g->stride_h - g->pad_top + kh * g->dilation_h;
      if (ih < 0 || ih >= g->in_h) {
        fill_zero(dst, span);
        continue;
      }
      const float* row = x + ((size_t)n * g->in_h + ih) * g->in_w * C;
      if (whole) {
        copy_floats(dst, row + (size_t)iw0 * C, span);
        continue;
      }
      for (int kw = 0; kw < g->k_w; kw++) {
        const int iw = iw0 + kw;
        if (iw < 0 || iw >= g->in_w) fill_zero(dst + (size_t)kw * C, C);
        else copy_floats(dst + (size_t)kw * C, row + (size_t)iw * C, C);
      }
    }
  }
}

void f32_im2col(const float* x, const sepconv_conv_geometry* g, int group, int p0, int rows, float* col) {
  if (rows_are_contiguous(g)) {
    im2col_by_rows(x, g, p0, rows, col);
    return;
  }
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
