/*
 * Threaded GEMM, and the standard convolution on top of it. B is packed once per product (by column-panel tasks)
 * into a shared buffer and A is read in place (gemm_direct_ukernel.h); the product is cut into blocks of whole
 * micro-tiles, rows first (a 112x112 layer splits rows only, a 7x7 layer with 1024 outputs rows and columns). A convolution runs per
 * group and per block of output pixels (bounded im2col memory): im2col tasks over rows, then the threaded GEMM;
 * col2im (input gradient) stays serial, as neighbouring pixels' windows overlap in dx.
 */
#include "../f32-conv/im2col.h"
#include "../f32-gemm/gemm.h"
#include "../f32-gemm/gemm_direct_ukernel.h"
#include "threaded.h"

/* Floats of im2col buffer per block of output pixels: 4 MB, large enough for a 7x7 layer's whole 3x3 im2col. */
#define CONV_COL_BUDGET (1 << 20)

typedef struct pack_job {
  int k, n, cols_per_task;
  const float* b;
  size_t ldb;
  int trans_b;
  float* packed;
} pack_job;

static void pack_task(void* context, int task, int thread) {
  const pack_job* j = context;
  (void)thread;
  const int j0 = task * j->cols_per_task;
  const float* b = j->trans_b ? j->b + (size_t)j0 * j->ldb : j->b + j0;
  f32_gemm_pack_b(j->k, imin(j->cols_per_task, j->n - j0), b, j->ldb, j->trans_b, j->packed + (size_t)j0 * j->k);
}

/* f32_gemm_pack_b by groups of whole column panels. */
static void pack_b_threaded(int k, int n, const float* b, size_t ldb, int trans_b, float* packed) {
  const int panels = ceil_div(n, GEMM_NR);
  const int tasks = task_count((double)k * n, TASK_MIN_ELEMENTS, panels);
  pack_job job = {k, n, ceil_div(panels, tasks) * GEMM_NR, b, ldb, trans_b, packed};
  pool_run(ceil_div(n, job.cols_per_task), pack_task, &job);
}

/*
 * Each task computes a block of whole micro-tiles with the KC blocking and accumulation order of f32_gemm_packed,
 * so an element's value does not depend on the block it falls in.
 */
typedef struct gemm_job {
  int m, n, k, trans_a, accumulate, mb, nb, col_blocks;
  const float* a;
  size_t lda;
  const float* packed_b;
  float* c;
  size_t ldc;
  const float* bias;
} gemm_job;

static void gemm_task(void* context, int task, int thread) {
  const gemm_job* j = context;
  (void)thread;
  const int i0 = task / j->col_blocks * j->mb, j0 = task % j->col_blocks * j->nb;
  const int i1 = imin(j->m, i0 + j->mb), j1 = imin(j->n, j0 + j->nb);
  /* Element (i, p) of op(A) is at a[i * row_stride + p * step]. */
  const size_t row_stride = j->trans_a ? 1 : j->lda, step = j->trans_a ? j->lda : 1;
  for (int p0 = 0; p0 < j->k; p0 += GEMM_KC) {
    const int kc = imin(GEMM_KC, j->k - p0);
    const int add = j->accumulate || p0 > 0;
    for (int col = j0; col < j1; col += GEMM_NR) {
      const float* b_panel = j->packed_b + (size_t)col * (size_t)j->k + (size_t)p0 * GEMM_NR;
      const float* bias = j->bias != NULL ? j->bias + col : NULL;
      for (int row = i0; row < i1; row += GEMM_MR)
        gemm_ukernel_direct((size_t)kc, j->a + (size_t)row * row_stride + (size_t)p0 * step, row_stride, step, b_panel,
                            j->c + (size_t)row * j->ldc + col, j->ldc, imin(GEMM_MR, j->m - row),
                            imin(GEMM_NR, j->n - col), bias, add);
    }
  }
}

/*
 * Block sides (whole micro-tiles) for about as many blocks as the work is worth: rows first, down to GEMM_ROWS_MIN
 * rows (rows share nothing but read-only B panels), then columns, never narrower than GEMM_COLS_MIN floats (two
 * threads writing neighbouring narrow column blocks would share the cache lines of C).
 */
#define GEMM_ROWS_MIN (4 * GEMM_MR)
#define GEMM_COLS_MIN 128

static void split_gemm(int m, int n, int k, int* mb, int* nb) {
  const int want = task_count(2.0 * m * n * k, TASK_MIN_FLOPS, MAX_TASKS);
  const int row_blocks = imax(1, imin(want, m / GEMM_ROWS_MIN));
  *mb = (int)round_up((size_t)ceil_div(m, row_blocks), GEMM_MR);
  const int col_blocks = imax(1, imin(ceil_div(want, ceil_div(m, *mb)), n / GEMM_COLS_MIN));
  *nb = (int)round_up((size_t)ceil_div(n, col_blocks), GEMM_NR);
}

/* C (+)= op(A) B (+ bias) across the pool, for k > 0, reading A in place. */
static void gemm_threaded(int m, int n, int k, const float* a, size_t lda, int trans_a, const float* packed_b,
                          float* c, size_t ldc, const float* bias, int accumulate) {
  gemm_job job = {m, n, k, trans_a, accumulate, 0, 0, 0, a, lda, packed_b, c, ldc, bias};
  split_gemm(m, n, k, &job.mb, &job.nb);
  job.col_blocks = ceil_div(n, job.nb);
  pool_run(ceil_div(m, job.mb) * job.col_blocks, gemm_task, &job);
}

int native_matmul(const float* a, const float* b, const float* bias, float* c, int32_t m, int32_t k, int32_t n,
                  int32_t trans_a, int32_t trans_b) {
  if (m <= 0 || n <= 0) return 0;
  if (k <= 0) {
    float* ws = scratch_floats(sepconv_matmul_workspace(m, k, n));
    if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
    sepconv_matmul(a, b, bias, c, m, k, n, trans_a, trans_b, ws);
    return 0;
  }
  float* ws = scratch_floats(f32_gemm_packed_b_size(k, n));
  if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  pack_b_threaded(k, n, b, trans_b ? (size_t)k : (size_t)n, trans_b, ws);
  gemm_threaded(m, n, k, a, trans_a ? (size_t)m : (size_t)k, trans_a, ws, c, (size_t)n, bias, 0);
  return 0;
}

typedef struct im2col_job {
  const float* x;
  const sepconv_conv_geometry* g;
  int group, p0, rows, parts;
  size_t kdim;
  float* col;
} im2col_job;

static void im2col_task(void* context, int task, int thread) {
  const im2col_job* j = context;
  (void)thread;
  size_t r0, r1;
  split_range((size_t)j->rows, j->parts, task, &r0, &r1);
  f32_im2col(j->x, j->g, j->group, j->p0 + (int)r0, (int)(r1 - r0), j->col + r0 * j->kdim);
}

static void im2col_threaded(const float* x, const sepconv_conv_geometry* g, int group, int p0, int rows, size_t kdim,
                            float* col) {
  im2col_job job = {x, g, group, p0, rows, task_count((double)rows * kdim, TASK_MIN_ELEMENTS, rows), kdim, col};
  pool_run(job.parts, im2col_task, &job);
}

/* A 1x1, stride-1, unpadded conv reads its GEMM rows straight from the input. */
static int is_direct(const sepconv_conv_geometry* g) {
  return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
         g->pad_left == 0 && g->pad_bottom == 0 && g->pad_right == 0;
}

typedef struct conv_shape {
  int cin_g, cout_g, kdim, pixels, rows, direct;
  size_t col; /* floats of im2col buffer (0 when direct) */
} conv_shape;

static conv_shape conv_shape_of(const sepconv_conv_geometry* g) {
  conv_shape s;
  s.cin_g = g->in_c / g->groups;
  s.cout_g = g->out_c / g->groups;
  s.kdim = g->k_h * g->k_w * s.cin_g;
  s.pixels = g->batch * g->out_h * g->out_w;
  s.rows = imax(1, imin(s.pixels, imax(CONV_COL_BUDGET / imax(s.kdim, 1), 4 * GEMM_MR)));
  s.direct = is_direct(g);
  s.col = s.direct ? 0 : scratch_round((size_t)s.rows * (size_t)s.kdim);
  return s;
}

/* conv_rows of f32-conv/conv2d.c with im2col on the pool: the GEMM rows of output pixels [p0, p0 + m) in one group. */
static const float* conv_rows_threaded(const float* x, const sepconv_conv_geometry* g, const conv_shape* s,
                                       int group, int p0, int m, float* col, size_t* lda) {
  if (s->direct) {
    *lda = (size_t)g->in_c;
    return x + (size_t)p0 * g->in_c + (size_t)group * s->cin_g;
  }
  *lda = (size_t)s->kdim;
  im2col_threaded(x, g, group, p0, m, (size_t)s->kdim, col);
  return col;
}

/* Shapes with nothing to multiply go to the serial kernel with its own workspace. */
static int degenerate(const conv_shape* s) { return s->pixels == 0 || s->cout_g == 0 || s->kdim == 0; }

int native_conv2d(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g) {
  const conv_shape s = conv_shape_of(g);
  if (degenerate(&s)) {
    float* ws = scratch_floats(sepconv_conv2d_workspace(g));
    if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
    sepconv_conv2d(x, w, bias, y, g, ws);
    return 0;
  }
  const size_t packed = scratch_round(f32_gemm_packed_b_size(s.kdim, s.cout_g));
  float* ws = scratch_floats(packed + s.col);
  if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  float* packed_w = ws;
  float* col = ws + packed;
  for (int group = 0; group < g->groups; group++) {
    pack_b_threaded(s.kdim, s.cout_g, w + (size_t)group * s.cout_g, (size_t)g->out_c, 0, packed_w);
    const float* group_bias = bias != NULL ? bias + (size_t)group * s.cout_g : NULL;
    for (int p0 = 0; p0 < s.pixels; p0 += s.rows) {
      const int m = imin(s.rows, s.pixels - p0);
      size_t lda;
      const float* a = conv_rows_threaded(x, g, &s, group, p0, m, col, &lda);
      gemm_threaded(m, s.cout_g, s.kdim, a, lda, 0, packed_w, y + (size_t)p0 * g->out_c + (size_t)group * s.cout_g,
                    (size_t)g->out_c, group_bias, 0);
    }
  }
  return 0;
}

int native_conv2d_backward_input(const float* dy, const float* w, float* dx, const sepconv_conv_geometry* g) {
  const conv_shape s = conv_shape_of(g);
  if (degenerate(&s)) {
    float* ws = scratch_floats(sepconv_conv2d_backward_input_workspace(g));
    if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
    sepconv_conv2d_backward_input(dy, w, dx, g, ws);
    return 0;
  }
  const size_t packed = scratch_round(f32_gemm_packed_b_size(s.cout_g, s.kdim));
  float* ws = scratch_floats(packed + s.col);
  if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  float* packed_wt = ws;
  float* col = ws + packed;
  if (!s.direct) fill_zero(dx, (size_t)g->batch * g->in_h * g->in_w * g->in_c);
  for (int group = 0; group < g->groups; group++) {
    /* B = wᵀ restricted to the group: [cout_g, kdim], read from w [kdim, C_out] transposed. */
    pack_b_threaded(s.cout_g, s.kdim, w + (size_t)group * s.cout_g, (size_t)g->out_c, 1, packed_wt);
    for (int p0 = 0; p0 < s.pixels; p0 += s.rows) {
      const int m = imin(s.rows, s.pixels - p0);
      const float* a = dy + (size_t)p0 * g->out_c + (size_t)group * s.cout_g;
      if (s.direct) {
        gemm_threaded(m, s.kdim, s.cout_g, a, (size_t)g->out_c, 0, packed_wt,
                      dx + (size_t)p0 * g->in_c + (size_t)group * s.cin_g, (size_t)g->in_c, NULL, 0);
      } else {
        gemm_threaded(m, s.kdim, s.cout_g, a, (size_t)g->out_c, 0, packed_wt, col, (size_t)s.kdim, NULL, 0);
        f32_col2im_add(col, g, group, p0, m, dx);
      }
    }
  }
  return 0;
}

int native_conv2d_backward_filter(const float* x, const float* dy, float* dw, const sepconv_conv_geometry* g) {
  const conv_shape s = conv_shape_of(g);
  if (degenerate(&s)) {
    float* ws = scratch_floats(sepconv_conv2d_backward_filter_workspace(g));
    if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
    sepconv_conv2d_backward_filter(x, dy, dw, g, ws);
    return 0;
  }
  const size_t packed = scratch_round(f32_gemm_packed_b_size(s.rows, s.cout_g));
  float* ws = scratch_floats(packed + s.col);
  if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  float* packed_dy = ws;
  float* col = ws + packed;
  for (int group = 0; group < g->groups; group++) {
    float* dw_group = dw + (size_t)group * s.cout_g;
    for (int p0 = 0; p0 < s.pixels; p0 += s.rows) {
      const int k = imin(s.rows, s.pixels - p0);
      size_t lda;
      const float* a = conv_rows_threaded(x, g, &s, group, p0, k, col, &lda);
      /* dw_group [kdim, cout_g] (+)= colᵀ [kdim, k] · dy block [k, cout_g]. */
      pack_b_threaded(k, s.cout_g, dy + (size_t)p0 * g->out_c + (size_t)group * s.cout_g, (size_t)g->out_c, 0,
                      packed_dy);
      gemm_threaded(s.kdim, s.cout_g, k, a, lda, 1, packed_dy, dw_group, (size_t)g->out_c, NULL, p0 > 0);
    }
  }
  return 0;
}
