/*
 * Threaded depthwise convolution. Tasks are bands of output rows (input rows for the gathered input gradient),
 * each run by the single-threaded kernel on a batch-1 sub-geometry of one image whose pad_top is shifted by the
 * band's first row (it may turn negative: the kernels test every input row against [0, in_h)). The filter
 * gradient sums over all pixels, so bands write per-band partials that are added in band order.
 */
#include "../f32-dwconv/dwconv.h"
#include "threaded.h"

/* Output rows [oh0, oh1) of one image as a batch-1 problem on that image's input. */
static sepconv_conv_geometry output_rows(const sepconv_conv_geometry* g, int oh0, int oh1) {
  sepconv_conv_geometry s = *g;
  s.batch = 1;
  s.out_h = oh1 - oh0;
  s.pad_top = g->pad_top - oh0 * g->stride_h;
  return s;
}

/* Input rows [ih0, ih1) of one image (for the gathered input gradient, which loops over input rows). */
static sepconv_conv_geometry input_rows(const sepconv_conv_geometry* g, int ih0, int ih1) {
  sepconv_conv_geometry s = *g;
  s.batch = 1;
  s.in_h = ih1 - ih0;
  s.pad_top = g->pad_top + ih0;
  return s;
}

/*
 * Task `band` covers an equal share of the images x rows rows; a share that crosses images is run as one piece per
 * image, `first` marking the band's first piece.
 */
typedef void (*band_fn)(const void* job, int image, int row0, int row1, int band, int first, int thread);

typedef struct band_job {
  const void* job;
  band_fn fn;
  int images, rows, tasks;
} band_job;

static void band_task(void* context, int task, int thread) {
  const band_job* b = context;
  size_t r0, r1;
  split_range((size_t)b->images * b->rows, b->tasks, task, &r0, &r1);
  for (int first = 1; r0 < r1; first = 0) {
    const int image = (int)(r0 / (size_t)b->rows), row0 = (int)(r0 % (size_t)b->rows);
    const int row1 = (int)((size_t)row0 + (r1 - r0) < (size_t)b->rows ? (size_t)row0 + (r1 - r0) : (size_t)b->rows);
    b->fn(b->job, image, row0, row1, task, first, thread);
    r0 += (size_t)(row1 - row0);
  }
}

static void run_bands(const void* job, band_fn fn, int images, int rows, int tasks) {
  band_job b = {job, fn, images, rows, tasks};
  pool_run(tasks, band_task, &b);
}

typedef struct dw_job {
  const float* x;
  const float* w;
  const float* bias;
  float* y;
  const sepconv_conv_geometry* g;
  float* workspaces;
  size_t workspace;
} dw_job;

static void forward_band(const void* context, int n, int oh0, int oh1, int band, int first, int thread) {
  const dw_job* j = context;
  const sepconv_conv_geometry* g = j->g;
  (void)band;
  (void)first;
  const sepconv_conv_geometry s = output_rows(g, oh0, oh1);
  sepconv_depthwise_conv2d(j->x + (size_t)n * g->in_h * g->in_w * g->in_c, j->w, j->bias,
                           j->y + ((size_t)n * g->out_h + oh0) * g->out_w * g->out_c, &s,
                           j->workspaces + (size_t)thread * j->workspace);
}

static int dw_tasks(const sepconv_conv_geometry* g, int rows) {
  const double flops = 2.0 * g->batch * g->out_h * g->out_w * g->out_c * g->k_h * g->k_w;
  return task_count(flops, TASK_MIN_FLOPS, g->batch * rows);
}

int native_depthwise_conv2d(const float* x, const float* w, const float* bias, float* y,
                            const sepconv_conv_geometry* g) {
  if (g->batch * g->out_h == 0) return 0;
  const size_t per_thread = scratch_round(sepconv_depthwise_conv2d_workspace(g));
  dw_job job = {x, w, bias, y, g, scratch_floats(per_thread * (size_t)pool_threads()), per_thread};
  if (job.workspaces == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  run_bands(&job, forward_band, g->batch, g->out_h, dw_tasks(g, g->out_h));
  return 0;
}

/*
 * The stride-1 input gradient as a forward depthwise conv of dy with the taps flipped and the padding mirrored,
 * under the conditions of csrc/f32-dwconv/dwconv_backward.c (which does the same single-threaded); 0 when it does
 * not apply.
 */
static int flipped_geometry(const sepconv_conv_geometry* g, sepconv_conv_geometry* f) {
  if (g->stride_h != 1 || f32_dwconv_specialised(g) == NULL || g->pad_top >= g->k_h || g->pad_left >= g->k_w)
    return 0;
  *f = *g;
  f->in_h = g->out_h;
  f->in_w = g->out_w;
  f->out_h = g->in_h;
  f->out_w = g->in_w;
  f->pad_top = g->k_h - 1 - g->pad_top;
  f->pad_left = g->k_w - 1 - g->pad_left;
  f->pad_bottom = g->in_h - g->out_h + g->pad_top;
  f->pad_right = g->in_w - g->out_w + g->pad_left;
  return 1;
}

static void gathered_input_band(const void* context, int n, int ih0, int ih1, int band, int first, int thread) {
  const dw_job* j = context;
  const sepconv_conv_geometry* g = j->g;
  (void)band;
  (void)first;
  (void)thread;
  const sepconv_conv_geometry s = input_rows(g, ih0, ih1);
  /* Not flippable, as g is not (s only has a larger pad_top), so the kernel takes its workspace-free path. */
  sepconv_depthwise_conv2d_backward_input(j->x + (size_t)n * g->out_h * g->out_w * g->out_c, j->w,
                                          j->y + ((size_t)n * g->in_h + ih0) * g->in_w * g->in_c, &s, NULL);
}

int native_depthwise_conv2d_backward_input(const float* dy, const float* w, float* dx,
                                           const sepconv_conv_geometry* g) {
  if (g->batch * g->in_h == 0) return 0;
  sepconv_conv_geometry f;
  if (!flipped_geometry(g, &f)) {
    const dw_job job = {dy, w, NULL, dx, g, NULL, 0};
    run_bands(&job, gathered_input_band, g->batch, g->in_h, dw_tasks(g, g->in_h));
    return 0;
  }
  const size_t taps = (size_t)g->k_h * g->k_w, C = (size_t)g->out_c;
  const size_t flipped = scratch_round(taps * C), per_thread = scratch_round(sepconv_depthwise_conv2d_workspace(&f));
  float* ws = scratch_floats(flipped + per_thread * (size_t)pool_threads());
  if (ws == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  for (size_t t = 0; t < taps; t++)
    for (size_t c = 0; c < C; c++) ws[(taps - 1 - t) * C + c] = w[t * C + c];
  dw_job job = {dy, ws, NULL, dx, &f, ws + flipped, per_thread};
  run_bands(&job, forward_band, f.batch, f.out_h, dw_tasks(g, g->in_h));
  return 0;
}

typedef struct filter_job {
  const float* x;
  const float* dy;
  const sepconv_conv_geometry* g;
  size_t size;     /* floats of dw, rounded to whole lines */
  float* partials; /* one dw per band */
  float* pieces;   /* one dw per thread, for a band's later pieces */
} filter_job;

static void filter_band(const void* context, int n, int oh0, int oh1, int band, int first, int thread) {
  const filter_job* j = context;
  const sepconv_conv_geometry* g = j->g;
  const sepconv_conv_geometry s = output_rows(g, oh0, oh1);
  float* partial = j->partials + (size_t)band * j->size;
  float* out = first ? partial : j->pieces + (size_t)thread * j->size;
  sepconv_depthwise_conv2d_backward_filter(j->x + (size_t)n * g->in_h * g->in_w * g->in_c,
                                           j->dy + ((size_t)n * g->out_h + oh0) * g->out_w * g->out_c, out, &s);
  if (!first)
    for (size_t i = 0; i < j->size; i++) partial[i] += out[i];
}

typedef struct sum_job {
  const float* partials;
  size_t size, stride;
  int count, parts;
  float* out;
} sum_job;

/* out = partial 0 + partial 1 + ... in that order, over one range of elements. */
static void sum_task(void* context, int task, int thread) {
  const sum_job* j = context;
  (void)thread;
  size_t i0, i1;
  split_range(j->size, j->parts, task, &i0, &i1);
  for (size_t i = i0; i < i1; i++) {
    float acc = j->partials[i];
    for (int p = 1; p < j->count; p++) acc += j->partials[(size_t)p * j->stride + i];
    j->out[i] = acc;
  }
}

int native_depthwise_conv2d_backward_filter(const float* x, const float* dy, float* dw,
                                            const sepconv_conv_geometry* g) {
  const size_t size = (size_t)g->k_h * g->k_w * g->out_c;
  const int bands = g->batch * g->out_h == 0 ? 1 : dw_tasks(g, g->out_h);
  if (bands == 1) {
    sepconv_depthwise_conv2d_backward_filter(x, dy, dw, g);
    return 0;
  }
  const size_t stride = scratch_round(size);
  filter_job job = {x, dy, g, stride, NULL, NULL};
  job.partials = scratch_floats(stride * ((size_t)bands + (size_t)pool_threads()));
  if (job.partials == NULL) return SEPCONV_NATIVE_NO_MEMORY;
  job.pieces = job.partials + stride * (size_t)bands;
  run_bands(&job, filter_band, g->batch, g->out_h, bands);
  sum_job sum = {job.partials, size, stride, bands, task_count((double)size * bands, TASK_MIN_ELEMENTS, (int)size), dw};
  pool_run(sum.parts, sum_task, &sum);
  return 0;
}
