/*
 * Template for the specialised depthwise kernels (square K, stride S, dilation 1, multiplier 1), instantiated with
 * constant K and S so the tap loops unroll.
 *
 * Weights are first packed per channel vector ([bias, tap 0 .. tap K*K-1] per block), so a block's weights sit at
 * constant offsets from one pointer. Each output row is swept pixel by pixel with channels innermost (sequential
 * loads, no cache-set conflicts for wide channel counts). Interior pixels go two at a time, sharing each weight
 * load. Edge pixels skip the taps that fall in the left/right padding; rows in the top/bottom padding read a zero
 * row instead.
 *
 * Measured in V8 (MobileNet shapes): this beats keeping the K*K weights in registers while sweeping a row per
 * channel vector (column stride C*4 bytes aliases cache sets for C >= 256, and stride 2 thrashes L1), and beats
 * loading each shared input column once (more live vectors, which V8 spills).
 */
#ifndef SEPCONV_F32_DWCONV_KXK_M1_H
#define SEPCONV_F32_DWCONV_KXK_M1_H

#include "dwconv.h"

#define DWCONV_KMAX 5

/* Floats of workspace the specialised kernels need: a zero input row, then the packed weights. */
static inline size_t dwconv_kxk_workspace(const sepconv_conv_geometry* g) {
  return round_up((size_t)g->in_w * g->in_c, VF_LANES) + (size_t)(g->k_h * g->k_w + 1) * g->in_c;
}

static inline __attribute__((always_inline)) void dwconv_kxk_pack(const int K, const float* w, const float* bias,
                                                                int C, float* packed) {
  const int c_vec = C - C % VF_LANES;
  for (int c = 0; c < c_vec; c += VF_LANES) {
    float* out = packed + (size_t)(c / VF_LANES) * (K * K + 1) * VF_LANES;
    vf_store(out, bias != NULL ? vf_load(bias + c) : vf_zero());
    for (int t = 0; t < K * K; t++) vf_store(out + (t + 1) * VF_LANES, vf_load(w + (size_t)t * C + c));
  }
}

/* One interior pixel at input column offset `at` of each row pointer. */
static inline __attribute__((always_inline)) void dwconv_kxk_interior1(const int K, const float* const* rows,
                                                                     size_t at, size_t C, int c_vec,
                                                                     const float* packed, float* yp) {
  const float* wp = packed;
  for (int c = 0; c < c_vec; c += VF_LANES, wp += (K * K + 1) * VF_LANES) {
    vf acc = vf_load(wp);
#pragma GCC unroll 5
    for (int kh = 0; kh < K; kh++)
#pragma GCC unroll 5
      for (int kw = 0; kw < K; kw++)
        acc = vf_muladd(vf_load(rows[kh] + at + (size_t)kw * C + c), vf_load(wp + (kh * K + kw + 1) * VF_LANES), acc);
    vf_store(yp + c, acc);
  }
}

/* Two neighbouring interior pixels: each weight vector is loaded once for both. */
static inline __attribute__((always_inline)) void dwconv_kxk_interior2(const int K, const int S,
                                                                     const float* const* rows, size_t at, size_t C,
                                                                     int c_vec, const float* packed, float* yp) {
  const size_t next = (size_t)S * C;
  const float* wp = packed;
  for (int c = 0; c < c_vec; c += VF_LANES, wp += (K * K + 1) * VF_LANES) {
    vf acc0 = vf_load(wp);
    vf acc1 = acc0;
#pragma GCC unroll 5
    for (int kh = 0; kh < K; kh++)
#pragma GCC unroll 5
      for (int kw = 0; kw < K; kw++) {
        const vf wv = vf_load(wp + (kh * K + kw + 1) * VF_LANES);
        const float* xp = rows[kh] + at + (size_t)kw * C + c;
        acc0 = vf_muladd(vf_load(xp), wv, acc0);
        acc1 = vf_muladd(vf_load(xp + next), wv, acc1);
      }
    vf_store(yp + c, acc0);
    vf_store(yp + C + c, acc1);
  }
}

/* One pixel whose window crosses the left or right edge: taps outside the input are skipped. */
static inline __attribute__((always_inline)) void dwconv_kxk_edge(const int K, const float* const* rows, int iw0,
                                                                int W, size_t C, int c_vec, const float* packed,
                                                                float* yp) {
  const float* wp = packed;
  for (int c = 0; c < c_vec; c += VF_LANES, wp += (K * K + 1) * VF_LANES) {
    vf acc = vf_load(wp);
    for (int kw = 0; kw < K; kw++) {
      const int iw = iw0 + kw;
      if (iw < 0 || iw >= W) continue;
      for (int kh = 0; kh < K; kh++)
        acc = vf_muladd(vf_load(rows[kh] + (size_t)iw * C + c), vf_load(wp + (kh * K + kw + 1) * VF_LANES), acc);
    }
    vf_store(yp + c, acc);
  }
}

static inline __attribute__((always_inline)) void dwconv_kxk_m1(const int K, const int S, const float* x,
                                                                const float* w, const float* bias, float* y,
                                                                const sepconv_conv_geometry* geometry,
                                                                float* workspace) {
  const sepconv_conv_geometry g = *geometry; /* a local copy: stores to y cannot alias it, so no reloads */
  const size_t C = (size_t)g.in_c;
  const int out_w = g.out_w;
  const int c_vec = g.in_c - g.in_c % VF_LANES;
  float* zero_row = workspace;
  float* packed = workspace + round_up((size_t)g.in_w * C, VF_LANES);
  fill_zero(zero_row, (size_t)g.in_w * C);
  dwconv_kxk_pack(K, w, bias, g.in_c, packed);
  /* Columns whose whole window lies inside the input: ow*S - pad_left >= 0 and ow*S - pad_left + K - 1 < W. */
  const int ow_lo = imin(out_w, ceil_div(g.pad_left, S));
  const int ow_hi = imax(ow_lo, imin(out_w, floor_div(g.in_w - K + g.pad_left, S) + 1));
  for (int n = 0; n < g.batch; n++)
    for (int oh = 0; oh < g.out_h; oh++) {
      const float* rows[DWCONV_KMAX];
      for (int kh = 0; kh < K; kh++) {
        const int ih = oh * S - g.pad_top + kh;
        rows[kh] = ih >= 0 && ih < g.in_h ? x + ((size_t)n * g.in_h + ih) * g.in_w * C : zero_row;
      }
      float* yrow = y + ((size_t)n * g.out_h + oh) * out_w * C;
      for (int ow = 0; ow < ow_lo; ow++)
        dwconv_kxk_edge(K, rows, ow * S - g.pad_left, g.in_w, C, c_vec, packed, yrow + (size_t)ow * C);
      int ow = ow_lo;
      for (; ow + 2 <= ow_hi; ow += 2)
        dwconv_kxk_interior2(K, S, rows, (size_t)(ow * S - g.pad_left) * C, C, c_vec, packed, yrow + (size_t)ow * C);
      if (ow < ow_hi)
        dwconv_kxk_interior1(K, rows, (size_t)(ow * S - g.pad_left) * C, C, c_vec, packed, yrow + (size_t)ow * C);
      for (ow = ow_hi; ow < out_w; ow++)
        dwconv_kxk_edge(K, rows, ow * S - g.pad_left, g.in_w, C, c_vec, packed, yrow + (size_t)ow * C);
    }
  if (c_vec < g.in_c) f32_dwconv_generic(x, w, bias, y, geometry, c_vec, g.in_c);
}

#endif
