/*
 * Depthwise backward kernels.
 * Input gradient, stride 1 with a specialised K: a forward depthwise conv of dy with the kernel flipped and the
 * padding mirrored (dx[ih] = sum_kh dy[ih + pad_top - kh] w[kh] = sum_j dy[ih - (K-1-pad_top) + j] w[K-1-j]),
 * so it runs at the forward kernel's speed.
 * Input gradient, otherwise: gathered per input pixel (each dx written once): dx[ih, iw, c] = sum over the taps
 * (kh, kw) whose output position oh = (ih + pad_top - kh*dilation) / stride is whole and in range, of
 * dy[oh, ow, c*M+m] * w[kh, kw, c*M+m] over m.
 * Filter gradient: per (output row, tap), the output columns whose tap lands inside the input form one contiguous
 * range, so the sum over them runs without bounds checks in a register and is added to dw once.
 */
#include "dwconv_kxk_m1.h"

/* The output position that tap k of an input position i comes from, or -1 if none. */
static inline int source_output(int i, int k, int stride, int pad, int dilation, int out) {
  const int t = i + pad - k * dilation;
  if (t < 0 || t % stride != 0 || t / stride >= out) return -1;
  return t / stride;
}

/*
 * The forward geometry that maps dy to dx for a stride-1 specialised kernel, or 0 when the flip does not apply
 * (other strides, multiplier > 1, or a pad of K or more, which would mirror to a negative pad).
 */
static int flipped_geometry(const sepconv_conv_geometry* g, sepconv_conv_geometry* flipped) {
  if (g->stride_h != 1 || f32_dwconv_specialised(g) == NULL || g->pad_top >= g->k_h || g->pad_left >= g->k_w)
    return 0;
  *flipped = *g;
  flipped->in_h = g->out_h;
  flipped->in_w = g->out_w;
  flipped->out_h = g->in_h;
  flipped->out_w = g->in_w;
  flipped->pad_top = g->k_h - 1 - g->pad_top;
  flipped->pad_left = g->k_w - 1 - g->pad_left;
  flipped->pad_bottom = g->in_h - g->out_h + g->pad_top;
  flipped->pad_right = g->in_w - g->out_w + g->pad_left;
  return 1;
}

size_t sepconv_depthwise_conv2d_backward_input_workspace(const sepconv_conv_geometry* g) {
  sepconv_conv_geometry flipped;
  if (!flipped_geometry(g, &flipped)) return 0;
  return round_up((size_t)g->k_h * g->k_w * g->out_c, VF_LANES) + dwconv_kxk_workspace(&flipped);
}

void sepconv_depthwise_conv2d_backward_input(const float* dy, const float* w, float* dx,
                                             const sepconv_conv_geometry* g, float* workspace) {
  sepconv_conv_geometry flipped;
  if (flipped_geometry(g, &flipped)) {
    const size_t taps = (size_t)g->k_h * g->k_w, C = (size_t)g->out_c;
    float* w_flipped = workspace;
    for (size_t t = 0; t < taps; t++)
      for (size_t c = 0; c < C; c++) w_flipped[(taps - 1 - t) * C + c] = w[t * C + c];
    f32_dwconv_specialised(&flipped)(dy, w_flipped, NULL, dx, &flipped, workspace + round_up(taps * C, VF_LANES), NULL);
    return;
  }
  const int C = g->in_c, OC = g->out_c, M = OC / C;
  for (int n = 0; n < g->batch; n++)
    for (int ih = 0; ih < g->in_h; ih++)
      for (int iw = 0; iw < g->in_w; iw++) {
        float* dxp = dx + (((size_t)n * g->in_h + ih) * g->in_w + iw) * C;
        fill_zero(dxp, (size_t)C);
        for (int kh = 0; kh < g->k_h; kh++) {
          const int oh = source_output(ih, kh, g->stride_h, g->pad_top, g->dilation_h, g->out_h);
          if (oh < 0) continue;
          for (int kw = 0; kw < g->k_w; kw++) {
            const int ow = source_output(iw, kw, g->stride_w, g->pad_left, g->dilation_w, g->out_w);
            if (ow < 0) continue;
            const float* dyp = dy + (((size_t)n * g->out_h + oh) * g->out_w + ow) * OC;
            const float* wp = w + ((size_t)kh * g->k_w + kw) * OC;
            if (M == 1) {
              int c = 0;
              for (; c + VF_LANES <= C; c += VF_LANES)
                vf_store(dxp + c, vf_muladd(vf_load(dyp + c), vf_load(wp + c), vf_load(dxp + c)));
              for (; c < C; c++) dxp[c] += dyp[c] * wp[c];
            } else {
              for (int c = 0; c < C; c++)
                for (int m = 0; m < M; m++) dxp[c] += dyp[c * M + m] * wp[c * M + m];
            }
          }
        }
      }
}

void sepconv_depthwise_conv2d_backward_filter(const float* x, const float* dy, float* dw,
                                              const sepconv_conv_geometry* g) {
  const int C = g->in_c, OC = g->out_c, M = OC / C;
  fill_zero(dw, (size_t)g->k_h * g->k_w * OC);
  for (int n = 0; n < g->batch; n++)
    for (int oh = 0; oh < g->out_h; oh++) {
      const float* dyrow = dy + ((size_t)n * g->out_h + oh) * g->out_w * OC;
      for (int kh = 0; kh < g->k_h; kh++) {
        const int ih = oh * g->stride_h - g->pad_top + kh * g->dilation_h;
        if (ih < 0 || ih >= g->in_h) continue;
        const float* xrow = x + ((size_t)n * g->in_h + ih) * g->in_w * C;
        for (int kw = 0; kw < g->k_w; kw++) {
          const int offset = kw * g->dilation_w - g->pad_left;
          int ow_lo, ow_hi;
          valid_outputs(offset, g->stride_w, g->in_w, g->out_w, &ow_lo, &ow_hi);
          if (ow_lo >= ow_hi) continue;
          float* dwt = dw + ((size_t)kh * g->k_w + kw) * OC;
          const size_t x_step = (size_t)g->stride_w * C;
          if (M == 1) {
            int c = 0;
            for (; c + VF_LANES <= C; c += VF_LANES) {
              vf acc = vf_zero();
              const float* xp = xrow + (size_t)(ow_lo * g->stride_w + offset) * C + c;
              for (int ow = ow_lo; ow < ow_hi; ow++, xp += x_step)
                acc = vf_muladd(vf_load(dyrow + (size_t)ow * OC + c), vf_load(xp), acc);
              vf_store(dwt + c, vf_add(vf_load(dwt + c), acc));
            }
            for (; c < C; c++) {
              float acc = 0.0f;
              for (int ow = ow_lo; ow < ow_hi; ow++)
                acc += dyrow[(size_t)ow * OC + c] * xrow[(size_t)(ow * g->stride_w + offset) * C + c];
              dwt[c] += acc;
            }
          } else {
            for (int oc = 0; oc < OC; oc++) {
              float acc = 0.0f;
              for (int ow = ow_lo; ow < ow_hi; ow++)
                acc += dyrow[(size_t)ow * OC + oc] * xrow[(size_t)(ow * g->stride_w + offset) * C + oc / M];
              dwt[oc] += acc;
            }
          }
        }
      }
    }
}
