/*
 * Average pooling over NHWC, vectorised over channels, matching src/backend/js/pool.ts: the divisor counts the real
 * cells of the window, or kH*kW when count_include_pad. The backward pass spreads dy / divisor over the window.
 */
#include "../common.h"

/* Calls BODY for each output pixel with its clipped window [h0,h1) x [w0,w1), divisor and output offset o. */
#define FOR_EACH_WINDOW(g, count_include_pad, BODY)                                             \
  for (int n = 0; n < (g)->batch; n++)                                                          \
    for (int oh = 0; oh < (g)->out_h; oh++) {                                                   \
      int h0, h1;                                                                               \
      clip_window(oh * (g)->stride_h - (g)->pad_top, (g)->k_h, (g)->in_h, &h0, &h1);            \
      for (int ow = 0; ow < (g)->out_w; ow++) {                                                 \
        int w0, w1;                                                                             \
        clip_window(ow * (g)->stride_w - (g)->pad_left, (g)->k_w, (g)->in_w, &w0, &w1);         \
        const float divisor = (float)((count_include_pad) ? (g)->k_h * (g)->k_w : (h1 - h0) * (w1 - w0)); \
        const size_t o = (((size_t)n * (g)->out_h + oh) * (g)->out_w + ow) * (g)->channels;     \
        BODY                                                                                    \
      }                                                                                         \
    }

/* Offset of input pixel (n, h, w), channel 0. */
#define PIXEL(g, n, h, w) ((((size_t)(n) * (g)->in_h + (h)) * (g)->in_w + (w)) * (g)->channels)

void sepconv_avg_pool2d(const float* x, float* y, const sepconv_pool_geometry* g, int32_t count_include_pad) {
  const int C = g->channels;
  FOR_EACH_WINDOW(g, count_include_pad, {
    const vf vdiv = vf_splat(divisor);
    int c = 0;
    for (; c + VF_LANES <= C; c += VF_LANES) {
      vf s = vf_zero();
      for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) s = vf_add(s, vf_load(x + PIXEL(g, n, h, w) + c));
      vf_store(y + o + c, vf_div(s, vdiv));
    }
    for (; c < C; c++) {
      float s = 0.0f;
      for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) s += x[PIXEL(g, n, h, w) + c];
      y[o + c] = s / divisor;
    }
  })
}

void sepconv_avg_pool2d_backward(const float* dy, float* dx, const sepconv_pool_geometry* g,
                                 int32_t count_include_pad) {
  const int C = g->channels;
  fill_zero(dx, (size_t)g->batch * g->in_h * g->in_w * C);
  FOR_EACH_WINDOW(g, count_include_pad, {
    const vf vdiv = vf_splat(divisor);
    int c = 0;
    for (; c + VF_LANES <= C; c += VF_LANES) {
      const vf share = vf_div(vf_load(dy + o + c), vdiv);
      for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) {
          float* p = dx + PIXEL(g, n, h, w) + c;
          vf_store(p, vf_add(vf_load(p), share));
        }
    }
    for (; c < C; c++) {
      const float share = dy[o + c] / divisor;
      for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) dx[PIXEL(g, n, h, w) + c] += share;
    }
  })
}
