/*
 * The fused GEMM: B (the weights) is packed once when the plan loads; A is copied block by block at a stride that
 * keeps a tile's rows in distinct cache sets (with the squeeze-and-excitation gate applied on the way, if any), or
 * read where it lies when only one B panel reads it, when k is small (row_tiles_outer) or when the caller wrote it
 * so (a conv's im2col, fused_gemm_tiled_block); the tiles read it row by row (direct_tile). A row
 * tile of each B panel fetches the next panel (weights of late layers outgrow L2 and would otherwise arrive one
 * miss at a time). Blocks of GEMM_MC rows are finished (all of k) before the next starts, so the epilogue runs on
 * rows that are still in cache; a clip without a residual (ReLU6) is applied by the tiles of the last k block as
 * they store, saving that pass. Per output element the arithmetic is that of sepconv_matmul.
 */
#include "../f32-gemm/gemm.h"
#include "fused.h"

/* Rows of the tiles that read A at FUSED_A_STRIDE (copied blocks, fused_gemm_tiled_block): 12 with 32 vector
 * registers (AVX-512: 24 accumulators, fewer loads and loop steps per multiply-add than 8; pointwise layers 4-5%
 * faster), else GEMM_MR. */
#if GEMM_MR == 8
#define TILED_MR 12
#else
#define TILED_MR GEMM_MR
#endif

/* Rows [i0, i0 + mc) x columns [p0, p0 + kc) of A into `out` (row stride FUSED_A_STRIDE), column p multiplied by
 * scale[p] when scale is not NULL. */
static void copy_a_block(int mc, int kc, const float* a, size_t lda, int i0, int p0, const float* scale, float* out) {
  for (int r = 0; r < mc; r++) {
    const float* src = a + (size_t)(i0 + r) * lda + p0;
    float* dst = out + (size_t)r * FUSED_A_STRIDE;
    int p = 0;
    if (scale != NULL) {
      const float* s = scale + p0;
      for (; p + VF_LANES <= kc; p += VF_LANES) vf_store(dst + p, vf_mul(vf_load(src + p), vf_load(s + p)));
      for (; p < kc; p++) dst[p] = src[p] * s[p];
    } else {
      for (; p + VF_LANES <= kc; p += VF_LANES) vf_store(dst + p, vf_load(src + p));
      for (; p < kc; p++) dst[p] = src[p];
    }
  }
}

/*
 * One tile of C from A read in place (rows of stride lda) and a packed B panel: gemm_ukernel_direct's sums (per
 * element, over p in order from zero, then + bias or + c), with the tile's height `mr` (GEMM_MR, or a half or
 * quarter of it for the last rows of a 7x7 or 14x14 image) and width `nv` vectors (2, or 1 for a last panel of at
 * most VF_LANES columns) fixed at each call so that no padding row or column is computed. The first
 * `prefetch_rows` k steps each fetch a row of B at `prefetch` (this tile's share of the next panel). The sums are
 * clipped to [clip[0], clip[1]] before they are stored unless clip is NULL, rounding as the epilogue pass would.
 */
static inline __attribute__((always_inline)) void direct_tile(const int mr, const int nv, size_t kc, const float* a,
                                                              size_t lda, const float* restrict bp,
                                                              float* restrict c, size_t ldc, int rows, int cols,
                                                              const float* restrict bias, int accumulate,
                                                              const float* prefetch, size_t prefetch_rows,
                                                              const float* clip) {
  size_t offset[TILED_MR];
  for (int r = 0; r < mr; r++) offset[r] = (size_t)(r < rows ? r : rows - 1) * lda;
  vf acc[TILED_MR][2];
  for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = vf_zero();
  for (size_t p = 0; p < kc; p++, a++, bp += GEMM_NR) {
#if !defined(__wasm__) /* wasm has no prefetch; the test alone costs a branch per k step */
    if (p < prefetch_rows)
      for (int l = 0; l < GEMM_NR; l += 16) __builtin_prefetch(prefetch + p * GEMM_NR + l, 0, 2);
#else
    (void)prefetch, (void)prefetch_rows;
#endif
    vf b[2];
    for (int v = 0; v < nv; v++) b[v] = vf_load(bp + v * VF_LANES);
    for (int r = 0; r < mr; r++) {
      const vf av = vf_load_splat(a + offset[r]);
      for (int v = 0; v < nv; v++) acc[r][v] = vf_muladd(av, b[v], acc[r][v]);
    }
  }
  const float lo = clip != NULL ? clip[0] : 0.0f, hi = clip != NULL ? clip[1] : 0.0f;
  const vf vlo = vf_splat(lo), vhi = vf_splat(hi);
  for (int r = 0; r < rows; r++) {
    float* cr = c + (size_t)r * ldc;
    if (cols == nv * VF_LANES) {
      for (int v = 0; v < nv; v++) {
        const float* base = accumulate ? cr : bias;
        vf sum = vf_add(acc[r][v], base != NULL ? vf_load(base + v * VF_LANES) : vf_zero());
        if (clip != NULL) sum = vf_pmin(vf_pmax(sum, vlo), vhi);
        vf_store(cr + v * VF_LANES, sum);
      }
      continue;
    }
    float sum[2 * VF_LANES];
    for (int v = 0; v < nv; v++) vf_store(sum + v * VF_LANES, acc[r][v]);
    for (int j = 0; j < cols; j++) {
      float value = sum[j] + (accumulate ? cr[j] : bias != NULL ? bias[j] : 0.0f);
      if (clip != NULL) {
        value = value < lo ? lo : value;
        value = hi < value ? hi : value;
      }
      cr[j] = value;
    }
  }
}

/* direct_tile with the smallest height and width that cover rows x cols. */
static void direct_tile_fit(size_t kc, const float* a, size_t lda, const float* bp, float* c, size_t ldc, int rows,
                            int cols, const float* bias, int accumulate, const float* prefetch,
                            size_t prefetch_rows, const float* clip) {
  if (cols <= VF_LANES) {
    if (rows <= GEMM_MR / 2) direct_tile(GEMM_MR / 2, 1, kc, a, lda, bp, c, ldc, rows, cols, bias, accumulate, prefetch, prefetch_rows, clip);
    else direct_tile(GEMM_MR, 1, kc, a, lda, bp, c, ldc, rows, cols, bias, accumulate, prefetch, prefetch_rows, clip);
  } else if (rows <= GEMM_MR / 4) {
    direct_tile(GEMM_MR / 4, 2, kc, a, lda, bp, c, ldc, rows, cols, bias, accumulate, prefetch, prefetch_rows, clip);
  } else if (rows <= GEMM_MR / 2) {
    direct_tile(GEMM_MR / 2, 2, kc, a, lda, bp, c, ldc, rows, cols, bias, accumulate, prefetch, prefetch_rows, clip);
  } else {
    direct_tile(GEMM_MR, 2, kc, a, lda, bp, c, ldc, rows, cols, bias, accumulate, prefetch, prefetch_rows, clip);
  }
}

/*
 * direct_tile_fit for rows up to TILED_MR of A at FUSED_A_STRIDE: a full height tile, or one of GEMM_MR rows and
 * the rest. The full tile's row offsets are constants, leaving the general registers its 12 row pointers would take.
 */
static void tiled_tile_fit(size_t kc, const float* a, size_t lda, const float* bp, float* c, size_t ldc, int rows,
                           int cols, const float* bias, int accumulate, const float* prefetch, size_t prefetch_rows,
                           const float* clip) {
  if (rows == TILED_MR && TILED_MR > GEMM_MR && cols > VF_LANES) {
    direct_tile(TILED_MR, 2, kc, a, FUSED_A_STRIDE, bp, c, ldc, TILED_MR, cols, bias, accumulate, prefetch,
                prefetch_rows, clip);
    return;
  }
  const int first = imin(rows, GEMM_MR);
  direct_tile_fit(kc, a, lda, bp, c, ldc, first, cols, bias, accumulate, prefetch, prefetch_rows, clip);
  if (rows > first)
    direct_tile_fit(kc, a + first * lda, lda, bp, c + first * ldc, ldc, rows - first, cols, bias, accumulate, NULL, 0,
                    clip);
}

/* Panels a row-times-matrix product streams at once: independent loads in flight, 2 * GEMV_PANELS FMA chains. */
#define GEMV_PANELS 4

/*
 * Columns [j0, j0 + panels * GEMM_NR) of c[1, n] = a[1, k] · packed_w (+ bias): `panels` packed panels read side by
 * side, each once. Same sums as the tile kernels (a k block at a time from zero, added to c), so results match
 * the m > 1 path exactly.
 */
static inline __attribute__((always_inline)) void gemv_panels(int panels, int n, int k, int j0, const float* a,
                                                              const float* packed_w, const float* bias, float* c) {
  for (int p0 = 0; p0 < k; p0 += GEMM_KC) {
    const int kc = imin(GEMM_KC, k - p0);
    vf acc0[GEMV_PANELS], acc1[GEMV_PANELS];
    const float* bp[GEMV_PANELS];
    for (int q = 0; q < panels; q++) {
      acc0[q] = acc1[q] = vf_zero();
      bp[q] = packed_w + (size_t)(j0 + q * GEMM_NR) * (size_t)k + (size_t)p0 * GEMM_NR;
    }
    for (int p = 0; p < kc; p++) {
      const vf av = vf_load_splat(a + p0 + p);
      for (int q = 0; q < panels; q++) {
        acc0[q] = vf_muladd(av, vf_load(bp[q]), acc0[q]);
        acc1[q] = vf_muladd(av, vf_load(bp[q] + VF_LANES), acc1[q]);
        bp[q] += GEMM_NR;
      }
    }
    for (int q = 0; q < panels; q++) {
      const int j = j0 + q * GEMM_NR, cols = imin(GEMM_NR, n - j);
      float sum[GEMM_NR];
      vf_store(sum, acc0[q]);
      vf_store(sum + VF_LANES, acc1[q]);
      for (int jj = 0; jj < cols; jj++) c[j + jj] = sum[jj] + (p0 > 0 ? c[j + jj] : bias != NULL ? bias[j + jj] : 0.0f);
    }
  }
}

/* c[1, n] = a[1, k] · packed_w + bias: a linear layer at batch 1, bound by reading the weights once. */
static void gemv(int n, int k, const float* a, const float* packed_w, const float* bias, float* c) {
  const int panels = (n + GEMM_NR - 1) / GEMM_NR;
  int q = 0;
  for (; q + GEMV_PANELS <= panels; q += GEMV_PANELS) gemv_panels(GEMV_PANELS, n, k, q * GEMM_NR, a, packed_w, bias, c);
  for (; q < panels; q++) gemv_panels(1, n, k, q * GEMM_NR, a, packed_w, bias, c);
}

/*
 * Columns [p0, p0 + kc) of the product for rows [0, mc) of a_block (row stride lda), into c: every panel of B
 * (panel j0 at b_block + j0 * panel_step), each with a column of tiles of `mr` rows. The first k block starts from
 * the bias, the others add to c; the last clips as it stores when clip is not NULL. The next B panel is fetched
 * while this one is in use, each row tile fetching an equal share of its rows.
 */
static void k_block(int mc, int n, int k, int p0, int kc, const float* a_block, size_t lda, int mr,
                    const float* b_block, size_t panel_step, const float* bias, float* c, size_t ldc,
                    const float* clip) {
  const int tiles = (mc + mr - 1) / mr, share = (kc + tiles - 1) / tiles;
  for (int j0 = 0; j0 < n; j0 += GEMM_NR) {
    const float* b_panel = b_block + (size_t)j0 * panel_step;
    const float* next = j0 + GEMM_NR < n ? b_panel + (size_t)GEMM_NR * panel_step : NULL;
    const int cols = imin(GEMM_NR, n - j0);
    const float* bias_j = bias != NULL ? bias + j0 : NULL;
    for (int r0 = 0; r0 < mc; r0 += mr) {
      const int rows = imin(mr, mc - r0), first = r0 / mr * share;
      const int fetch = next != NULL ? imax(0, imin(share, kc - first)) : 0;
      (mr == GEMM_MR ? direct_tile_fit : tiled_tile_fit)((size_t)kc, a_block + (size_t)r0 * lda, lda, b_panel,
                                                         c + (size_t)r0 * ldc + j0, ldc, rows, cols, bias_j, p0 > 0,
                                                         fetch > 0 ? next + (size_t)first * GEMM_NR : NULL,
                                                         (size_t)fetch, p0 + kc == k ? clip : NULL);
    }
  }
}

/* Up to this k (one k block), a row tile of A and all of B stay in L1: row tiles go outer, each crossing every
 * panel, A read in place (MobileNet's 112x112 layers, k = 32 or 64, where copying A costs most: +15% at
 * 112x112 32->64; a panels-outer order for 7x7 images was tried and lost 10% to the 12-row tiles). */
#define FUSED_SMALL_K 64
/* Rows [0, m) of c = a · packed_w + bias for k <= GEMM_KC, a row tile at a time across every panel. Out of line:
 * V8 allocates registers worse in one function that holds every tile variant twice. */
static __attribute__((noinline)) void row_tiles_outer(int m, int n, int k, const float* a, size_t lda,
                                                      const float* packed_w, const float* bias, float* c, size_t ldc,
                                                      const float* clip) {
  for (int r0 = 0; r0 < m; r0 += GEMM_MR)
    for (int j0 = 0; j0 < n; j0 += GEMM_NR)
      direct_tile_fit((size_t)k, a + (size_t)r0 * lda, lda, packed_w + (size_t)j0 * k, c + (size_t)r0 * ldc + j0, ldc,
                      imin(GEMM_MR, m - r0), imin(GEMM_NR, n - j0), bias != NULL ? bias + j0 : NULL, 0, NULL, 0, clip);
}

void fused_gemm_rows(int m, int n, int k, const float* a, size_t lda, const float* scale, const float* packed_w,
                     const float* bias, float* c, size_t ldc, const float* residual, size_t ldr,
                     const sepconv_epilogue* e, float* a_pack) {
  if (m <= 0 || n <= 0) return;
  if (m == 1 && scale == NULL && k > 0) {
    gemv(n, k, a, packed_w, bias, c);
    fused_epilogue(c, ldc, 1, n, residual, ldr, e);
    return;
  }
  /* A block read by one B panel only is read in place (unless scaled). */
  const int copy = scale != NULL || n > GEMM_NR;
  /* A clip without a residual (MobileNet's ReLU6) is applied as the last k block's tiles are stored. */
  float range[2];
  const float* clip = k > 0 ? epilogue_clip_range(e, residual, range) : NULL;
  for (int i0 = 0; i0 < m; i0 += GEMM_MC) {
    const int mc = imin(GEMM_MC, m - i0);
    float* c_block = c + (size_t)i0 * ldc;
    if (k <= 0)
      for (int i = 0; i < mc; i++)
        for (int j = 0; j < n; j++) c_block[(size_t)i * ldc + j] = bias != NULL ? bias[j] : 0.0f;
    if (k > 0 && scale == NULL && k <= FUSED_SMALL_K)
      row_tiles_outer(mc, n, k, a + (size_t)i0 * lda, lda, packed_w, bias, c_block, ldc, clip);
    else
      for (int p0 = 0; p0 < k; p0 += GEMM_KC) {
        const int kc = imin(GEMM_KC, k - p0);
        if (copy) copy_a_block(mc, kc, a, lda, i0, p0, scale, a_pack);
        k_block(mc, n, k, p0, kc, copy ? a_pack : a + (size_t)i0 * lda + p0, copy ? FUSED_A_STRIDE : lda,
                copy ? TILED_MR : GEMM_MR, packed_w + (size_t)p0 * GEMM_NR, (size_t)k, bias, c_block, ldc, clip);
      }
    if (clip == NULL) fused_epilogue(c_block, ldc, mc, n, residual != NULL ? residual + (size_t)i0 * ldr : NULL, ldr, e);
  }
}

/* Floats per row of k in packed B: n rounded up to whole panels. */
static size_t b_width(int n) { return round_up((size_t)n, GEMM_NR); }

void fused_gemm_pack_tiled(const float* w, float* packed, int k, int n, size_t ldw) {
  for (int p0 = 0; p0 < k; p0 += GEMM_KC)
    f32_gemm_pack_b(imin(GEMM_KC, k - p0), n, w + (size_t)p0 * ldw, ldw, 0, packed + (size_t)p0 * b_width(n));
}

void fused_gemm_tiled_block(int m, int n, int k, int p0, const float* a, const float* packed_w, const float* bias,
                            float* c, size_t ldc, const float* residual, size_t ldr, const sepconv_epilogue* e) {
  if (m <= 0 || n <= 0) return;
  const int kc = imin(GEMM_KC, k - p0);
  float range[2];
  const float* clip = epilogue_clip_range(e, residual, range);
  /* This k block's panels lie side by side, kc rows each, after p0 rows of all of them. */
  k_block(m, n, k, p0, kc, a, FUSED_A_STRIDE, TILED_MR, packed_w + (size_t)p0 * b_width(n), (size_t)kc, bias, c, ldc,
          clip);
  if (p0 + kc == k && clip == NULL) fused_epilogue(c, ldc, m, n, residual, ldr, e);
}

size_t sepconv_fused_gemm_packed_size(int32_t k, int32_t n) { return f32_gemm_packed_b_size(k, n); }

void sepconv_fused_gemm_pack(const float* w, float* packed, int32_t k, int32_t n) {
  f32_gemm_pack_b(k, n, w, (size_t)n, 0, packed);
}

size_t sepconv_fused_gemm_workspace(void) { return fused_gemm_a_block_size(); }

int32_t sepconv_fused_gemm_nr(void) { return GEMM_NR; }

void sepconv_fused_gemm(const float* a, const float* packed_w, const float* bias, const float* scale,
                        const float* residual, float* c, int32_t m, int32_t k, int32_t n, int32_t ldc,
                        int32_t scale_rows, const sepconv_epilogue* e, float* workspace) {
  if (scale == NULL) {
    fused_gemm_rows(m, n, k, a, (size_t)k, NULL, packed_w, bias, c, (size_t)ldc, residual, (size_t)ldc, e, workspace);
    return;
  }
  /* One image (scale_rows rows) at a time, each with its own gate. */
  const int32_t per_image = scale_rows > 0 ? scale_rows : m;
  for (int32_t r0 = 0, image = 0; r0 < m; r0 += per_image, image++) {
    const int32_t rows = imin(per_image, m - r0);
    fused_gemm_rows(rows, n, k, a + (size_t)r0 * k, (size_t)k, scale + (size_t)image * k, packed_w, bias,
                    c + (size_t)r0 * ldc, (size_t)ldc, residual != NULL ? residual + (size_t)r0 * ldc : NULL,
                    (size_t)ldc, e, workspace);
  }
}
