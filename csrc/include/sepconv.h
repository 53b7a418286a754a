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

/* ==== Fused inference kernels (csrc/f32-fused/), run by compiled plans (src/plan/) ==========================
 * Weights are packed once when a plan is loaded (sepconv_fused_pack_*); each kernel then fuses its bias, an
 * activation and an optional residual add (the epilogue) into the pass that computes its output, while the output
 * is still in cache. `residual` and `scale` may be NULL. Outputs never alias inputs.
 */

/* Epilogue activation kinds: an enum sepconv_unary_kind value, or these two. */
#define SEPCONV_ACT_NONE (-1)
#define SEPCONV_ACT_CLIP 8 /* min(max(v, alpha), beta) */

/* What a fused kernel applies to each output value v = acc + bias: act(v) + residual, or act(v + residual). */
typedef struct sepconv_epilogue {
  int32_t act;                /* SEPCONV_ACT_NONE, a sepconv_unary_kind or SEPCONV_ACT_CLIP */
  float alpha;                /* leakyRelu slope; clip lower bound */
  float beta;                 /* clip upper bound */
  int32_t act_after_residual; /* 0: act(v) + residual; 1: act(v + residual) */
} sepconv_epilogue;

/* y = act(x) element-wise (x == y allowed). */
SEPCONV_API void sepconv_fused_activate(const float* x, float* y, int32_t count, const sepconv_epilogue* e);

/* Pointwise / linear: c[m, n] (row stride ldc) = epilogue(a[m, k] · w[k, n] + bias). `scale` (squeeze-and-
 * excitation, fused into the GEMM's A packing): row r of a is multiplied channel-wise by scale[(r / scale_rows) * k ..]
 * first. A block of columns [j0, j0 + n) of a wider output (j0 a multiple of sepconv_fused_gemm_nr()) takes
 * packed_w + j0 * k, bias + j0, residual + j0 and c + j0, with the full width as ldc (residual has the same stride). */
SEPCONV_API size_t sepconv_fused_gemm_packed_size(int32_t k, int32_t n);
SEPCONV_API void sepconv_fused_gemm_pack(const float* w, float* packed, int32_t k, int32_t n);
SEPCONV_API size_t sepconv_fused_gemm_workspace(void);
SEPCONV_API int32_t sepconv_fused_gemm_nr(void);
SEPCONV_API void sepconv_fused_gemm(const float* a, const float* packed_w, const float* bias, const float* scale,
                                    const float* residual, float* c, int32_t m, int32_t k, int32_t n, int32_t ldc,
                                    int32_t scale_rows, const sepconv_epilogue* e, float* workspace);

/* Standard / grouped convolution with prepacked weights (w [KH, KW, C_in/groups, C_out]). */
SEPCONV_API size_t sepconv_fused_conv2d_packed_size(const sepconv_conv_geometry* g);
SEPCONV_API void sepconv_fused_conv2d_pack(const float* w, float* packed, const sepconv_conv_geometry* g);
SEPCONV_API size_t sepconv_fused_conv2d_workspace(const sepconv_conv_geometry* g);
SEPCONV_API void sepconv_fused_conv2d(const float* x, const float* packed_w, const float* bias,
                                      const float* residual, float* y, const sepconv_conv_geometry* g,
                                      const sepconv_epilogue* e, float* workspace);

/* Depthwise convolution (w [KH, KW, C*M]) computed in bands of output rows, each finished by the epilogue while
 * it is in cache. */
SEPCONV_API size_t sepconv_fused_depthwise_workspace(const sepconv_conv_geometry* g);
SEPCONV_API void sepconv_fused_depthwise(const float* x, const float* w, const float* bias, const float* residual,
                                         float* y, const sepconv_conv_geometry* g, const sepconv_epilogue* e,
                                         float* workspace);

/* Depthwise -> pointwise over bands of rows: each band of the depthwise output (epilogue dw_e) stays in the
 * workspace and goes straight into the pointwise GEMM (w packed by sepconv_fused_gemm_pack with k = g->out_c),
 * whose epilogue pw_e may add `residual` [N, OH, OW, ldy]. y is [N, OH, OW, ldy], of which the call writes the first
 * n_out channels (ldy > n_out: a share of the columns, pw_packed and pw_bias then start at that share's panel). */
SEPCONV_API size_t sepconv_fused_dwpw_workspace(const sepconv_conv_geometry* g, int32_t n_out);
SEPCONV_API void sepconv_fused_dwpw(const float* x, const float* dw_w, const float* dw_bias,
                                    const sepconv_conv_geometry* g, const sepconv_epilogue* dw_e,
                                    const float* pw_packed, const float* pw_bias, int32_t n_out, int32_t ldy,
                                    const float* residual, float* y, const sepconv_epilogue* pw_e,
                                    float* workspace);

/* Element-wise steps a plan could not fuse: y = act(a + b); y = act(x * scale[c] + shift[c]) over [pixels, C];
 * y = x * gate[image, c] over [images, pixels, C] (an unfused squeeze-and-excitation multiply). */
SEPCONV_API void sepconv_fused_add(const float* a, const float* b, float* y, int32_t count, const sepconv_epilogue* e);
SEPCONV_API void sepconv_fused_channel_affine(const float* x, const float* scale, const float* shift, float* y,
                                              int32_t pixels, int32_t channels, const sepconv_epilogue* e);
SEPCONV_API void sepconv_fused_channel_scale(const float* x, const float* gate, float* y, int32_t images,
                                             int32_t pixels, int32_t channels);

/* ==== Batch norm (csrc/f32-bn/), the contract's channelMoments / batchNormForward / batchNormBackward ==========
 * x, y, dy and dx are [positions, channels] (NHWC with positions = N*H*W); per-channel vectors have `channels`
 * floats. Sums run in double. The workspaces are in floats, like every other *_workspace.
 */

/* Per-channel mean and biased variance (two passes: centred squares). */
SEPCONV_API size_t sepconv_channel_moments_workspace(int32_t channels);
SEPCONV_API void sepconv_channel_moments(const float* x, int32_t positions, int32_t channels, float* mean,
                                         float* variance, float* workspace);
/* y = gamma * (x - mean) * inv_std + beta. */
SEPCONV_API size_t sepconv_batch_norm_forward_workspace(int32_t channels);
SEPCONV_API void sepconv_batch_norm_forward(const float* x, const float* mean, const float* inv_std,
                                            const float* gamma, const float* beta, float* y, int32_t positions,
                                            int32_t channels, float* workspace);
/* d_gamma, d_beta and dx; with `training`, dx includes the paths through the batch mean and variance. */
SEPCONV_API size_t sepconv_batch_norm_backward_workspace(int32_t channels);
SEPCONV_API void sepconv_batch_norm_backward(const float* x, const float* dy, const float* mean,
                                             const float* inv_std, const float* gamma, int32_t training, float* dx,
                                             float* d_gamma, float* d_beta, int32_t positions, int32_t channels,
                                             float* workspace);

#endif
