/*
 * Standard and grouped convolution as GEMMs, per group: forward y = col · w, backward input dcol = dy · wᵀ then
 * col2im, backward filter dw = colᵀ · dy. Output pixels are processed in blocks so the im2col buffer stays
 * bounded (CONV_COL_BUDGET floats) while the packed weight is reused by every block. A 1x1 stride-1 unpadded conv
 * needs no im2col: the input rows are the GEMM rows.
 */
#include "../f32-gemm/gemm.h"
#include "im2col.h"

#define CONV_COL_BUDGET (1 << 18)

static int is_direct(const sepconv_conv_geometry* g) {
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
         g->pad_left == 0 && g->pad_bottom == 0 && g->pad_right == 0;
}

static int total_pixels(const sepconv_conv_geometry* g) { return g->batch * g->out_h * g->out_w; }

static int kdim_of(const sepconv_conv_geometry* g) { return g->k_h * g->k_w * (g->in_c / g->groups); }

/* Output pixels per block: as many im2col rows as fit the budget, at least a few micro-kernel rows. */
static int block_rows(const sepconv_conv_geometry* g) {
  const int rows = imax(CONV_COL_BUDGET / imax(kdim_of(g), 1), 4 * GEMM_MR);
  return imax(imin(rows, total_pixels(g)), 1);
}

static size_t col_size(const sepconv_conv_geometry* g) {
  return is_direct(g) ? 0 : round_up((size_t)block_rows(g) * (size_t)kdim_of(g), VF_LANES);
}

/* The GEMM rows (A) of output pixels [p0, p0 + m) in one group: the input itself for a direct conv, else those rows
 * of im2col written to `col`; sets *lda to their stride. */
static const float* conv_rows(const float* x, const sepconv_conv_geometry* g, int group, int p0, int m, float* col,
                              size_t* lda) {
  if (is_direct(g)) {
    *lda = (size_t)g->in_c;
    return x + (size_t)p0 * g->in_c + (size_t)group * (g->in_c / g->groups);
  }
  *lda = (size_t)kdim_of(g);
  f32_im2col(x, g, group, p0, m, col);
  return col;
}

size_t sepconv_conv2d_workspace(const sepconv_conv_geometry* g) {
  return f32_gemm_packed_b_size(kdim_of(g), g->out_c / g->groups) + f32_gemm_a_pack_size() + col_size(g);
}

void sepconv_conv2d(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g,
                    float* workspace) {
  const int cout_g = g->out_c / g->groups, kdim = kdim_of(g);
  const int pixels = total_pixels(g), rows = block_rows(g);
  float* packed_w = workspace;
  float* a_pack = packed_w + f32_gemm_packed_b_size(kdim, cout_g);
  float* col = a_pack + f32_gemm_a_pack_size();
  for (int group = 0; group < g->groups; group++) {
    f32_gemm_pack_b(kdim, cout_g, w + (size_t)group * cout_g, (size_t)g->out_c, 0, packed_w);
    const float* group_bias = bias != NULL ? bias + (size_t)group * cout_g : NULL;
    for (int p0 = 0; p0 < pixels; p0 += rows) {
      const int m = imin(rows, pixels - p0);
      size_t lda;
      const float* a = conv_rows(x, g, group, p0, m, col, &lda);
      f32_gemm_packed(m, cout_g, kdim, a, lda, 0, packed_w, y + (size_t)p0 * g->out_c + (size_t)group * cout_g,
                      (size_t)g->out_c, group_bias, 0, a_pack);
    }
  }
}

size_t sepconv_conv2d_backward_input_workspace(const sepconv_conv_geometry* g) {
  return f32_gemm_packed_b_size(g->out_c / g->groups, kdim_of(g)) + f32_gemm_a_pack_size() + col_size(g);
}

void sepconv_conv2d_backward_input(const float* dy, const float* w, float* dx, const sepconv_conv_geometry* g,
                                   float* workspace) {
  const int cin_g = g->in_c / g->groups, cout_g = g->out_c / g->groups, kdim = kdim_of(g);
  const int pixels = total_pixels(g), rows = block_rows(g), direct = is_direct(g);
  float* packed_wt = workspace;
  float* a_pack = packed_wt + f32_gemm_packed_b_size(cout_g, kdim);
  float* col = a_pack + f32_gemm_a_pack_size();
  if (!direct) fill_zero(dx, (size_t)g->batch * g->in_h * g->in_w * g->in_c);
  for (int group = 0; group < g->groups; group++) {
    /* B = wᵀ restricted to the group: [cout_g, kdim], read from w [kdim, C_out] transposed. */
    f32_gemm_pack_b(cout_g, kdim, w + (size_t)group * cout_g, (size_t)g->out_c, 1, packed_wt);
    for (int p0 = 0; p0 < pixels; p0 += rows) {
      const int m = imin(rows, pixels - p0);
      const float* a = dy + (size_t)p0 * g->out_c + (size_t)group * cout_g;
      if (direct) {
        f32_gemm_packed(m, kdim, cout_g, a, (size_t)g->out_c, 0, packed_wt,
                        dx + (size_t)p0 * g->in_c + (size_t)group * cin_g, (size_t)g->in_c, NULL, 0, a_pack);
      } else {
        f32_gemm_packed(m, kdim, cout_g, a, (size_t)g->out_c, 0, packed_wt, col, (size_t)kdim, NULL, 0, a_pack);
        f32_col2im_add(col, g, group, p0, m, dx);
      }
    }
  }
}

size_t sepconv_conv2d_backward_filter_workspace(const sepconv_conv_geometry* g) {
  return f32_gemm_packed_b_size(block_rows(g), g->out_c / g->groups) + f32_gemm_a_pack_size() + col_size(g);
}

void sepconv_conv2d_backward_filter(const float* x, const float* dy, float* dw, const sepconv_conv_geometry* g,
                                    float* workspace) {
  const int cout_g = g->out_c / g->groups, kdim = kdim_of(g);
  const int pixels = total_pixels(g), rows = block_rows(g);
  float* packed_dy = workspace;
  float* a_pack = packed_dy + f32_gemm_packed_b_size(rows, cout_g);
  float* col = a_pack + f32_gemm_a_pack_size();
  for (int group = 0; group < g->groups; group++) {
    float* dw_group = dw + (size_t)group * cout_g;
    if (pixels == 0) {
      for (int i = 0; i < kdim; i++) fill_zero(dw_group + (size_t)i * g->out_c, (size_t)cout_g);
      continue;
    }
    for (int p0 = 0; p0 < pixels; p0 += rows) {
      const int k = imin(rows, pixels - p0);
      size_t lda;
      const float* a = conv_rows(x, g, group, p0, k, col, &lda);
      /* dw_group [kdim, cout_g] (+)= colᵀ [kdim, k] · dy block [k, cout_g]. */
      f32_gemm_pack_b(k, cout_g, dy + (size_t)p0 * g->out_c + (size_t)group * cout_g, (size_t)g->out_c, 0,
                      packed_dy);
      f32_gemm_packed(kdim, cout_g, k, a, lda, 1, packed_dy, dw_group, (size_t)g->out_c, NULL, p0 > 0, a_pack);
    }
  }
}
