/*
 * Generic depthwise convolution: any kernel size, stride, dilation and padding. Multiplier 1 is vectorised over
 * channels; a multiplier M > 1 (output channel c*M + m reads input channel c) runs one output channel at a time.
 */
#include "dwconv.h"

/* v clipped to [clip[0], clip[1]] (clip NULL: v), rounding as the fused epilogue's clip does. */
static float clipped(float v, const float* clip) {
  if (clip == NULL) return v;
  v = v < clip[0] ? clip[0] : v;
  return clip[1] < v ? clip[1] : v;
}

/* Multiplier 1, channels [c_begin, c_end) of one output pixel. */
static void pixel_m1(const float* x, const float* w, const float* bias, float* yp, const sepconv_conv_geometry* g,
                     int n, int oh, int ow, int c_begin, int c_end, const float* clip) {
  const int C = g->in_c;
  int c = c_begin;
  for (; c + VF_LANES <= c_end; c += VF_LANES) {
    vf acc = bias != NULL ? vf_load(bias + c) : vf_zero();
    for (int kh = 0; kh < g->k_h; kh++) {
      const int ih = oh * g->stride_h - g->pad_top + kh * g->dilation_h;
      if (ih < 0 || ih >= g->in_h) continue;
      for (int kw = 0; kw < g->k_w; kw++) {
        const int iw = ow * g->stride_w - g->pad_left + kw * g->dilation_w;
        if (iw < 0 || iw >= g->in_w) continue;
        const float* xp = x + (((size_t)n * g->in_h + ih) * g->in_w + iw) * C + c;
        acc = vf_muladd(vf_load(xp), vf_load(w + ((size_t)kh * g->k_w + kw) * C + c), acc);
      }
    }
    if (clip != NULL) acc = vf_pmin(vf_pmax(acc, vf_splat(clip[0])), vf_splat(clip[1]));
    vf_store(yp + c, acc);
  }
  for (; c < c_end; c++) {
    float acc = bias != NULL ? bias[c] : 0.0f;
    for (int kh = 0; kh < g->k_h; kh++) {
      const int ih = oh * g->stride_h - g->pad_top + kh * g->dilation_h;
      if (ih < 0 || ih >= g->in_h) continue;
      for (int kw = 0; kw < g->k_w; kw++) {
        const int iw = ow * g->stride_w - g->pad_left + kw * g->dilation_w;
        if (iw < 0 || iw >= g->in_w) continue;
        acc += x[(((size_t)n * g->in_h + ih) * g->in_w + iw) * C + c] * w[((size_t)kh * g->k_w + kw) * C + c];
      }
    }
    yp[c] = clipped(acc, clip);
  }
}

/* Multiplier M > 1: every output channel of one output pixel. */
static void pixel_multiplier(const float* x, const float* w, const float* bias, float* yp,
                             const sepconv_conv_geometry* g, int n, int oh, int ow, const float* clip) {
  const int M = g->out_c / g->in_c;
  for (int oc = 0; oc < g->out_c; oc++) {
    float acc = bias != NULL ? bias[oc] : 0.0f;
    for (int kh = 0; kh < g->k_h; kh++) {
      const int ih = oh * g->stride_h - g->pad_top + kh * g->dilation_h;
      if (ih < 0 || ih >= g->in_h) continue;
      for (int kw = 0; kw < g->k_w; kw++) {
        const int iw = ow * g->stride_w - g->pad_left + kw * g->dilation_w;
        if (iw < 0 || iw >= g->in_w) continue;
        acc += x[(((size_t)n * g->in_h + ih) * g->in_w + iw) * g->in_c + oc / M] *
               w[((size_t)kh * g->k_w + kw) * g->out_c + oc];
      }
    }
    yp[oc] = clipped(acc, clip);
  }
}

void f32_dwconv_generic(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g,
                        int c_begin, int c_end, const float* clip) {
  const int multiplier_one = g->out_c == g->in_c;
  for (int n = 0; n < g->batch; n++)
    for (int oh = 0; oh < g->out_h; oh++)
      for (int ow = 0; ow < g->out_w; ow++) {
        float* yp = y + (((size_t)n * g->out_h + oh) * g->out_w + ow) * g->out_c;
        if (multiplier_one) pixel_m1(x, w, bias, yp, g, n, oh, ow, c_begin, c_end, clip);
        else pixel_multiplier(x, w, bias, yp, g, n, oh, ow, clip);
      }
}
