/*
 * One instruction set's kernels for the addon: the kernels of csrc/ compiled for that ISA (under prefixed names,
 * see isa_names.h) behind threaded drivers that split the work across the pool (thread_pool.h). Each ISA library
 * exports one table; the addon picks one at run time from what the CPU supports.
 *
 * Semantics and layouts are those of include/sepconv.h, minus workspaces (the drivers take scratch memory
 * themselves). Every entry returns 0, or SEPCONV_NATIVE_NO_MEMORY when its scratch memory cannot be allocated.
 */
#ifndef SEPCONV_NATIVE_ISA_H
#define SEPCONV_NATIVE_ISA_H

#include <stddef.h>
#include <stdint.h>

#include "../include/sepconv.h"

#define SEPCONV_NATIVE_NO_MEMORY (-1)

typedef struct sepconv_isa {
  const char* name; /* "sse2", "avx2", "avx512" */
  int lanes;        /* floats per vector */
  int (*matmul)(const float* a, const float* b, const float* bias, float* c, int32_t m, int32_t k, int32_t n,
                int32_t trans_a, int32_t trans_b);
  int (*conv2d)(const float* x, const float* w, const float* bias, float* y, const sepconv_conv_geometry* g);
  int (*conv2d_backward_input)(const float* dy, const float* w, float* dx, const sepconv_conv_geometry* g);
  int (*conv2d_backward_filter)(const float* x, const float* dy, float* dw, const sepconv_conv_geometry* g);
  int (*depthwise_conv2d)(const float* x, const float* w, const float* bias, float* y,
                          const sepconv_conv_geometry* g);
  int (*depthwise_conv2d_backward_input)(const float* dy, const float* w, float* dx, const sepconv_conv_geometry* g);
  int (*depthwise_conv2d_backward_filter)(const float* x, const float* dy, float* dw,
                                          const sepconv_conv_geometry* g);
  int (*unary)(int32_t kind, const float* x, float* y, size_t count, float alpha);
  int (*unary_backward)(int32_t kind, const float* x, const float* dy, float* dx, size_t count, float alpha);
  int (*max_pool2d)(const float* x, float* y, int32_t* argmax, const sepconv_pool_geometry* g);
  int (*max_pool2d_backward)(const float* dy, const int32_t* argmax, float* dx, const sepconv_pool_geometry* g);
  int (*avg_pool2d)(const float* x, float* y, const sepconv_pool_geometry* g, int32_t count_include_pad);
  int (*avg_pool2d_backward)(const float* dy, float* dx, const sepconv_pool_geometry* g, int32_t count_include_pad);
  int (*channel_moments)(const float* x, size_t positions, int32_t channels, float* mean, float* variance);
  int (*batch_norm_forward)(const float* x, const float* mean, const float* inv_std, const float* gamma,
                            const float* beta, float* y, size_t positions, int32_t channels);
  int (*batch_norm_backward)(const float* x, const float* dy, const float* mean, const float* inv_std,
                             const float* gamma, int32_t training, float* dx, float* d_gamma, float* d_beta,
                             size_t positions, int32_t channels);
  /* `rounds` rounds of independent multiply-adds on the calling thread; returns the flops done. */
  double (*peak_flops)(long rounds);
  /* Compiled plans: the fused kernels by call number over an arena (threaded.h, plan_calls.c). The packed weight
   * layout is the ISA's own, so a plan runs on the table it was loaded with. */
  double (*plan_call)(char* base, const int32_t* call);
  int (*plan_call_valid)(const int32_t* call, size_t length, size_t bytes);
  void (*plan_run)(char* base, const int32_t* program);
  int (*plan_valid)(const int32_t* program, size_t length, size_t bytes);
} sepconv_isa;

/* Tables built on x86-64 (csrc/native/isa_table.c compiled three times). */
extern const sepconv_isa sepconv_isa_sse2;
extern const sepconv_isa sepconv_isa_avx2;
extern const sepconv_isa sepconv_isa_avx512;

#endif
