/*
 * The epilogue of every fused kernel: the activation (the same vector code as sepconv_unary, so a fused layer
 * rounds exactly like the eager one) and the residual add, in the order the plan asks for.
 */
#include "fused.h"

static void clip_values(const float* x, float* y, int32_t count, float lo, float hi) {
  const vf vlo = vf_splat(lo), vhi = vf_splat(hi);
  int32_t i = 0;
  /* min(max(x, lo), hi) as Math.min/Math.max order it: NaN passes through. */
  for (; i + VF_LANES <= count; i += VF_LANES) vf_store(y + i, vf_pmin(vf_pmax(vf_load(x + i), vlo), vhi));
  for (; i < count; i++) {
    const float v = x[i] < lo ? lo : x[i];
    y[i] = hi < v ? hi : v;
  }
}

void sepconv_fused_activate(const float* x, float* y, int32_t count, const sepconv_epilogue* e) {
  if (e->act == SEPCONV_ACT_CLIP) clip_values(x, y, count, e->alpha, e->beta);
  else if (e->act != SEPCONV_ACT_NONE) sepconv_unary(e->act, x, y, count, e->alpha);
  else if (x != y)
    for (int32_t i = 0; i < count; i++) y[i] = x[i];
}

static void add_values(float* c, const float* r, int cols) {
  int j = 0;
  for (; j + VF_LANES <= cols; j += VF_LANES) vf_store(c + j, vf_add(vf_load(c + j), vf_load(r + j)));
  for (; j < cols; j++) c[j] += r[j];
}

void fused_epilogue(float* c, size_t ldc, int rows, int cols, const float* residual, size_t ldr,
                    const sepconv_epilogue* e) {
  if (epilogue_is_identity(e, residual) || rows <= 0 || cols <= 0) return;
  const int act = e != NULL && e->act != SEPCONV_ACT_NONE;
  const int after = e != NULL && e->act_after_residual;
  /* Contiguous blocks go through in one call per stage. */
  if (ldc == (size_t)cols && (residual == NULL || ldr == (size_t)cols)) {
    const int32_t count = rows * cols;
    if (act && !after) sepconv_fused_activate(c, c, count, e);
    if (residual != NULL) add_values(c, residual, count);
    if (act && after) sepconv_fused_activate(c, c, count, e);
    return;
  }
  for (int r = 0; r < rows; r++) {
    float* row = c + (size_t)r * ldc;
    if (act && !after) sepconv_fused_activate(row, row, cols, e);
    if (residual != NULL) add_values(row, residual + (size_t)r * ldr, cols);
    if (act && after) sepconv_fused_activate(row, row, cols, e);
  }
}
