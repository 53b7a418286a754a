/* Small helpers shared by every kernel file (no libc: the wasm build has none). */
#ifndef SEPCONV_COMMON_H
#define SEPCONV_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "include/sepconv.h"
#include "simd/vf.h"

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }

/* Floor division for possibly negative numerators (C's `/` truncates toward zero). */
static inline int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static inline int ceil_div(int a, int b) { return -floor_div(-a, b); }

static inline size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

static inline void fill_zero(float* p, size_t count) {
  for (size_t i = 0; i < count; i++) p[i] = 0.0f;
}

/*
 * The range of output positions o in [0, out) whose tap at offset `tap_offset` (= k * dilation - pad) lands inside
 * [0, in): 0 <= o * stride + tap_offset < in. Empty ranges come back as lo >= hi.
 */
static inline void valid_outputs(int tap_offset, int stride, int in, int out, int* lo, int* hi) {
  *lo = imax(0, ceil_div(-tap_offset, stride));
  *hi = imin(out, floor_div(in - 1 - tap_offset, stride) + 1);
}

/* The input rows (or columns) [*lo, *hi) that a pooling window starting at `start` covers, clipped to [0, size). */
static inline void clip_window(int start, int k, int size, int* lo, int* hi) {
  *lo = imax(start, 0);
  *hi = imin(start + k, size);
}

#endif
