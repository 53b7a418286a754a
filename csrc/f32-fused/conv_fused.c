/*
 * Standard and grouped convolution for compiled plans: im2col over blocks of output pixels, then the fused GEMM
 * against weights packed once per plan (sepconv_conv2d packs them on every call), with bias, activation and
 * residual applied to each block as it is finished. A 1x1 stride-1 unpadded conv reads its input rows directly.
 */
#include "../f32-conv/im2col.h"
#include "../f32-gemm/gemm.h"
#include "fused.h"

/* im2col floats per block; the pixels per block follow from the kernel's depth, but never fewer than one GEMM row
 * block (GEMM_MC): each block streams all of the packed weights, which for deep kernels (3x3x1024 inputs) are tens
 * of megabytes. */
#define FUSED_CONV_COL_BUDGET (1 << 16)

static int is_direct(const sepconv_conv_geometry* g) {
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
         g->pad_left == 0 && g->pad_bottom == 0 && g->pad_right == 0;
}

static int kdim_of(const sepconv_conv_geometry* g) { return g->k_h * g->k_w * (g->in_c / g->groups); }

static int total_pixels(const sepconv_conv_geometry* g) { return g->batch * g->out_h * g->out_w; }

static int block_pixels(const sepconv_conv_geometry* g) {
  const int rows = imax(FUSED_CONV_COL_BUDGET / imax(kdim_of(g), 1), GEMM_MC);
  return imax(imin(rows, total_pixels(g)), 1);
}

static size_t group_packed_size(const sepconv_conv_geometry* g) {
  return f32_gemm_packed_b_size(kdim_of(g), g->out_c / g->groups);
}

size_t sepconv_fused_conv2d_packed_size(const sepconv_conv_geometry* g) {
  return group_packed_size(g) * (size_t)g->groups;
}

void sepconv_fused_conv2d_pack(const float* w, float* packed, const sepconv_conv_geometry* g) {
  const int cout_g = g->out_c / g->groups;
  for (int group = 0; group < g->groups; group++)
    f32_gemm_pack_b(kdim_of(g), cout_g, w + (size_t)group * cout_g, (size_t)g->out_c, 0,
                    packed + (size_t)group * group_packed_size(g));
}

size_t sepconv_fused_conv2d_workspace(const sepconv_conv_geometry* g) {
  const size_t col = is_direct(g) ? 0 : round_up((size_t)block_pixels(g) * (size_t)kdim_of(g), VF_LANES);
  return f32_gemm_a_pack_size() + col;
}

void sepconv_fused_conv2d(const float* x, const float* packed_w, const float* bias, const float* residual,
                          float* y, const sepconv_conv_geometry* g, const sepconv_epilogue* e, float* workspace) {
  const int cin_g = g->in_c / g->groups, cout_g = g->out_c / g->groups, kdim = kdim_of(g);
  const int pixels = total_pixels(g), block = block_pixels(g), direct = is_direct(g);
  float* a_pack = workspace;
  float* col = a_pack + f32_gemm_a_pack_size();
  const size_t ldc = (size_t)g->out_c;
  for (int p0 = 0; p0 < pixels; p0 += block) {
    const int m = imin(block, pixels - p0);
    for (int group = 0; group < g->groups; group++) {
      const float* a = col;
      size_t lda = (size_t)kdim;
      if (direct) {
        a = x + (size_t)p0 * g->in_c + (size_t)group * cin_g;
        lda = (size_t)g->in_c;
      } else {
        f32_im2col(x, g, group, p0, m, col);
      }
      const size_t at = (size_t)p0 * ldc + (size_t)group * cout_g;
      fused_gemm_rows(m, cout_g, kdim, a, lda, NULL, packed_w + (size_t)group * group_packed_size(g),
                      bias != NULL ? bias + (size_t)group * cout_g : NULL, y + at, ldc,
                      residual != NULL ? residual + at : NULL, ldc, e, a_pack);
    }
  }
}
