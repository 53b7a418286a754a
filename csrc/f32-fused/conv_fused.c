/*
 * Standard and grouped convolution for compiled plans: im2col over blocks of output pixels, then the fused GEMM
 * against weights packed once per plan (sepconv_conv2d packs them on every call), with bias, activation and
 * residual applied to each block as it is finished. im2col makes a block's rows one k block at a time, in the
 * layout the GEMM's tiles read (fused_gemm_tiled_block): they use it while it is in cache, and copy nothing. A 1x1
 * stride-1 unpadded conv reads its input rows directly, and so does a shallow one (a network's stem, 3 input
 * channels) for the output pixels whose window is inside.
 */
#include "../f32-conv/im2col.h"
#include "../f32-gemm/gemm.h"
#include "../f32-gemm/gemm_direct_ukernel.h"
#include "fused.h"

/* Output pixels per block: each block streams all of the packed weights (for deep kernels, 3x3x1024 inputs, tens
 * of megabytes), and holds one k block of its im2col rows (FUSED_A_STRIDE floats each) and its output rows in cache. */
#define FUSED_CONV_BLOCK_PIXELS 128

static int is_direct(const sepconv_conv_geometry* g) {
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
         g->pad_left == 0 && g->pad_bottom == 0 && g->pad_right == 0;
}

static int kdim_of(const sepconv_conv_geometry* g) { return g->k_h * g->k_w * (g->in_c / g->groups); }

/* Floats per kernel row up to which windows are read in place: at such depths im2col costs more than the product. */
#define WINDOW_RUN_MAX 32

static int windows_in_place(const sepconv_conv_geometry* g) {
  return g->groups == 1 && g->dilation_w == 1 && g->k_w * g->in_c <= WINDOW_RUN_MAX && kdim_of(g) <= GEMM_KC &&
         !is_direct(g);
}

static int total_pixels(const sepconv_conv_geometry* g) { return g->batch * g->out_h * g->out_w; }

static int block_pixels(const sepconv_conv_geometry* g) {
  return imax(imin(FUSED_CONV_BLOCK_PIXELS, total_pixels(g)), 1);
}

static size_t group_packed_size(const sepconv_conv_geometry* g) {
  return f32_gemm_packed_b_size(kdim_of(g), g->out_c / g->groups);
}

size_t sepconv_fused_conv2d_packed_size(const sepconv_conv_geometry* g) {
  return group_packed_size(g) * (size_t)g->groups;
}

/* As fused_gemm_tiled_block reads them (by k blocks), or fused_gemm_rows for a 1x1 conv (panels of all of k); the
 * two are the same when k fits one block, as for the convs whose windows are read in place. */
void sepconv_fused_conv2d_pack(const float* w, float* packed, const sepconv_conv_geometry* g) {
  const int cout_g = g->out_c / g->groups;
  for (int group = 0; group < g->groups; group++) {
    const float* wg = w + (size_t)group * cout_g;
    float* out = packed + (size_t)group * group_packed_size(g);
    if (is_direct(g)) f32_gemm_pack_b(kdim_of(g), cout_g, wg, (size_t)g->out_c, 0, out);
    else fused_gemm_pack_tiled(wg, out, kdim_of(g), cout_g, (size_t)g->out_c);
  }
}

size_t sepconv_fused_conv2d_workspace(const sepconv_conv_geometry* g) {
  return is_direct(g) ? fused_gemm_a_block_size() : (size_t)block_pixels(g) * FUSED_A_STRIDE;
}

/* Output pixels [p0, p0 + count) through im2col (or straight from x when the conv is 1x1), block by block. */
static void conv_pixels(const float* x, const float* packed_w, const float* bias, const float* residual, float* y,
                        const sepconv_conv_geometry* g, const sepconv_epilogue* e, float* workspace, int p0,
                        int count) {
  const int cin_g = g->in_c / g->groups, cout_g = g->out_c / g->groups, kdim = kdim_of(g);
  const int block = block_pixels(g), direct = is_direct(g);
  const size_t ldc = (size_t)g->out_c;
  for (int p = p0; p < p0 + count; p += block) {
    const int m = imin(block, p0 + count - p);
    for (int group = 0; group < g->groups; group++) {
      const size_t at = (size_t)p * ldc + (size_t)group * cout_g;
      const float* w = packed_w + (size_t)group * group_packed_size(g);
      const float* b = bias != NULL ? bias + (size_t)group * cout_g : NULL;
      const float* r = residual != NULL ? residual + at : NULL;
      if (direct) {
        fused_gemm_rows(m, cout_g, kdim, x + (size_t)p * g->in_c + (size_t)group * cin_g, (size_t)g->in_c, NULL, w, b,
                        y + at, ldc, r, ldc, e, workspace);
        continue;
      }
      for (int k0 = 0; k0 < kdim; k0 += GEMM_KC) {
        f32_im2col_columns(x, g, group, p, m, (size_t)k0, (size_t)imin(kdim, k0 + GEMM_KC), workspace, FUSED_A_STRIDE);
        fused_gemm_tiled_block(m, cout_g, kdim, k0, workspace, w, b, y + at, ldc, r, ldc, e);
      }
    }
  }
}

/* Output pixels [ow0, ow0 + count) of row oh of image n, all with their window inside x, read in place. */
static void conv_windows(const float* x, const float* packed_w, const float* bias, const float* residual, float* y,
                         const sepconv_conv_geometry* g, const sepconv_epilogue* e, int n, int oh, int ow0,
                         int count) {
  const size_t C = (size_t)g->in_c, ldc = (size_t)g->out_c, kdim = (size_t)kdim_of(g);
  const size_t row_stride = (size_t)g->stride_w * C, segment_stride = (size_t)g->dilation_h * g->in_w * C;
  const int ih0 = oh * g->stride_h - g->pad_top, iw0 = ow0 * g->stride_w - g->pad_left;
  const float* a = x + (((size_t)n * g->in_h + ih0) * g->in_w + iw0) * C;
  const size_t at = (((size_t)n * g->out_h + oh) * g->out_w + ow0) * ldc;
  for (int j0 = 0; j0 < g->out_c; j0 += GEMM_NR) {
    const int cols = imin(GEMM_NR, g->out_c - j0);
    const float* bias_j = bias != NULL ? bias + j0 : NULL;
    for (int r0 = 0; r0 < count; r0 += GEMM_MR) {
      const float* ar = a + (size_t)r0 * row_stride;
      float* tile = y + at + (size_t)r0 * ldc + j0;
      const int rows = imin(GEMM_MR, count - r0);
      if (cols <= VF_LANES)
        gemm_ukernel_windows(1, g->k_h, (size_t)g->k_w * C, ar, row_stride, segment_stride, packed_w + (size_t)j0 * kdim,
                             tile, ldc, rows, cols, bias_j);
      else
        gemm_ukernel_windows(2, g->k_h, (size_t)g->k_w * C, ar, row_stride, segment_stride, packed_w + (size_t)j0 * kdim,
                             tile, ldc, rows, cols, bias_j);
    }
  }
  fused_epilogue(y + at, ldc, count, g->out_c, residual != NULL ? residual + at : NULL, ldc, e);
}

void sepconv_fused_conv2d(const float* x, const float* packed_w, const float* bias, const float* residual,
                          float* y, const sepconv_conv_geometry* g, const sepconv_epilogue* e, float* workspace) {
  if (!windows_in_place(g)) {
    conv_pixels(x, packed_w, bias, residual, y, g, e, workspace, 0, total_pixels(g));
    return;
  }
  /* Columns [lo, hi) have their window inside horizontally; rows whose kernel rows are all inside use them. */
  const int lo = imin(g->out_w, imax(0, ceil_div(g->pad_left, g->stride_w)));
  const int hi = imax(lo, imin(g->out_w, floor_div(g->in_w - g->k_w + g->pad_left, g->stride_w) + 1));
  for (int n = 0; n < g->batch; n++)
    for (int oh = 0; oh < g->out_h; oh++) {
      const int row = (n * g->out_h + oh) * g->out_w;
      const int ih0 = oh * g->stride_h - g->pad_top;
      if (ih0 < 0 || ih0 + (g->k_h - 1) * g->dilation_h >= g->in_h || lo == hi) {
        conv_pixels(x, packed_w, bias, residual, y, g, e, workspace, row, g->out_w);
        continue;
      }
      if (lo > 0) conv_pixels(x, packed_w, bias, residual, y, g, e, workspace, row, lo);
      conv_windows(x, packed_w, bias, residual, y, g, e, n, oh, lo, hi - lo);
      if (hi < g->out_w) conv_pixels(x, packed_w, bias, residual, y, g, e, workspace, row + hi, g->out_w - hi);
    }
}
