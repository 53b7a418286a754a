/*
 * The threaded drivers of one ISA library (compiled once per ISA, names prefixed by isa_names.h), collected in its
 * table by isa_table.c. Work is cut into tasks by shape alone (thread_pool.h explains why): at most MAX_TASKS, each
 * worth at least TASK_MIN_FLOPS of arithmetic or TASK_MIN_ELEMENTS of memory traffic, so small layers run inline.
 */
#ifndef SEPCONV_NATIVE_THREADED_H
#define SEPCONV_NATIVE_THREADED_H

#include "../common.h"
#include "isa.h"
#include "scratch.h"
#include "thread_pool.h"

#define MAX_TASKS 64
#define TASK_MIN_FLOPS (1 << 20)
#define TASK_MIN_ELEMENTS (1 << 15)

/* How many tasks `work` is worth: work / min_work, clamped to [1, min(MAX_TASKS, max_parts)]. */
static inline int task_count(double work, double min_work, int max_parts) {
  double t = work / min_work;
  const int cap = imax(1, imin(MAX_TASKS, max_parts));
  return t < 1.0 ? 1 : t > (double)cap ? cap : (int)t;
}

/* Splits [0, total) into `parts` near-equal ranges; returns range `index` as [*begin, *end). */
static inline void split_range(size_t total, int parts, int index, size_t* begin, size_t* end) {
  *begin = total * (size_t)index / (size_t)parts;
  *end = total * (size_t)(index + 1) / (size_t)parts;
}

int native_matmul(const float* a, const float* b, const float* bias, float* c, int32_t m, int32_t k, int32_t n,
                  int32_t trans_a, int32_t trans_b);
int native_conv2d(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g);
int native_conv2d_backward_input(const float* dy, const float* w, float* dx, const sepconv_conv_geometry* g);
int native_conv2d_backward_filter(const float* x, const float* dy, float* dw, const sepconv_conv_geometry* g);

int native_depthwise_conv2d(const float* x, const float* w, const float* bias, float* y,
                            const sepconv_conv_geometry* g);
int native_depthwise_conv2d_backward_input(const float* dy, const float* w, float* dx, const sepconv_conv_geometry* g);
int native_depthwise_conv2d_backward_filter(const float* x, const float* dy, float* dw,
                                            const sepconv_conv_geometry* g);

int native_unary(int32_t kind, const float* x, float* y, size_t count, float alpha);
int native_unary_backward(int32_t kind, const float* x, const float* dy, float* dx, size_t count, float alpha);
int native_max_pool2d(const float* x, float* y, int32_t* argmax, const sepconv_pool_geometry* g);
int native_max_pool2d_backward(const float* dy, const int32_t* argmax, float* dx, const sepconv_pool_geometry* g);
int native_avg_pool2d(const float* x, float* y, const sepconv_pool_geometry* g, int32_t count_include_pad);
int native_avg_pool2d_backward(const float* dy, float* dx, const sepconv_pool_geometry* g, int32_t count_include_pad);

int native_channel_moments(const float* x, size_t positions, int32_t channels, float* mean, float* variance);
int native_batch_norm_forward(const float* x, const float* mean, const float* inv_std, const float* gamma,
                              const float* beta, float* y, size_t positions, int32_t channels);
int native_batch_norm_backward(const float* x, const float* dy, const float* mean, const float* inv_std,
                               const float* gamma, int32_t training, float* dx, float* d_gamma, float* d_beta,
                               size_t positions, int32_t channels);

double native_peak_flops(long rounds);

/* Compiled plans (plan_calls.c): one fused-kernel call [number, arguments...] over the arena at `base` (returns
 * what a size query returns, else 0), and a whole program; the _valid functions say (1 or 0) whether a call or
 * program of `length` ints is well formed with every offset inside an arena of `bytes`. */
double native_plan_call(char* base, const int32_t* call);
int native_plan_call_valid(const int32_t* call, size_t length, size_t bytes);
void native_plan_run(char* base, const int32_t* program);
int native_plan_valid(const int32_t* program, size_t length, size_t bytes);

#endif
