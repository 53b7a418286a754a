/*
 * The one place that knows the instruction set. Kernels are written once against `vf` (a vector of VF_LANES
 * floats), `vi` (VF_LANES int32s) and `vmask` (per-lane booleans), and compile to WebAssembly SIMD128 when clang
 * targets it (-msimd128); to AVX-512 (16 lanes), AVX2 + FMA (8 lanes) or SSE2 (4 lanes) in the native addon, which
 * builds the kernels once per instruction set and picks one at run time (csrc/native/); or to plain scalar C
 * (VF_LANES = 1) anywhere else. Only the AVX2 and AVX-512 branches fuse vf_muladd into one rounding.
 *
 * Lane semantics are pinned so every branch agrees bit for bit on the comparisons:
 *   vf_pmax(a, b) = a < b ? b : a      vf_pmin(a, b) = b < a ? b : a     (NaN in a passes through)
 *   vf_select(m, a, b) = m ? a : b
 * vf_recip(d) is 1/d within 2^-21 relative (an estimate and one Newton step where the ISA has one) for finite
 * positive normal d. vf_pow2_biased(b) is 2^n for b = n + 0x1.8000FEp23 with integral n in [-127, 127]: that sum
 * keeps n + 127 in the low mantissa bits, and shifting the bits left by 23 moves them into the exponent field.
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
/* Sign-bit masks rather than f32x4.abs/neg, which V8 expands to three instructions each; the mask is hoisted. */
VF_INLINE vf vf_abs(vf a) { return wasm_v128_and(a, wasm_i32x4_splat(0x7FFFFFFF)); }
VF_INLINE vf vf_neg(vf a) { return wasm_v128_xor(a, wasm_i32x4_splat((int32_t)0x80000000u)); }
/* No reciprocal estimate in SIMD128: divide. */
VF_INLINE vf vf_recip(vf d) { return wasm_f32x4_div(wasm_f32x4_splat(1.0f), d); }
VF_INLINE vf vf_pow2_biased(vf b) { return wasm_i32x4_shl(b, 23); }
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

#elif defined(__AVX512F__)
#include <immintrin.h>

#define VF_LANES 16
typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vmask;

VF_INLINE vf vf_load(const float* p) { return _mm512_loadu_ps(p); }
VF_INLINE void vf_store(float* p, vf v) { _mm512_storeu_ps(p, v); }
VF_INLINE vf vf_splat(float x) { return _mm512_set1_ps(x); }
VF_INLINE vf vf_load_splat(const float* p) { return _mm512_set1_ps(*p); }
VF_INLINE vf vf_zero(void) { return _mm512_setzero_ps(); }
VF_INLINE vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
VF_INLINE vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
VF_INLINE vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
VF_INLINE vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
VF_INLINE vf vf_muladd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
/* x86 max(x, y) is x > y ? x : y (the second operand on NaN), so pmax(a, b) = max(b, a); likewise min. */
VF_INLINE vf vf_pmax(vf a, vf b) { return _mm512_max_ps(b, a); }
VF_INLINE vf vf_pmin(vf a, vf b) { return _mm512_min_ps(b, a); }
VF_INLINE vf vf_abs(vf a) { return _mm512_abs_ps(a); }
VF_INLINE vf vf_neg(vf a) {
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int32_t)0x80000000u)));
}
/* 14-bit estimate, one Newton step r + r(1 - dr): about 1 ulp. */
VF_INLINE vf vf_recip(vf d) {
  const vf r = _mm512_rcp14_ps(d);
  return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
}
VF_INLINE vf vf_pow2_biased(vf b) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(b), 23)); }
VF_INLINE vmask vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
VF_INLINE vmask vf_ge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
VF_INLINE vmask vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
VF_INLINE vmask vf_le(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
VF_INLINE vmask vf_is_nan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
VF_INLINE vmask vmask_and(vmask a, vmask b) { return (vmask)(a & b); }
VF_INLINE vmask vmask_or(vmask a, vmask b) { return (vmask)(a | b); }
VF_INLINE vmask vmask_andnot(vmask a, vmask b) { return (vmask)(a & ~b); }
VF_INLINE vf vf_select(vmask m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }

VF_INLINE vi vi_splat(int32_t x) { return _mm512_set1_epi32(x); }
VF_INLINE vi vi_lanes(void) { return _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0); }
VF_INLINE vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
VF_INLINE vi vi_select(vmask m, vi a, vi b) { return _mm512_mask_blend_epi32(m, b, a); }
VF_INLINE void vi_store(int32_t* p, vi v) { _mm512_storeu_si512((void*)p, v); }

#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#define VF_LANES 8
typedef __m256 vf;
typedef __m256i vi;
typedef __m256 vmask; /* all-ones or all-zeros lanes, as the compare instructions produce */

VF_INLINE vf vf_load(const float* p) { return _mm256_loadu_ps(p); }
VF_INLINE void vf_store(float* p, vf v) { _mm256_storeu_ps(p, v); }
VF_INLINE vf vf_splat(float x) { return _mm256_set1_ps(x); }
VF_INLINE vf vf_load_splat(const float* p) { return _mm256_broadcast_ss(p); }
VF_INLINE vf vf_zero(void) { return _mm256_setzero_ps(); }
VF_INLINE vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
VF_INLINE vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
VF_INLINE vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
VF_INLINE vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
VF_INLINE vf vf_muladd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
VF_INLINE vf vf_pmax(vf a, vf b) { return _mm256_max_ps(b, a); }
VF_INLINE vf vf_pmin(vf a, vf b) { return _mm256_min_ps(b, a); }
VF_INLINE vf vf_abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
VF_INLINE vf vf_neg(vf a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
/* 12-bit estimate, one Newton step r + r(1 - dr): relative error below 2^-22. */
VF_INLINE vf vf_recip(vf d) {
  const vf r = _mm256_rcp_ps(d);
  return _mm256_fmadd_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(1.0f)), r);
}
VF_INLINE vf vf_pow2_biased(vf b) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(b), 23)); }
VF_INLINE vmask vf_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
VF_INLINE vmask vf_ge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
VF_INLINE vmask vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
VF_INLINE vmask vf_le(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
VF_INLINE vmask vf_is_nan(vf a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
VF_INLINE vmask vmask_and(vmask a, vmask b) { return _mm256_and_ps(a, b); }
VF_INLINE vmask vmask_or(vmask a, vmask b) { return _mm256_or_ps(a, b); }
VF_INLINE vmask vmask_andnot(vmask a, vmask b) { return _mm256_andnot_ps(b, a); }
VF_INLINE vf vf_select(vmask m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }

VF_INLINE vi vi_splat(int32_t x) { return _mm256_set1_epi32(x); }
VF_INLINE vi vi_lanes(void) { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
VF_INLINE vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
VF_INLINE vi vi_select(vmask m, vi a, vi b) { return _mm256_blendv_epi8(b, a, _mm256_castps_si256(m)); }
VF_INLINE void vi_store(int32_t* p, vi v) { _mm256_storeu_si256((__m256i*)p, v); }

#elif defined(__SSE2__)
#include <emmintrin.h>

#define VF_LANES 4
typedef __m128 vf;
typedef __m128i vi;
typedef __m128 vmask; /* all-ones or all-zeros lanes */

VF_INLINE vf vf_load(const float* p) { return _mm_loadu_ps(p); }
VF_INLINE void vf_store(float* p, vf v) { _mm_storeu_ps(p, v); }
VF_INLINE vf vf_splat(float x) { return _mm_set1_ps(x); }
VF_INLINE vf vf_load_splat(const float* p) { return _mm_load1_ps(p); }
VF_INLINE vf vf_zero(void) { return _mm_setzero_ps(); }
VF_INLINE vf vf_add(vf a, vf b) { return _mm_add_ps(a, b); }
VF_INLINE vf vf_sub(vf a, vf b) { return _mm_sub_ps(a, b); }
VF_INLINE vf vf_mul(vf a, vf b) { return _mm_mul_ps(a, b); }
VF_INLINE vf vf_div(vf a, vf b) { return _mm_div_ps(a, b); }
VF_INLINE vf vf_muladd(vf a, vf b, vf c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
VF_INLINE vf vf_pmax(vf a, vf b) { return _mm_max_ps(b, a); }
VF_INLINE vf vf_pmin(vf a, vf b) { return _mm_min_ps(b, a); }
VF_INLINE vf vf_abs(vf a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
VF_INLINE vf vf_neg(vf a) { return _mm_xor_ps(a, _mm_set1_ps(-0.0f)); }
/* 12-bit estimate, one Newton step r(2 - dr): relative error below 2^-21. */
VF_INLINE vf vf_recip(vf d) {
  const vf r = _mm_rcp_ps(d);
  return _mm_mul_ps(r, _mm_sub_ps(_mm_set1_ps(2.0f), _mm_mul_ps(d, r)));
}
VF_INLINE vf vf_pow2_biased(vf b) { return _mm_castsi128_ps(_mm_slli_epi32(_mm_castps_si128(b), 23)); }
VF_INLINE vmask vf_gt(vf a, vf b) { return _mm_cmpgt_ps(a, b); }
VF_INLINE vmask vf_ge(vf a, vf b) { return _mm_cmpge_ps(a, b); }
VF_INLINE vmask vf_lt(vf a, vf b) { return _mm_cmplt_ps(a, b); }
VF_INLINE vmask vf_le(vf a, vf b) { return _mm_cmple_ps(a, b); }
VF_INLINE vmask vf_is_nan(vf a) { return _mm_cmpunord_ps(a, a); }
VF_INLINE vmask vmask_and(vmask a, vmask b) { return _mm_and_ps(a, b); }
VF_INLINE vmask vmask_or(vmask a, vmask b) { return _mm_or_ps(a, b); }
VF_INLINE vmask vmask_andnot(vmask a, vmask b) { return _mm_andnot_ps(b, a); }
VF_INLINE vf vf_select(vmask m, vf a, vf b) { return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)); }

VF_INLINE vi vi_splat(int32_t x) { return _mm_set1_epi32(x); }
VF_INLINE vi vi_lanes(void) { return _mm_setr_epi32(0, 1, 2, 3); }
VF_INLINE vi vi_add(vi a, vi b) { return _mm_add_epi32(a, b); }
VF_INLINE vi vi_select(vmask m, vi a, vi b) {
  const vi mi = _mm_castps_si128(m);
  return _mm_or_si128(_mm_and_si128(mi, a), _mm_andnot_si128(mi, b));
}
VF_INLINE void vi_store(int32_t* p, vi v) { _mm_storeu_si128((__m128i*)p, v); }

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
VF_INLINE vf vf_recip(vf d) { return 1.0f / d; }
VF_INLINE vf vf_pow2_biased(vf b) {
  union { float f; uint32_t u; } bits = {b};
  bits.u <<= 23;
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
