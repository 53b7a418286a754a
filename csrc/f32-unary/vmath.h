/*
 * Vector transcendental functions for the activations, accurate to a few float ulps over the ranges the
 * activations use them on (the reference computes in float64 and rounds once).
 *
 * exp: x = n*ln2 + r with |r| <= ln2/2 (ln2 split in two so n*ln2_hi is exact), e^r by its Taylor series to r^7
 * (truncation < 6e-9 relative), times 2^n assembled in the exponent bits. Arguments are clamped to
 * [-87.3, 88.7], where 2^n stays a normal float; below that the result is 0 (the true value is at most a
 * subnormal), so that e.g. swish(-inf) = -inf * 0 = NaN exactly as in the reference.
 * expm1 for 0 <= u < 1: Taylor series to u^10 (truncation < 3e-8 relative), free of the cancellation in exp(u) - 1.
 */
#ifndef SEPCONV_F32_VMATH_H
#define SEPCONV_F32_VMATH_H

#include "../common.h"

VF_INLINE vf vf_exp(vf x) {
  const vmask underflow = vf_lt(x, vf_splat(-87.3f));
  x = vf_pmin(vf_pmax(x, vf_splat(-87.3f)), vf_splat(88.7f));
  const vf n = vf_round(vf_mul(x, vf_splat(1.44269504088896341f)));
  vf r = vf_sub(x, vf_mul(n, vf_splat(0.693145751953125f)));
  r = vf_sub(r, vf_mul(n, vf_splat(1.42860682030941723212e-6f)));
  vf p = vf_splat(1.0f / 5040.0f);
  p = vf_muladd(p, r, vf_splat(1.0f / 720.0f));
  p = vf_muladd(p, r, vf_splat(1.0f / 120.0f));
  p = vf_muladd(p, r, vf_splat(1.0f / 24.0f));
  p = vf_muladd(p, r, vf_splat(1.0f / 6.0f));
  p = vf_muladd(p, r, vf_splat(0.5f));
  p = vf_muladd(p, r, vf_splat(1.0f));
  p = vf_muladd(p, r, vf_splat(1.0f));
  return vf_select(underflow, vf_zero(), vf_mul(p, vf_pow2i(n)));
}

/* e^u - 1 for u >= 0 without cancellation near 0. */
VF_INLINE vf vf_expm1_nonneg(vf u) {
  vf p = vf_splat(1.0f / 3628800.0f);
  p = vf_muladd(p, u, vf_splat(1.0f / 362880.0f));
  p = vf_muladd(p, u, vf_splat(1.0f / 40320.0f));
  p = vf_muladd(p, u, vf_splat(1.0f / 5040.0f));
  p = vf_muladd(p, u, vf_splat(1.0f / 720.0f));
  p = vf_muladd(p, u, vf_splat(1.0f / 120.0f));
  p = vf_muladd(p, u, vf_splat(1.0f / 24.0f));
  p = vf_muladd(p, u, vf_splat(1.0f / 6.0f));
  p = vf_muladd(p, u, vf_splat(0.5f));
  p = vf_muladd(p, u, vf_splat(1.0f));
  const vf small = vf_mul(p, u);
  const vf large = vf_sub(vf_exp(u), vf_splat(1.0f));
  return vf_select(vf_lt(u, vf_splat(1.0f)), small, large);
}

/* e^-|x|: the one exponential the logistic function needs, never overflowing. */
VF_INLINE vf vf_exp_neg_abs(vf x) { return vf_exp(vf_neg(vf_abs(x))); }

/* sigmoid(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0, with e = exp(-|x|). */
VF_INLINE vf vf_sigmoid_from(vf x, vf e) {
  const vf s = vf_div(vf_splat(1.0f), vf_add(vf_splat(1.0f), e));
  return vf_select(vf_ge(x, vf_zero()), s, vf_mul(e, s));
}

/* 1 - sigmoid(x), without cancellation: e/(1+e) for x >= 0, 1/(1+e) for x < 0. */
VF_INLINE vf vf_sigmoid_complement_from(vf x, vf e) {
  const vf s = vf_div(vf_splat(1.0f), vf_add(vf_splat(1.0f), e));
  return vf_select(vf_ge(x, vf_zero()), vf_mul(e, s), s);
}

/*
 * tanh(|x|) = m / (m + 2) with m = expm1(2|x|), and 1 - tanh(|x|) = 2 / (m + 2); 2|x| is capped at 40, past
 * which tanh is 1 in float anyway. Returns tanh(x); *one_minus gets 1 - |tanh(x)|.
 */
VF_INLINE vf vf_tanh_parts(vf x, vf* one_minus) {
  const vf u = vf_pmin(vf_add(vf_abs(x), vf_abs(x)), vf_splat(40.0f));
  const vf m = vf_expm1_nonneg(u);
  const vf q = vf_div(vf_splat(1.0f), vf_add(m, vf_splat(2.0f)));
  *one_minus = vf_add(q, q);
  const vf t = vf_mul(m, q);
  return vf_select(vf_lt(x, vf_zero()), vf_neg(t), t);
}

#endif
