/*
 * sepconv C kernels: the public entry points, shared by the WebAssembly build (scripts/build-wasm.sh) and, later,
 * the native Node-API addon. Every function works on caller-owned float32 buffers in NHWC layout with the same
 * semantics as the TypeScript reference backend (src/backend/js/); see src/backend/kernels.ts for the contract.
 *
 * Buffers never alias. Kernels that need scratch memory take a `workspace` of at least the number of floats that
 * the matching *_workspace function returns (16-byte aligned); the caller owns and reuses it.
 */
#ifndef SEPCONV_H
#define SEPCONV_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define SEPCONV_API __attribute__((visibility("default")))
#else
#define SEPCONV_API
#endif

/* Field order matches ConvGeometry in src/backend/kernels.ts (the JS side writes it as 18 int32s). */
typedef struct sepconv_conv_geometry {
  int32_t batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t groups;
} sepconv_conv_geometry;

/* Field order matches PoolGeometry in src/backend/kernels.ts (14 int32s). */
typedef struct sepconv_pool_geometry {
  int32_t batch, in_h, in_w, channels, out_h, out_w, k_h, k_w;
  int32_t stride_h, stride_w, pad_top, pad_left, pad_bottom, pad_right;
} sepconv_pool_geometry;

/* Numbering of UnaryKind (src/backend/kernels.ts); the JS side maps names to these. */
enum sepconv_unary_kind {
  SEPCONV_RELU = 0,
  SEPCONV_RELU6 = 1,
  SEPCONV_HARD_SWISH = 2,
  SEPCONV_SWISH = 3,
  SEPCONV_SIGMOID = 4,
  SEPCONV_HARD_SIGMOID = 5,
  SEPCONV_TANH = 6,
  SEPCONV_LEAKY_RELU = 7,
};

/* C[m,n] = op(A) op(B) (+ bias[n]); A is [m,k] ([k,m] if trans_a), B is [k,n] ([n,k] if trans_b). */
SEPCONV_API size_t sepconv_matmul_workspace(int32_t m, int32_t k, int32_t n);
SEPCONV_API void sepconv_matmul(const float* a, const float* b, const float* bias, float* c, int32_t m, int32_t k,
                                int32_t n, int32_t trans_a, int32_t trans_b, float* workspace);

/* Standard / grouped convolution. w [KH, KW, C_in/groups, C_out]. */
SEPCONV_API size_t sepconv_conv2d_workspace(const sepconv_conv_geometry* g);
SEPCONV_API void sepconv_conv2d(const float* x, const float* w, const float* bias, float* y,
                                const sepconv_conv_geometry* g, float* workspace);
SEPCONV_API size_t sepconv_conv2d_backward_input_workspace(const sepconv_conv_geometry* g);
SEPCONV_API void sepconv_conv2d_backward_input(const float* dy, const float* w, float* dx,
                                               const sepconv_conv_geometry* g, float* workspace);
SEPCONV_API size_t sepconv_conv2d_backward_filter_workspace(const sepconv_conv_geometry* g);
SEPCONV_API void sepconv_conv2d_backward_filter(const float* x, const float* dy, float* dw,
                                                const sepconv_conv_geometry* g, float* workspace);

/* Depthwise convolution (groups = C_in, C_out = C_in * M). w [KH, KW, C_out]. */
SEPCONV_API size_t sepconv_depthwise_conv2d_workspace(const sepconv_conv_geometry* g);
SEPCONV_API void sepconv_depthwise_conv2d(const float* x, const float* w, const float* bias, float* y,
                                          const sepconv_conv_geometry* g, float* workspace);
SEPCONV_API size_t sepconv_depthwise_conv2d_backward_input_workspace(const sepconv_conv_geometry* g);
SEPCONV_API void sepconv_depthwise_conv2d_backward_input(const float* dy, const float* w, float* dx,
                                                         const sepconv_conv_geometry* g, float* workspace);
SEPCONV_API void sepconv_depthwise_conv2d_backward_filter(const float* x, const float* dy, float* dw,
                                                          const sepconv_conv_geometry* g);

/* Element-wise activations; dx = dy * f'(x). */
SEPCONV_API void sepconv_unary(int32_t kind, const float* x, float* y, int32_t count, float alpha);
SEPCONV_API void sepconv_unary_backward(int32_t kind, const float* x, const float* dy, float* dx, int32_t count,
                                        float alpha);

/* Pooling. argmax holds the flat NHWC input index each max came from. */
SEPCONV_API void sepconv_max_pool2d(const float* x, float* y, int32_t* argmax, const sepconv_pool_geometry* g);
SEPCONV_API void sepconv_max_pool2d_backward(const float* dy, const int32_t* argmax, float* dx,
                                             const sepconv_pool_geometry* g);
SEPCONV_API void sepconv_avg_pool2d(const float* x, float* y, const sepconv_pool_geometry* g,
                                    int32_t count_include_pad);
SEPCONV_API void sepconv_avg_pool2d_backward(const float* dy, float* dx, const sepconv_pool_geometry* g,
                                             int32_t count_include_pad);

#endif
