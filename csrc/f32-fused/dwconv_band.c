/*
 * Depthwise convolution by bands of output rows, for compiled plans. A band is the same convolution on a geometry
 * shifted down by the rows above it (its top padding may go negative, which every depthwise kernel's bounds checks
 * handle), so each band runs the f32-dwconv kernels unchanged; the band is then finished by the epilogue while it
 * is in cache, or (sepconv_fused_dwpw) fed straight into the pointwise GEMM.
 */
#include "../f32-dwconv/dwconv.h"
#include "../f32-gemm/gemm.h"
#include "fused.h"

/* Output floats per band: large enough to amortise the per-band set-up of the kernels (a zero row, packed
 * weights), small enough for the band to stay in L2. */
#define FUSED_DW_BAND_BUDGET (1 << 15)

/* Rows per band: the budget's, or more when a band feeds a GEMM and the budget would give it fewer than
 * `min_pixels` rows of A (every band reads all the pointwise weights: at 7x7x1024 the budget's 4-row bands would
 * read 4 MB of them twice). */
static int band_rows(const sepconv_conv_geometry* g, int min_pixels) {
  const int per_row = imax(g->out_w * g->out_c, 1);
  const int rows = imax(FUSED_DW_BAND_BUDGET / per_row, min_pixels / imax(g->out_w, 1));
  return imax(1, imin(g->out_h, rows));
}

/* Output rows [oh0, oh1) of one image (x and y point at that image; y gets row oh0 first), clipped to
 * [clip[0], clip[1]] as they are stored unless clip is NULL; `workspace` holds
 * sepconv_depthwise_conv2d_workspace(g) floats. */
static void depthwise_band(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g,
                           int oh0, int oh1, const float* clip, float* workspace) {
  sepconv_conv_geometry band = *g;
  band.batch = 1;
  band.out_h = oh1 - oh0;
  band.pad_top = g->pad_top - oh0 * g->stride_h;
  f32_dwconv_forward(x, w, bias, y, &band, workspace, clip);
}

size_t sepconv_fused_depthwise_workspace(const sepconv_conv_geometry* g) {
  return sepconv_depthwise_conv2d_workspace(g);
}

void sepconv_fused_depthwise(const float* x, const float* w, const float* bias, const float* residual, float* y,
                             const sepconv_conv_geometry* g, const sepconv_epilogue* e, float* workspace) {
  const size_t in_image = (size_t)g->in_h * g->in_w * g->in_c;
  const size_t out_row = (size_t)g->out_w * g->out_c;
  const int band = band_rows(g, 0);
  float range[2];
  const float* clip = epilogue_clip_range(e, residual, range);
  for (int n = 0; n < g->batch; n++)
    for (int oh0 = 0; oh0 < g->out_h; oh0 += band) {
      const int oh1 = imin(g->out_h, oh0 + band);
      const size_t at = ((size_t)n * g->out_h + oh0) * out_row;
      depthwise_band(x + n * in_image, w, bias, y + at, g, oh0, oh1, clip, workspace);
      if (clip == NULL)
        fused_epilogue(y + at, out_row, oh1 - oh0, (int)out_row, residual != NULL ? residual + at : NULL, out_row, e);
    }
}

size_t sepconv_fused_dwpw_workspace(const sepconv_conv_geometry* g, int32_t n_out) {
  (void)n_out;
  const size_t band = (size_t)band_rows(g, GEMM_MC) * g->out_w * g->out_c;
  return round_up(sepconv_depthwise_conv2d_workspace(g), VF_LANES) + round_up(band, VF_LANES) + fused_gemm_a_block_size();
}

void sepconv_fused_dwpw(const float* x, const float* dw_w, const float* dw_bias, const sepconv_conv_geometry* g,
                        const sepconv_epilogue* dw_e, const float* pw_packed, const float* pw_bias, int32_t n_out,
                        int32_t ldy, const float* residual, float* y, const sepconv_epilogue* pw_e, float* workspace) {
  const int band = band_rows(g, GEMM_MC);
  float* dw_workspace = workspace;
  float* mid = dw_workspace + round_up(sepconv_depthwise_conv2d_workspace(g), VF_LANES);
  float* a_pack = mid + round_up((size_t)band * g->out_w * g->out_c, VF_LANES);
  const size_t in_image = (size_t)g->in_h * g->in_w * g->in_c;
  const size_t C = (size_t)g->out_c;
  float range[2];
  const float* dw_clip = epilogue_clip_range(dw_e, NULL, range);
  for (int n = 0; n < g->batch; n++)
    for (int oh0 = 0; oh0 < g->out_h; oh0 += band) {
      const int oh1 = imin(g->out_h, oh0 + band);
      const int pixels = (oh1 - oh0) * g->out_w;
      depthwise_band(x + n * in_image, dw_w, dw_bias, mid, g, oh0, oh1, dw_clip, dw_workspace);
      if (dw_clip == NULL) fused_epilogue(mid, C, pixels, (int)C, NULL, 0, dw_e);
      const size_t at = ((size_t)n * g->out_h + oh0) * g->out_w * (size_t)ldy;
      fused_gemm_rows(pixels, n_out, (int)C, mid, C, NULL, pw_packed, pw_bias, y + at, (size_t)ldy,
                      residual != NULL ? residual + at : NULL, (size_t)ldy, pw_e, a_pack);
    }
}
