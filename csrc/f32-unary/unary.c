/*
 * Element-wise activations and their derivatives, one vector formula each, matching src/backend/js/unary.ts
 * including the derivative conventions at the kinks (relu'(0) = 0, relu6' = 1 on (0, 6) only, hardSigmoid' = 1/6
 * on (-3, 3) only, hardSwish' = x/3 + 1/2 on [-3, 3], leakyRelu'(0) = alpha). Derivatives multiply dy by f'(x)
 * exactly as the reference does, so a zero derivative still turns an infinite dy into NaN.
 */
#include "vmath.h"

/* min(max(x, 0), 6), letting NaN through like Math.min/Math.max. */
VF_INLINE vf relu6_of(vf x) { return vf_pmin(vf_pmax(x, vf_zero()), vf_splat(6.0f)); }

VF_INLINE vf f_relu(vf x, vf alpha) {
  (void)alpha;
  return vf_select(vf_gt(x, vf_zero()), x, vf_zero());
}
VF_INLINE vf f_relu6(vf x, vf alpha) {
  (void)alpha;
  return relu6_of(x);
}
VF_INLINE vf f_hard_sigmoid(vf x, vf alpha) {
  (void)alpha;
  return vf_div(relu6_of(vf_add(x, vf_splat(3.0f))), vf_splat(6.0f));
}
VF_INLINE vf f_hard_swish(vf x, vf alpha) {
  (void)alpha;
  return vf_div(vf_mul(x, relu6_of(vf_add(x, vf_splat(3.0f)))), vf_splat(6.0f));
}
VF_INLINE vf f_sigmoid(vf x, vf alpha) {
  (void)alpha;
  return vf_sigmoid(x);
}
VF_INLINE vf f_swish(vf x, vf alpha) {
  (void)alpha;
  return vf_mul(x, vf_sigmoid(x));
}
VF_INLINE vf f_tanh(vf x, vf alpha) {
  (void)alpha;
  vf one_minus;
  return vf_tanh_parts(x, &one_minus);
}
VF_INLINE vf f_leaky_relu(vf x, vf alpha) { return vf_select(vf_gt(x, vf_zero()), x, vf_mul(alpha, x)); }

/* Derivatives f'(x). */
VF_INLINE vf d_relu(vf x, vf alpha) {
  (void)alpha;
  return vf_select(vf_gt(x, vf_zero()), vf_splat(1.0f), vf_zero());
}
VF_INLINE vf d_relu6(vf x, vf alpha) {
  (void)alpha;
  return vf_select(vmask_and(vf_gt(x, vf_zero()), vf_lt(x, vf_splat(6.0f))), vf_splat(1.0f), vf_zero());
}
VF_INLINE vf d_hard_sigmoid(vf x, vf alpha) {
  (void)alpha;
  const vmask inside = vmask_and(vf_gt(x, vf_splat(-3.0f)), vf_lt(x, vf_splat(3.0f)));
  return vf_select(inside, vf_splat(1.0f / 6.0f), vf_zero());
}
VF_INLINE vf d_hard_swish(vf x, vf alpha) {
  (void)alpha;
  const vf ramp = vf_add(vf_div(x, vf_splat(3.0f)), vf_splat(0.5f));
  const vf upper = vf_select(vf_le(x, vf_splat(3.0f)), ramp, vf_splat(1.0f));
  return vf_select(vf_lt(x, vf_splat(-3.0f)), vf_zero(), upper);
}
VF_INLINE vf d_sigmoid(vf x, vf alpha) {
  (void)alpha;
  vf eq;
  const vf q = vf_logistic_parts(x, &eq);
  return vf_mul(q, eq);
}
VF_INLINE vf d_swish(vf x, vf alpha) {
  (void)alpha;
  vf eq;
  const vf q = vf_logistic_parts(x, &eq);
  /* s + x*s*(1 - s), where s*(1 - s) = q*eq on either side of 0 */
  return vf_muladd(x, vf_mul(q, eq), vf_select(vf_ge(x, vf_zero()), q, eq));
}
/* 1 - t^2 = (1 - |t|)(1 + |t|), with 1 - |t| computed directly. */
VF_INLINE vf d_tanh(vf x, vf alpha) {
  (void)alpha;
  vf one_minus;
  const vf t = vf_tanh_parts(x, &one_minus);
  return vf_mul(one_minus, vf_add(vf_splat(1.0f), vf_abs(t)));
}
VF_INLINE vf d_leaky_relu(vf x, vf alpha) { return vf_select(vf_gt(x, vf_zero()), vf_splat(1.0f), alpha); }

/* Two vectors per iteration halve the loop overhead, which wasm engines make large (an interrupt check each time). */
#define UNROLL_2 _Pragma("GCC unroll 2")

/* Full vectors in place; the last partial vector through a zero-padded buffer, so every element uses F. */
#define DEFINE_FORWARD(NAME, F)                                                          \
  static void NAME(const float* x, float* y, int32_t count, vf alpha) {                 \
    int32_t i = 0;                                                                       \
    UNROLL_2                                                                             \
    for (; i + VF_LANES <= count; i += VF_LANES) vf_store(y + i, F(vf_load(x + i), alpha)); \
    if (i < count) {                                                                     \
      float buf[VF_LANES] = {0};                                                         \
      for (int32_t j = i; j < count; j++) buf[j - i] = x[j];                             \
      vf_store(buf, F(vf_load(buf), alpha));                                             \
      for (int32_t j = i; j < count; j++) y[j] = buf[j - i];                             \
    }                                                                                    \
  }

#define DEFINE_BACKWARD(NAME, DF)                                                                      \
  static void NAME(const float* x, const float* dy, float* dx, int32_t count, vf alpha) {              \
    int32_t i = 0;                                                                                     \
    UNROLL_2                                                                                           \
    for (; i + VF_LANES <= count; i += VF_LANES)                                                       \
      vf_store(dx + i, vf_mul(vf_load(dy + i), DF(vf_load(x + i), alpha)));                            \
    if (i < count) {                                                                                   \
      float bx[VF_LANES] = {0}, bdy[VF_LANES] = {0};                                                   \
      for (int32_t j = i; j < count; j++) bx[j - i] = x[j], bdy[j - i] = dy[j];                        \
      vf_store(bx, vf_mul(vf_load(bdy), DF(vf_load(bx), alpha)));                                      \
      for (int32_t j = i; j < count; j++) dx[j] = bx[j - i];                                           \
    }                                                                                                  \
  }

DEFINE_FORWARD(relu_forward, f_relu)
DEFINE_FORWARD(relu6_forward, f_relu6)
DEFINE_FORWARD(hard_swish_forward, f_hard_swish)
DEFINE_FORWARD(swish_forward, f_swish)
DEFINE_FORWARD(sigmoid_forward, f_sigmoid)
DEFINE_FORWARD(hard_sigmoid_forward, f_hard_sigmoid)
DEFINE_FORWARD(tanh_forward, f_tanh)
DEFINE_FORWARD(leaky_relu_forward, f_leaky_relu)

DEFINE_BACKWARD(relu_backward, d_relu)
DEFINE_BACKWARD(relu6_backward, d_relu6)
DEFINE_BACKWARD(hard_swish_backward, d_hard_swish)
DEFINE_BACKWARD(swish_backward, d_swish)
DEFINE_BACKWARD(sigmoid_backward, d_sigmoid)
DEFINE_BACKWARD(hard_sigmoid_backward, d_hard_sigmoid)
DEFINE_BACKWARD(tanh_backward, d_tanh)
DEFINE_BACKWARD(leaky_relu_backward, d_leaky_relu)

typedef void (*forward_fn)(const float*, float*, int32_t, vf);
typedef void (*backward_fn)(const float*, const float*, float*, int32_t, vf);

/* Indexed by enum sepconv_unary_kind. */
static const forward_fn forwards[] = {relu_forward,    relu6_forward,        hard_swish_forward, swish_forward,
                                      sigmoid_forward, hard_sigmoid_forward, tanh_forward,       leaky_relu_forward};
static const backward_fn backwards[] = {relu_backward,    relu6_backward,        hard_swish_backward,
                                        swish_backward,   sigmoid_backward,      hard_sigmoid_backward,
                                        tanh_backward,    leaky_relu_backward};

#define KIND_COUNT ((int32_t)(sizeof forwards / sizeof forwards[0]))

void sepconv_unary(int32_t kind, const float* x, float* y, int32_t count, float alpha) {
  if (kind >= 0 && kind < KIND_COUNT) forwards[kind](x, y, count, vf_splat(alpha));
}

void sepconv_unary_backward(int32_t kind, const float* x, const float* dy, float* dx, int32_t count, float alpha) {
  if (kind >= 0 && kind < KIND_COUNT) backwards[kind](x, dy, dx, count, vf_splat(alpha));
}
