/*
 * Template for the specialised depthwise kernels (square K, stride S, dilation 1, multiplier 1), instantiated with
 * constant K and S so the tap loops unroll.
 *
 * Weights are first packed per channel vector ([bias, tap 0 .. tap K*K-1] per block), so a block's weights sit at
 * constant offsets from one pointer. When C is not a multiple of VF_LANES the last block overlaps the one before
 * (channels C - VF_LANES .. C - 1, some computed twice, alike), so no channel takes a scalar path (V3-Small's 72,
 * 88 and 120 channels on AVX-512); only C < VF_LANES does. Each output row is swept pixel by pixel with channels
 * innermost (sequential loads, no cache-set conflicts for wide channel counts). Interior pixels go two at a time,
 * sharing each weight load, or on x86 four at a time, sharing the input columns too. Edge pixels skip the taps that
 * fall in the left/right padding; rows in the top/bottom padding read a zero row instead.
 *
 * Measured in V8 (MobileNet shapes): this beats keeping the K*K weights in registers while sweeping a row per
 * channel vector (column stride C*4 bytes aliases cache sets for C >= 256, and stride 2 thrashes L1), and beats
 * loading each shared input column once (more live vectors, which V8 spills; x86's AVX2 and AVX-512 registers hold
 * them, and there four pixels sharing columns are 10-25% faster).
 */
#ifndef SEPCONV_F32_DWCONV_KXK_M1_H
#define SEPCONV_F32_DWCONV_KXK_M1_H

#include "dwconv.h"

#define DWCONV_KMAX 5

/* Floats of workspace the specialised kernels need: a zero input row, then the packed weights. */
static inline size_t dwconv_kxk_workspace(const sepconv_conv_geometry* g) {
  return round_up((size_t)g->in_w * g->in_c, VF_LANES) + (size_t)(g->k_h * g->k_w + 1) * round_up((size_t)g->in_c, VF_LANES);
}

/* The channel block that starts at c0 (a multiple of VF_LANES below C) starts at channel block_at(c0, c_last). */
static inline int block_at(int c0, int c_last) { return c0 < c_last ? c0 : c_last; }

/* The range outputs are clipped to as they are stored (dwconv_kxk_run). */
typedef struct dwconv_clip {
  vf lo, hi;
} dwconv_clip;

static inline __attribute__((always_inline)) void dwconv_store(float* p, vf v, const dwconv_clip clip) {
  vf_store(p, vf_pmin(vf_pmax(v, clip.lo), clip.hi));
}

static inline __attribute__((always_inline)) void dwconv_kxk_pack(const int K, const float* w, const float* bias,
                                                                int C, float* packed) {
  for (int c0 = 0; c0 < C; c0 += VF_LANES) {
    const int c = block_at(c0, C - VF_LANES);
    float* out = packed + (size_t)(c0 / VF_LANES) * (K * K + 1) * VF_LANES;
    vf_store(out, bias != NULL ? vf_load(bias + c) : vf_zero());
    for (int t = 0; t < K * K; t++) vf_store(out + (t + 1) * VF_LANES, vf_load(w + (size_t)t * C + c));
  }
}

/* One interior pixel at input column offset `at` of each row pointer. */
static inline __attribute__((always_inline)) void dwconv_kxk_interior1(const int K, const float* const* rows,
                                                                     size_t at, size_t C, const float* packed,
                                                                     float* yp, const dwconv_clip clip) {
  const float* wp = packed;
  for (int c0 = 0; c0 < (int)C; c0 += VF_LANES, wp += (K * K + 1) * VF_LANES) {
    const size_t c = (size_t)block_at(c0, (int)C - VF_LANES);
    vf acc = vf_load(wp);
#pragma GCC unroll 5
    for (int kh = 0; kh < K; kh++)
#pragma GCC unroll 5
      for (int kw = 0; kw < K; kw++)
        acc = vf_muladd(vf_load(rows[kh] + at + (size_t)kw * C + c), vf_load(wp + (kh * K + kw + 1) * VF_LANES), acc);
    dwconv_store(yp + c, acc, clip);
  }
}

/* Two neighbouring interior pixels: each weight vector is loaded once for both. */
static inline __attribute__((always_inline)) void dwconv_kxk_interior2(const int K, const int S,
                                                                     const float* const* rows, size_t at, size_t C,
                                                                     const float* packed, float* yp,
                                                                     const dwconv_clip clip) {
  const size_t next = (size_t)S * C;
  const float* wp = packed;
  for (int c0 = 0; c0 < (int)C; c0 += VF_LANES, wp += (K * K + 1) * VF_LANES) {
    const size_t c = (size_t)block_at(c0, (int)C - VF_LANES);
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
    dwconv_store(yp + c, acc0, clip);
    dwconv_store(yp + C + c, acc1, clip);
  }
}

#if VF_LANES >= 8
/*
 * Four neighbouring interior pixels (x86 only: enough registers): each input vector of a kernel row is loaded once
 * for the four windows that share it (K + 3S loads instead of 4K), each weight once. Same sums in the same order
 * as dwconv_kxk_interior1.
 */
static inline __attribute__((always_inline)) void dwconv_kxk_interior4(const int K, const int S,
                                                                     const float* const* rows, size_t at, size_t C,
                                                                     const float* packed, float* yp,
                                                                     const dwconv_clip clip) {
  const float* wp = packed;
  for (int c0 = 0; c0 < (int)C; c0 += VF_LANES, wp += (K * K + 1) * VF_LANES) {
    const size_t c = (size_t)block_at(c0, (int)C - VF_LANES);
    vf acc[4];
    acc[0] = acc[1] = acc[2] = acc[3] = vf_load(wp);
#pragma GCC unroll 5
    for (int kh = 0; kh < K; kh++) {
      const float* xp = rows[kh] + at + c;
      vf x[DWCONV_KMAX + 6];
#pragma GCC unroll 11
      for (int i = 0; i < K + 3 * S; i++) x[i] = vf_load(xp + (size_t)i * C);
#pragma GCC unroll 5
      for (int kw = 0; kw < K; kw++) {
        const vf wv = vf_load(wp + (kh * K + kw + 1) * VF_LANES);
        for (int q = 0; q < 4; q++) acc[q] = vf_muladd(x[kw + q * S], wv, acc[q]);
      }
    }
    for (int q = 0; q < 4; q++) dwconv_store(yp + (size_t)q * C + c, acc[q], clip);
  }
}
#endif

/* One pixel whose window crosses the left or right edge: taps outside the input are skipped. */
static inline __attribute__((always_inline)) void dwconv_kxk_edge(const int K, const float* const* rows, int iw0,
                                                                int W, size_t C, const float* packed, float* yp,
                                                                const dwconv_clip clip) {
  const float* wp = packed;
  for (int c0 = 0; c0 < (int)C; c0 += VF_LANES, wp += (K * K + 1) * VF_LANES) {
    const size_t c = (size_t)block_at(c0, (int)C - VF_LANES);
    vf acc = vf_load(wp);
    for (int kw = 0; kw < K; kw++) {
      const int iw = iw0 + kw;
      if (iw < 0 || iw >= W) continue;
      for (int kh = 0; kh < K; kh++)
        acc = vf_muladd(vf_load(rows[kh] + (size_t)iw * C + c), vf_load(wp + (kh * K + kw + 1) * VF_LANES), acc);
    }
    dwconv_store(yp + c, acc, clip);
  }
}

static inline __attribute__((always_inline)) void dwconv_kxk_m1(const int K, const int S, const float* x,
                                                                const float* w, const float* bias, float* y,
                                                                const sepconv_conv_geometry* geometry,
                                                                float* workspace, const dwconv_clip clip) {
  const sepconv_conv_geometry g = *geometry; /* a local copy: stores to y cannot alias it, so no reloads */
  const size_t C = (size_t)g.in_c;
  const int out_w = g.out_w;
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
        dwconv_kxk_edge(K, rows, ow * S - g.pad_left, g.in_w, C, packed, yrow + (size_t)ow * C, clip);
      int ow = ow_lo;
#if VF_LANES >= 8
      /* Stride 2 keeps K + 6 inputs live (AVX-512's 32 registers hold them) and gains only at 5x5, where the 3x3
       * windows' inputs are already read about once. */
      if (S == 1 || (VF_LANES >= 16 && K == 5))
        for (; ow + 4 <= ow_hi; ow += 4)
          dwconv_kxk_interior4(K, S, rows, (size_t)(ow * S - g.pad_left) * C, C, packed, yrow + (size_t)ow * C, clip);
#endif
      for (; ow + 2 <= ow_hi; ow += 2)
        dwconv_kxk_interior2(K, S, rows, (size_t)(ow * S - g.pad_left) * C, C, packed, yrow + (size_t)ow * C, clip);
      if (ow < ow_hi)
        dwconv_kxk_interior1(K, rows, (size_t)(ow * S - g.pad_left) * C, C, packed, yrow + (size_t)ow * C, clip);
      for (ow = ow_hi; ow < out_w; ow++)
        dwconv_kxk_edge(K, rows, ow * S - g.pad_left, g.in_w, C, packed, yrow + (size_t)ow * C, clip);
    }
}

/*
 * y = depthwise(x) + bias, clipped to [clip_range[0], clip_range[1]] as it is stored when clip_range is not NULL
 * (a fused ReLU6: no second pass over y); without one the range is [-inf, inf], which changes no value.
 */
static inline __attribute__((always_inline)) void dwconv_kxk_run(const int K, const int S, const float* x,
                                                                 const float* w, const float* bias, float* y,
                                                                 const sepconv_conv_geometry* g, float* workspace,
                                                                 const float* clip_range) {
  if (g->in_c < VF_LANES) {
    f32_dwconv_generic(x, w, bias, y, g, 0, g->in_c, clip_range);
    return;
  }
  const float inf = __builtin_inff();
  const dwconv_clip clip = {vf_splat(clip_range != NULL ? clip_range[0] : -inf),
                            vf_splat(clip_range != NULL ? clip_range[1] : inf)};
  dwconv_kxk_m1(K, S, x, w, bias, y, g, workspace, clip);
}

#endif
