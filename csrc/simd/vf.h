/*
 * The one place that knows the instruction set. Kernels are written once against `vf` (a vector of VF_LANES
 * floats), `vi` (VF_LANES int32s) and `vmask` (per-lane booleans), and compile to WebAssembly SIMD128 when clang
 * targets it (-msimd128) or to plain scalar C (VF_LANES = 1) anywhere else. A native build adds its own branch
 * here (SSE/AVX2/AVX-512) without touching the kernels.
 *
 * Lane semantics are pinned so every branch agrees bit for bit on the comparisons:
 *   vf_pmax(a, b) = a < b ? b : a      vf_pmin(a, b) = b < a ? b : a     (NaN in a passes through)
 *   vf_select(m, a, b) = m ? a : b
 */
#ifndef SEPCONV_SIMD_VF_H
#define SEPCONV_SIMD_VF_H

#include <stdint.h>

#define VF_INLINE static inline __attribute__((always_inline))

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#define VF_LANES 4
typedef v128_t vf;
typedef v128_t vi;
typedef v128_t vmask;

VF_INLINE vf vf_load(const float* p) { return wasm_v128_load(p); }
VF_INLINE void vf_store(float* p, vf v) { wasm_v128_store(p, v); }
VF_INLINE vf vf_splat(float x) { return wasm_f32x4_splat(x); }
VF_INLINE vf vf_load_splat(const float* p) { return wasm_v128_load32_splat(p); }
VF_INLINE vf vf_zero(void) { return wasm_f32x4_const_splat(0.0f); }
VF_INLINE vf vf_add(vf a, vf b) { return wasm_f32x4_add(a, b); }
VF_INLINE vf vf_sub(vf a, vf b) { return wasm_f32x4_sub(a, b); }
VF_INLINE vf vf_mul(vf a, vf b) { return wasm_f32x4_mul(a, b); }
VF_INLINE vf vf_div(vf a, vf b) { return wasm_f32x4_div(a, b); }
VF_INLINE vf vf_muladd(vf a, vf b, vf c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
VF_INLINE vf vf_pmax(vf a, vf b) { return wasm_f32x4_pmax(a, b); }
VF_INLINE vf vf_pmin(vf a, vf b) { return wasm_f32x4_pmin(a, b); }
VF_INLINE vf vf_abs(vf a) { return wasm_f32x4_abs(a); }
VF_INLINE vf vf_neg(vf a) { return wasm_f32x4_neg(a); }
VF_INLINE vf vf_round(vf a) { return wasm_f32x4_nearest(a); }
/* 2^n for integral n in [-126, 127]: build the float's exponent field directly. */
VF_INLINE vf vf_pow2i(vf n) {
  return wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
}
VF_INLINE vmask vf_gt(vf a, vf b) { return wasm_f32x4_gt(a, b); }
VF_INLINE vmask vf_ge(vf a, vf b) { return wasm_f32x4_ge(a, b); }
VF_INLINE vmask vf_lt(vf a, vf b) { return wasm_f32x4_lt(a, b); }
VF_INLINE vmask vf_le(vf a, vf b) { return wasm_f32x4_le(a, b); }
VF_INLINE vmask vf_is_nan(vf a) { return wasm_f32x4_ne(a, a); }
VF_INLINE vmask vmask_and(vmask a, vmask b) { return wasm_v128_and(a, b); }
VF_INLINE vmask vmask_or(vmask a, vmask b) { return wasm_v128_or(a, b); }
VF_INLINE vmask vmask_andnot(vmask a, vmask b) { return wasm_v128_andnot(a, b); }
VF_INLINE vf vf_select(vmask m, vf a, vf b) { return wasm_v128_bitselect(a, b, m); }

VF_INLINE vi vi_splat(int32_t x) { return wasm_i32x4_splat(x); }
/* (0, 1, ..., VF_LANES-1): lane offsets for building index vectors. */
VF_INLINE vi vi_lanes(void) { return wasm_i32x4_make(0, 1, 2, 3); }
VF_INLINE vi vi_add(vi a, vi b) { return wasm_i32x4_add(a, b); }
VF_INLINE vi vi_select(vmask m, vi a, vi b) { return wasm_v128_bitselect(a, b, m); }
VF_INLINE void vi_store(int32_t* p, vi v) { wasm_v128_store(p, v); }

#else /* scalar: one lane */

#define VF_LANES 1
typedef float vf;
typedef int32_t vi;
typedef int vmask;

VF_INLINE vf vf_load(const float* p) { return *p; }
VF_INLINE void vf_store(float* p, vf v) { *p = v; }
VF_INLINE vf vf_splat(float x) { return x; }
VF_INLINE vf vf_load_splat(const float* p) { return *p; }
VF_INLINE vf vf_zero(void) { return 0.0f; }
VF_INLINE vf vf_add(vf a, vf b) { return a + b; }
VF_INLINE vf vf_sub(vf a, vf b) { return a - b; }
VF_INLINE vf vf_mul(vf a, vf b) { return a * b; }
VF_INLINE vf vf_div(vf a, vf b) { return a / b; }
VF_INLINE vf vf_muladd(vf a, vf b, vf c) { return a * b + c; }
VF_INLINE vf vf_pmax(vf a, vf b) { return a < b ? b : a; }
VF_INLINE vf vf_pmin(vf a, vf b) { return b < a ? b : a; }
VF_INLINE vf vf_abs(vf a) { return a < 0.0f ? -a : a; }
VF_INLINE vf vf_neg(vf a) { return -a; }
/* Round to nearest even for |a| < 2^22, which covers the exponent arguments it is used for. */
VF_INLINE vf vf_round(vf a) {
  const float magic = 12582912.0f; /* 1.5 * 2^23: adding it leaves no fraction bits */
  return (a + magic) - magic;
}
VF_INLINE vf vf_pow2i(vf n) {
  union { uint32_t u; float f; } bits;
  if (n != n) n = 0.0f; /* NaN: converting it to int is undefined in C; the caller's NaN propagates anyway */
  bits.u = (uint32_t)((int32_t)n + 127) << 23;
  return bits.f;
}
VF_INLINE vmask vf_gt(vf a, vf b) { return a > b; }
VF_INLINE vmask vf_ge(vf a, vf b) { return a >= b; }
VF_INLINE vmask vf_lt(vf a, vf b) { return a < b; }
VF_INLINE vmask vf_le(vf a, vf b) { return a <= b; }
VF_INLINE vmask vf_is_nan(vf a) { return a != a; }
VF_INLINE vmask vmask_and(vmask a, vmask b) { return a && b; }
VF_INLINE vmask vmask_or(vmask a, vmask b) { return a || b; }
VF_INLINE vmask vmask_andnot(vmask a, vmask b) { return a && !b; }
VF_INLINE vf vf_select(vmask m, vf a, vf b) { return m ? a : b; }

VF_INLINE vi vi_splat(int32_t x) { return x; }
VF_INLINE vi vi_lanes(void) { return 0; }
VF_INLINE vi vi_add(vi a, vi b) { return a + b; }
VF_INLINE vi vi_select(vmask m, vi a, vi b) { return m ? a : b; }
VF_INLINE void vi_store(int32_t* p, vi v) { *p = v; }

#endif

#endif
