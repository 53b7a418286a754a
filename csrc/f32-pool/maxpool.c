/*
 * Max pooling over NHWC, vectorised over channels, matching src/backend/js/pool.ts: windows are clipped to the
 * input (padding never wins), the first maximum wins ties, and a NaN wins outright (the first one seen) so the
 * numerics check can see it. argmax holds the flat input index of each output's winner.
 */
#include "../common.h"

void sepconv_max_pool2d(const float* x, float* y, int32_t* argmax, const sepconv_pool_geometry* g) {
  const int C = g->channels;
  const vf neg_inf = vf_splat(-__builtin_inff());
  for (int n = 0; n < g->batch; n++)
    for (int oh = 0; oh < g->out_h; oh++) {
      int h0, h1;
      clip_window(oh * g->stride_h - g->pad_top, g->k_h, g->in_h, &h0, &h1);
      for (int ow = 0; ow < g->out_w; ow++) {
        int w0, w1;
        clip_window(ow * g->stride_w - g->pad_left, g->k_w, g->in_w, &w0, &w1);
        const size_t o = (((size_t)n * g->out_h + oh) * g->out_w + ow) * C;
        const int32_t first = (int32_t)((((size_t)n * g->in_h + h0) * g->in_w + w0) * C);
        int c = 0;
        for (; c + VF_LANES <= C; c += VF_LANES) {
          vf best = neg_inf;
          vi best_index = vi_add(vi_splat(first + c), vi_lanes());
          for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++) {
              const int32_t i = (int32_t)((((size_t)n * g->in_h + h) * g->in_w + w) * C) + c;
              const vf v = vf_load(x + i);
              const vmask take = vmask_or(vf_gt(v, best), vmask_andnot(vf_is_nan(v), vf_is_nan(best)));
              best = vf_select(take, v, best);
              best_index = vi_select(take, vi_add(vi_splat(i), vi_lanes()), best_index);
            }
          vf_store(y + o + c, best);
          vi_store(argmax + o + c, best_index);
        }
        for (; c < C; c++) {
          float best = -__builtin_inff();
          int32_t best_index = first + c;
          for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++) {
              const int32_t i = (int32_t)((((size_t)n * g->in_h + h) * g->in_w + w) * C) + c;
              const float v = x[i];
              if (v > best || (v != v && best == best)) {
                best = v;
                best_index = i;
              }
            }
          y[o + c] = x[best_index];
          argmax[o + c] = best_index;
        }
      }
    }
}

void sepconv_max_pool2d_backward(const float* dy, const int32_t* argmax, float* dx, const sepconv_pool_geometry* g) {
  const size_t outputs = (size_t)g->batch * g->out_h * g->out_w * g->channels;
  fill_zero(dx, (size_t)g->batch * g->in_h * g->in_w * g->channels);
  for (size_t o = 0; o < outputs; o++) dx[argmax[o]] += dy[o];
}
