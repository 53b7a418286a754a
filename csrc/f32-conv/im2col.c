#include "im2col.h"

/*
 * Visits each (block row r, tap) of output pixels [p0, p0+rows): `x_off` is the input offset of the group's first
 * channel at that tap, or -1 when the tap falls in the padding; `col_p` is the column of that tap's first channel in
 * a row of kdim columns.
 */
#define FOR_EACH_TAP(g, p0, rows, group, BODY)                                                          \
  do {                                                                                                  \
    const int cin_g_ = (g)->in_c / (g)->groups;                                                         \
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
          const size_t col_p = ((size_t)kh_ * (g)->k_w + kw_) * cin_g_, r = (size_t)r_;                  \
          const int cin = cin_g_;                                                                       \
          BODY                                                                                          \
        }                                                                                               \
      }                                                                                                 \
    }                                                                                                   \
  } while (0)

/* Where f32_im2col_columns writes: columns [c0, c1) of each row, at col with row stride ld. */
typedef struct col_window {
  float* col;
  size_t ld, c0, c1;
} col_window;

/* Columns [p, p + count) of row r, the part inside the window: copied from src, or zeros when src is NULL. */
static inline __attribute__((always_inline)) void put_run(const col_window* out, size_t r, size_t p,
                                                          const float* src, size_t count) {
  const size_t lo = p >= out->c0 ? p : out->c0, hi = p + count <= out->c1 ? p + count : out->c1;
  if (lo >= hi) return;
  float* dst = out->col + r * out->ld + (lo - out->c0);
  if (src == NULL) {
    fill_zero(dst, hi - lo);
    return;
  }
  src += lo - p;
  for (size_t i = 0; i < hi - lo; i++) dst[i] = src[i];
}

/*
 * With ungrouped input and no horizontal dilation, the taps of one kernel row lie side by side in the input, so a
 * kernel row whose window is wholly inside is one copy of k_w * C floats (for a 3-channel stem, 9 floats instead of
 * three copies of 3); rows in the padding are zeros; the rest go tap by tap.
 */
static int rows_are_contiguous(const sepconv_conv_geometry* g) { return g->groups == 1 && g->dilation_w == 1; }

static inline __attribute__((always_inline)) void im2col_by_rows(const float* x, const sepconv_conv_geometry* g,
                                                                 int p0, int rows, const col_window* out) {
  const size_t C = (size_t)g->in_c, span = (size_t)g->k_w * C;
  if (span == 0) return; /* no columns */
  const int pixels = g->out_h * g->out_w;
  /* Kernel rows [kh0, kh1) hold the window's columns. */
  const size_t end = out->c1 < (size_t)g->k_h * span ? out->c1 : (size_t)g->k_h * span;
  const int kh0 = (int)(out->c0 / span), kh1 = (int)((end + span - 1) / span);
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
    for (int kh = kh0; kh < kh1; kh++) {
      const size_t p = (size_t)kh * span;
      const int ih = oh * g->stride_h - g->pad_top + kh * g->dilation_h;
      if (ih < 0 || ih >= g->in_h) {
        put_run(out, (size_t)r, p, NULL, span);
        continue;
      }
      const float* row = x + ((size_t)n * g->in_h + ih) * g->in_w * C;
      if (whole) {
        put_run(out, (size_t)r, p, row + (size_t)iw0 * C, span);
        continue;
      }
      for (int kw = 0; kw < g->k_w; kw++) {
        const int iw = iw0 + kw;
        put_run(out, (size_t)r, p + (size_t)kw * C, iw < 0 || iw >= g->in_w ? NULL : row + (size_t)iw * C, C);
      }
    }
  }
}

static inline __attribute__((always_inline)) void im2col_window(const float* x, const sepconv_conv_geometry* g,
                                                                int group, int p0, int rows, const col_window* out) {
  if (rows_are_contiguous(g)) {
    im2col_by_rows(x, g, p0, rows, out);
    return;
  }
  FOR_EACH_TAP(g, p0, rows, group, { put_run(out, r, col_p, x_off == (size_t)-1 ? NULL : x + x_off, (size_t)cin); });
}

static size_t kdim_of(const sepconv_conv_geometry* g) { return (size_t)g->k_h * g->k_w * (g->in_c / g->groups); }

void f32_im2col_columns(const float* x, const sepconv_conv_geometry* g, int group, int p0, int rows, size_t c0,
                        size_t c1, float* col, size_t ld) {
  /* All the columns: a window of constant bounds, so that the compiler drops put_run's clipping, which costs as
   * much as the copy for the short runs of a 3-channel input. */
  const col_window all = {col, ld, 0, (size_t)-1}, part = {col, ld, c0, c1};
  if (c0 == 0 && c1 >= kdim_of(g)) im2col_window(x, g, group, p0, rows, &all);
  else im2col_window(x, g, group, p0, rows, &part);
}

void f32_im2col(const float* x, const sepconv_conv_geometry* g, int group, int p0, int rows, float* col) {
  f32_im2col_columns(x, g, group, p0, rows, 0, kdim_of(g), col, kdim_of(g));
}

void f32_col2im_add(const float* col, const sepconv_conv_geometry* g, int group, int p0, int rows, float* dx) {
  const size_t kdim = kdim_of(g);
  FOR_EACH_TAP(g, p0, rows, group, {
    if (x_off != (size_t)-1) {
      const float* src = col + r * kdim + col_p;
      float* dst = dx + x_off;
      for (int c = 0; c < cin; c++) dst[c] += src[c];
    }
  });
}
