/*
 * Threaded element-wise, pooling and batch-norm kernels. Activations split the array; pooling forward splits bands
 * of output rows (batch-1 sub-geometries, like the depthwise drivers); pooling backward scatters into overlapping
 * windows and stays serial. Batch-norm sums run per chunk of positions into double partials that are added in
 * chunk order, so the result is the same for every thread count.
 */
#include "../f32-bn/batchnorm.h"
#include "threaded.h"

/* ---- activations ---- */

typedef struct unary_job {
  int32_t kind;
  const float* x;
  const float* dy; /* NULL for the forward pass */
  float* out;
  size_t count;
  int parts;
  float alpha;
} unary_job;

static void unary_task(void* context, int task, int thread) {
  const unary_job* j = context;
  (void)thread;
  size_t i0, i1;
  split_range(j->count, j->parts, task, &i0, &i1);
  if (j->dy == NULL) sepconv_unary(j->kind, j->x + i0, j->out + i0, (int32_t)(i1 - i0), j->alpha);
  else sepconv_unary_backward(j->kind, j->x + i0, j->dy + i0, j->out + i0, (int32_t)(i1 - i0), j->alpha);
}

/* Chunks below 2^31 elements (the kernels count in int32) and at least TASK_MIN_ELEMENTS. */
static int unary_parts(size_t count) {
  const int parts = task_count((double)count, TASK_MIN_ELEMENTS, MAX_TASKS);
  const size_t floor_parts = count / ((size_t)1 << 30) + 1;
  return parts < (int)floor_parts ? (int)floor_parts : parts;
}

int native_unary(int32_t kind, const float* x, float* y, size_t count, float alpha) {
  unary_job job = {kind, x, NULL, y, count, unary_parts(count), alpha};
  pool_run(job.parts, unary_task, &job);
  return 0;
}

int native_unary_backward(int32_t kind, const float* x, const float* dy, float* dx, size_t count, float alpha) {
  unary_job job = {kind, x, dy, dx, count, unary_parts(count), alpha};
  pool_run(job.parts, unary_task, &job);
  return 0;
}

/* ---- pooling ---- */

typedef struct pool_job {
  const float* x;
  float* y;
  int32_t* argmax; /* NULL: average pooling */
  const sepconv_pool_geometry* g;
  int32_t count_include_pad;
  int parts;
} pool_job;

/* Each task: an equal share of the images x output rows, one batch-1 call per image it touches. */
static void pool_task(void* context, int task, int thread) {
  const pool_job* j = context;
  const sepconv_pool_geometry* g = j->g;
  (void)thread;
  size_t r0, r1;
  split_range((size_t)g->batch * g->out_h, j->parts, task, &r0, &r1);
  const size_t in_image = (size_t)g->in_h * g->in_w * g->channels;
  while (r0 < r1) {
    const int n = (int)(r0 / (size_t)g->out_h), oh0 = (int)(r0 % (size_t)g->out_h);
    const int oh1 = (size_t)oh0 + (r1 - r0) < (size_t)g->out_h ? oh0 + (int)(r1 - r0) : g->out_h;
    sepconv_pool_geometry s = *g;
    s.batch = 1;
    s.out_h = oh1 - oh0;
    s.pad_top = g->pad_top - oh0 * g->stride_h;
    const size_t out_at = ((size_t)n * g->out_h + oh0) * g->out_w * g->channels;
    const size_t outputs = (size_t)s.out_h * g->out_w * g->channels;
    if (j->argmax == NULL) {
      sepconv_avg_pool2d(j->x + (size_t)n * in_image, j->y + out_at, &s, j->count_include_pad);
    } else {
      int32_t* argmax = j->argmax + out_at;
      sepconv_max_pool2d(j->x + (size_t)n * in_image, j->y + out_at, argmax, &s);
      /* The kernel indexes within the image it was given; argmax is over the whole batch. */
      const int32_t base = (int32_t)((size_t)n * in_image);
      for (size_t i = 0; i < outputs; i++) argmax[i] += base;
    }
    r0 += (size_t)(oh1 - oh0);
  }
}

static int pool_parts(const sepconv_pool_geometry* g) {
  const double work = (double)g->batch * g->out_h * g->out_w * g->channels * g->k_h * g->k_w;
  return task_count(work, TASK_MIN_ELEMENTS, g->batch * g->out_h);
}

int native_max_pool2d(const float* x, float* y, int32_t* argmax, const sepconv_pool_geometry* g) {
  pool_job job = {x, y, argmax, g, 0, pool_parts(g)};
  pool_run(g->batch * g->out_h == 0 ? 0 : job.parts, pool_task, &job);
  return 0;
}

int native_avg_pool2d(const float* x, float* y, const sepconv_pool_geometry* g, int32_t count_include_pad) {
  pool_job job = {x, y, NULL, g, count_include_pad, pool_parts(g)};
  pool_run(g->batch * g->out_h == 0 ? 0 : job.parts, pool_task, &job);
  return 0;
}

int native_max_pool2d_backward(const float* dy, const int32_t* argmax, float* dx, const sepconv_pool_geometry* g) {
  sepconv_max_pool2d_backward(dy, argmax, dx, g);
  return 0;
}

int native_avg_pool2d_backward(const float* dy, float* dx, const sepconv_pool_geometry* g, int32_t count_include_pad) {
  sepconv_avg_pool2d_backward(dy, dx, g, count_include_pad);
  return 0;
}

/* ---- batch norm ---- */

typedef struct bn_job {
  const float* x;
  const float* dy;
  float* out;
  size_t positions;
  int channels, chunks;
  double* partials; /* per chunk: `channels` doubles (two arrays for the backward sums) */
  const double* mean_d;
  const float* mean;
  const float* c0; /* scale */
  const float* c1; /* shift, or mean_dy */
  const float* c2; /* slope */
} bn_job;

/* Chunks of positions, the same for every thread count. */
static int bn_chunks(size_t positions, int channels) {
  return task_count((double)positions * channels, TASK_MIN_ELEMENTS, positions > (size_t)MAX_TASKS ? MAX_TASKS : (int)positions);
}

static void bn_range(const bn_job* j, int task, size_t* p0, size_t* p1) { split_range(j->positions, j->chunks, task, p0, p1); }

static double* bn_partial(const bn_job* j, int task, int arrays) {
  double* p = j->partials + (size_t)task * arrays * j->channels;
  for (size_t i = 0; i < (size_t)arrays * j->channels; i++) p[i] = 0.0;
  return p;
}

static void sum_task(void* context, int task, int thread) {
  const bn_job* j = context;
  (void)thread;
  size_t p0, p1;
  bn_range(j, task, &p0, &p1);
  f32_bn_sum(j->x, p0, p1, j->channels, bn_partial(j, task, 1));
}

static void squares_task(void* context, int task, int thread) {
  const bn_job* j = context;
  (void)thread;
  size_t p0, p1;
  bn_range(j, task, &p0, &p1);
  f32_bn_centred_squares(j->x, p0, p1, j->channels, j->mean_d, bn_partial(j, task, 1));
}

/* total[i] = sum over chunks, in chunk order, of partial[chunk][i] for i < count (partials `stride` apart). */
static void add_partials(const double* partials, int chunks, size_t stride, size_t count, double* total) {
  for (size_t i = 0; i < count; i++) total[i] = 0.0;
  for (int c = 0; c < chunks; c++)
    for (size_t i = 0; i < count; i++) total[i] += partials[(size_t)c * stride + i];
}

/* Doubles carved from the float scratch (64-byte aligned). */
static double* scratch_doubles(size_t count) { return (double*)(void*)scratch_floats(2 * count); }

int native_channel_moments(const float* x, size_t positions, int32_t channels, float* mean, float* variance) {
  const int chunks = bn_chunks(positions, channels);
  double* ws = scratch_doubles((size_t)channels * ((size_t)chunks + 2));
  if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  double* mean_d = ws + (size_t)chunks * channels;
  double* squares = mean_d + channels;
  bn_job job = {x, NULL, NULL, positions, channels, chunks, ws, mean_d, NULL, NULL, NULL, NULL};
  pool_run(chunks, sum_task, &job);
  add_partials(ws, chunks, (size_t)channels, (size_t)channels, mean_d);
  for (int c = 0; c < channels; c++) mean_d[c] /= (double)positions;
  pool_run(chunks, squares_task, &job);
  add_partials(ws, chunks, (size_t)channels, (size_t)channels, squares);
  for (int c = 0; c < channels; c++) {
    mean[c] = (float)mean_d[c];
    variance[c] = (float)(squares[c] / (double)positions);
  }
  return 0;
}

static void apply_task(void* context, int task, int thread) {
  const bn_job* j = context;
  (void)thread;
  size_t p0, p1;
  bn_range(j, task, &p0, &p1);
  f32_bn_apply(j->x, j->out, p0, p1, j->channels, j->c0, j->c1);
}

int native_batch_norm_forward(const float* x, const float* mean, const float* inv_std, const float* gamma,
                              const float* beta, float* y, size_t positions, int32_t channels) {
  float* ws = scratch_floats(2 * scratch_round((size_t)channels));
  if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  float* scale = ws;
  float* shift = ws + scratch_round((size_t)channels);
  f32_bn_affine(mean, inv_std, gamma, beta, channels, scale, shift);
  bn_job job = {x, NULL, y, positions, channels, bn_chunks(positions, channels), NULL, NULL, NULL, scale, shift, NULL};
  pool_run(positions == 0 ? 0 : job.chunks, apply_task, &job);
  return 0;
}

static void backward_sums_task(void* context, int task, int thread) {
  const bn_job* j = context;
  (void)thread;
  size_t p0, p1;
  bn_range(j, task, &p0, &p1);
  double* partial = bn_partial(j, task, 2);
  f32_bn_backward_sums(j->x, j->dy, p0, p1, j->channels, j->mean, partial, partial + j->channels);
}

static void backward_apply_task(void* context, int task, int thread) {
  const bn_job* j = context;
  (void)thread;
  size_t p0, p1;
  bn_range(j, task, &p0, &p1);
  f32_bn_backward_apply(j->x, j->dy, j->out, p0, p1, j->channels, j->mean, j->c0, j->c1, j->c2);
}

int native_batch_norm_backward(const float* x, const float* dy, const float* mean, const float* inv_std,
                               const float* gamma, int32_t training, float* dx, float* d_gamma, float* d_beta,
                               size_t positions, int32_t channels) {
  const int chunks = bn_chunks(positions, channels);
  const size_t C = (size_t)channels, line = scratch_round(C);
  double* ws = scratch_doubles(C * 2 * ((size_t)chunks + 1) + 3 * line / 2 + 8);
  if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  double* sums = ws + C * 2 * (size_t)chunks; /* d_beta sums, then centred sums */
  float* coefficients = (float*)(void*)(sums + 2 * C);
  bn_job job = {x, dy, dx, positions, channels, chunks, ws, NULL, mean, coefficients, coefficients + line,
                coefficients + 2 * line};
  pool_run(chunks, backward_sums_task, &job);
  add_partials(ws, chunks, 2 * C, 2 * C, sums);
  f32_bn_backward_coefficients(sums, sums + C, inv_std, gamma, channels, positions, training, d_gamma, d_beta,
                               coefficients, coefficients + line, coefficients + 2 * line);
  pool_run(positions == 0 ? 0 : chunks, backward_apply_task, &job);
  return 0;
}
