/*
 * Vector transcendental functions for the activations, accurate to a few float ulps over the ranges the activations
 * use them on (the reference computes in float64 and rounds once).
 *
 * e^z for z <= 0: z = n*ln2 + r with n = round(z/ln2), |r| <= ln2/2 (ln2 split in two so n*ln2_hi is exact).
 * n is rounded by adding a magic bias that also leaves n + 127 in the low mantissa bits, from which
 * vf_pow2_biased builds s = 2^n without a float-to-int conversion. e^r = 1 + r*p(r) with p = 1 + c2 r + ... + c5 r^4
 * fitted for the least maximum relative error of e^r on |r| <= ln2/2 (1.2e-7 with float coefficients), so that
 * e^z = s + (s*r)*p and, with no cancellation near 0, e^z - 1 = (s - 1) + (s*r)*p. Arguments are clamped to -88,
 * where n = -127 and the result is exactly 0 (from about -87.7 on; the true value is at most a subnormal there), so
 * that e.g. swish(-inf) = -inf * 0 = NaN exactly as in the reference; NaN stays NaN throughout.
 */
#ifndef SEPCONV_F32_VMATH_H
#define SEPCONV_F32_VMATH_H

#include "../common.h"

/*
 * s = 2^n, sr = s*r and p = p(r) for e^z as above, z in [-88, 0] or NaN. At the bottom of that range n = -127,
 * for which vf_pow2_biased gives exactly 0 (and s*r = 0): that is how e^z underflows to 0.
 */
VF_INLINE void vf_exp_parts(vf z, vf* s, vf* sr, vf* p) {
  const vf magic = vf_splat(0x1.8000FEp23f); /* 1.5*2^23 + 127 */
  const vf biased = vf_muladd(z, vf_splat(0x1.715476p+0f), magic);
  const vf n = vf_sub(biased, magic);
  /* ln2 = ln2_hi + ln2_lo, n*ln2_hi exact for |n| < 2^9 */
  const vf r = vf_muladd(n, vf_splat(-0x1.7F7D1Cp-20f), vf_muladd(n, vf_splat(-0x1.62E400p-1f), z));
  vf q = vf_muladd(vf_splat(0x1.104722p-7f), r, vf_splat(0x1.5733C2p-5f));
  q = vf_muladd(q, r, vf_splat(0x1.5557F2p-3f));
  q = vf_muladd(q, r, vf_splat(0x1.FFFDDEp-2f));
  *p = vf_muladd(q, r, vf_splat(1.0f));
  *s = vf_pow2_biased(biased);
  *sr = vf_mul(*s, r);
}

/*
 * The logistic function from e = e^-|x| and q = 1/(1+e), never overflowing: sigmoid(x) = q for x >= 0 and e*q for
 * x < 0, and 1 - sigmoid(x) is the other one, free of cancellation. Returns q; *eq gets e*q.
 */
VF_INLINE vf vf_logistic_parts(vf x, vf* eq) {
  const vf z = vf_pmax(vf_neg(vf_abs(x)), vf_splat(-88.0f)); /* NaN passes through */
  vf s, sr, p;
  vf_exp_parts(z, &s, &sr, &p);
  const vf e = vf_muladd(sr, p, s);
  const vf q = vf_recip(vf_add(vf_splat(1.0f), e));
  *eq = vf_mul(e, q);
  return q;
}

VF_INLINE vf vf_sigmoid(vf x) {
  vf eq;
  const vf q = vf_logistic_parts(x, &eq);
  return vf_select(vf_ge(x, vf_zero()), q, eq);
}

/*
 * tanh(-|x|) = m/(1 + e) and 1 - tanh(|x|) = 2e/(1 + e), with e = e^-2|x| and m = e - 1 computed without
 * cancellation; 2|x| is capped at 40, past which tanh is 1 in float anyway. Returns tanh(x) (+0 for both zeros);
 * *one_minus gets 1 - |tanh(x)|.
 */
VF_INLINE vf vf_tanh_parts(vf x, vf* one_minus) {
  const vf z = vf_pmax(vf_neg(vf_add(vf_abs(x), vf_abs(x))), vf_splat(-40.0f)); /* NaN passes through */
  vf s, sr, p;
  vf_exp_parts(z, &s, &sr, &p);
  const vf e = vf_muladd(sr, p, s);
  const vf m = vf_muladd(sr, p, vf_sub(s, vf_splat(1.0f)));
  const vf q = vf_recip(vf_add(vf_splat(1.0f), e));
  *one_minus = vf_mul(vf_add(e, e), q);
  const vf t = vf_mul(m, q);
  return vf_select(vf_le(x, vf_zero()), t, vf_neg(t));
}

#endif
