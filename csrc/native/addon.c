/*
 * The Node-API addon (build/Release/sepconv_native.node): every kernel of src/backend/kernels.ts over the caller's
 * Float32Arrays in place (napi_get_typedarray_info, no copies), each result in a new Float32Array that the kernel
 * writes directly, or, for the forward kernels a planned pass runs, in an `out` array passed last. Geometry comes as the Int32Array fields of include/sepconv.h. Arguments are checked here (types,
 * lengths against the geometry, argmax indices) because a wrong length would be a write out of bounds; the ops
 * above have already checked shapes, so a failure here is a bug and throws a plain TypeError or RangeError.
 *
 * Kernel calls are serialised by a mutex (the addon may be loaded by several worker threads, and they share one
 * thread pool and one scratch buffer). The ISA is the widest the CPU runs, or the one setIsa chose; kernels
 * vectorised over channels (depthwise, pooling, batch norm) may step down to a narrower ISA whose width divides
 * the channel count.
 */
#define _POSIX_C_SOURCE 200809L
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "isa_select.h"
#include "thread_pool.h"

/* Bumped when the JS-facing functions change; src/backend/native/load.ts checks it. */
#define SEPCONV_NATIVE_ABI 2

#define CONV_FIELDS 18
#define POOL_FIELDS 14
#define MAX_THREADS 256
#define MAX_ELEMENTS 2147483647.0 /* argmax indices and the kernels' int32 counts */

static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static const sepconv_isa* runnable[SEPCONV_MAX_ISAS];
static int runnable_count = 0;
static int chosen = 0; /* index into runnable: the widest ISA kernels use */

/* ---- argument helpers: each returns 0 after throwing ---- */

/* `count` arguments, plus one optional trailing output array (argv[count], undefined when absent). */
#define ARGS(count)                                                     \
  napi_value argv[count + 1];                                           \
  size_t argc = count + 1;                                              \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) \
    return NULL;                                                        \
  if (argc < count) {                                                   \
    napi_throw_type_error(env, NULL, "sepconv native: too few arguments"); \
    return NULL;                                                        \
  }

static int fail(napi_env env, int range, const char* kernel, const char* message) {
  char text[256];
  snprintf(text, sizeof text, "sepconv native %s: %s", kernel, message);
  if (range) napi_throw_range_error(env, NULL, text);
  else napi_throw_type_error(env, NULL, text);
  return 0;
}

static int typed(napi_env env, napi_value v, napi_typedarray_type want, const char* kernel, const char* what,
                 void** data, size_t* length) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, length, data, NULL, NULL) != napi_ok || type != want) {
    char text[128];
    snprintf(text, sizeof text, "%s must be %s", what, want == napi_float32_array ? "a Float32Array" : "an Int32Array");
    return fail(env, 0, kernel, text);
  }
  return 1;
}

/* A Float32Array of exactly `expected` floats (any length if expected is (size_t)-1). */
static int floats(napi_env env, napi_value v, const char* kernel, const char* what, size_t expected, float** data,
                  size_t* length) {
  size_t n = 0;
  void* p = NULL;
  if (!typed(env, v, napi_float32_array, kernel, what, &p, &n)) return 0;
  if (expected != (size_t)-1 && n != expected) {
    char text[160];
    snprintf(text, sizeof text, "%s has %zu floats, the geometry needs %zu", what, n, expected);
    return fail(env, 1, kernel, text);
  }
  *data = p;
  if (length != NULL) *length = n;
  return 1;
}

/* null, or a Float32Array of `expected` floats. */
static int optional_floats(napi_env env, napi_value v, const char* kernel, const char* what, size_t expected,
                           float** data) {
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok) return 0;
  if (type == napi_null || type == napi_undefined) {
    *data = NULL;
    return 1;
  }
  return floats(env, v, kernel, what, expected, data, NULL);
}

static int int32_arg(napi_env env, napi_value v, const char* kernel, const char* what, int32_t* out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    char text[96];
    snprintf(text, sizeof text, "%s must be a number", what);
    return fail(env, 0, kernel, text);
  }
  return 1;
}

static int bool_arg(napi_env env, napi_value v, const char* kernel, const char* what, int32_t* out) {
  bool b = false;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    char text[96];
    snprintf(text, sizeof text, "%s must be a boolean", what);
    return fail(env, 0, kernel, text);
  }
  *out = b ? 1 : 0;
  return 1;
}

static int float_arg(napi_env env, napi_value v, const char* kernel, const char* what, float* out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok) {
    char text[96];
    snprintf(text, sizeof text, "%s must be a number", what);
    return fail(env, 0, kernel, text);
  }
  *out = (float)d;
  return 1;
}

/* The element count of a product of dimensions, refused above MAX_ELEMENTS. */
static int size_of(napi_env env, const char* kernel, const char* what, double count, size_t* out) {
  if (count > MAX_ELEMENTS) {
    char text[128];
    snprintf(text, sizeof text, "%s would have %.0f elements, more than 2^31 - 1", what, count);
    return fail(env, 1, kernel, text);
  }
  *out = (size_t)count;
  return 1;
}

/* A new Float32Array of `count` floats; *data points at its storage. */
static napi_value new_floats(napi_env env, size_t count, float** data) {
  *data = NULL;
  napi_value buffer, array;
  void* p = NULL;
  if (napi_create_arraybuffer(env, count * sizeof(float), &p, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_float32_array, count, buffer, 0, &array) != napi_ok)
    return NULL;
  *data = p;
  return array;
}

typedef struct span {
  const void* at;
  size_t bytes;
} span;

/*
 * The result of a forward kernel: `out` when the caller passed one (a Float32Array of exactly `count` floats that
 * overlaps none of the inputs), so a planned pass can reuse its buffers; otherwise a new array.
 */
static napi_value result_floats(napi_env env, napi_value out, const char* kernel, size_t count, float** data,
                                const span* inputs, int input_count) {
  napi_valuetype type;
  if (napi_typeof(env, out, &type) != napi_ok) return NULL;
  if (type == napi_undefined || type == napi_null) return new_floats(env, count, data);
  if (!floats(env, out, kernel, "out", count, data, NULL)) return NULL;
  const char* o = (const char*)*data;
  for (int i = 0; i < input_count; i++) {
    const char* in = inputs[i].at;
    if (in != NULL && o < in + inputs[i].bytes && in < o + count * sizeof(float))
      return fail(env, 1, kernel, "out must not overlap an input"), NULL;
  }
  return out;
}

static napi_value new_int32s(napi_env env, size_t count, int32_t** data) {
  *data = NULL;
  napi_value buffer, array;
  void* p = NULL;
  if (napi_create_arraybuffer(env, count * sizeof(int32_t), &p, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, count, buffer, 0, &array) != napi_ok)
    return NULL;
  *data = p;
  return array;
}

/* { names[0]: values[0], ... } */
static napi_value object_of(napi_env env, int count, const char* const* names, const napi_value* values) {
  napi_value object;
  if (napi_create_object(env, &object) != napi_ok) return NULL;
  for (int i = 0; i < count; i++)
    if (values[i] == NULL || napi_set_named_property(env, object, names[i], values[i]) != napi_ok) return NULL;
  return object;
}

static int conv_geometry(napi_env env, napi_value v, const char* kernel, int depthwise, sepconv_conv_geometry* g) {
  int32_t* f = NULL;
  size_t n = 0;
  if (!typed(env, v, napi_int32_array, kernel, "geometry", (void**)&f, &n)) return 0;
  if (n != CONV_FIELDS) return fail(env, 1, kernel, "geometry must have 18 int32 fields (ConvGeometry order)");
  memcpy(g, f, sizeof *g);
  const int ok = g->batch >= 0 && g->in_h >= 0 && g->in_w >= 0 && g->in_c >= 0 && g->out_h >= 0 && g->out_w >= 0 &&
                 g->out_c >= 0 && g->k_h >= 1 && g->k_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1 &&
                 g->dilation_h >= 1 && g->dilation_w >= 1 && g->pad_top >= 0 && g->pad_left >= 0 &&
                 g->pad_bottom >= 0 && g->pad_right >= 0 && g->groups >= 1 && g->in_c % g->groups == 0 &&
                 g->out_c % g->groups == 0;
  if (!ok) return fail(env, 1, kernel, "geometry has a negative size, a zero kernel/stride/dilation or bad groups");
  if (depthwise && (g->groups != g->in_c || g->in_c == 0 || g->out_c % g->in_c != 0))
    return fail(env, 1, kernel, "depthwise geometry needs groups = in_c and out_c a multiple of in_c");
  return 1;
}

static int pool_geometry(napi_env env, napi_value v, const char* kernel, sepconv_pool_geometry* g) {
  int32_t* f = NULL;
  size_t n = 0;
  if (!typed(env, v, napi_int32_array, kernel, "geometry", (void**)&f, &n)) return 0;
  if (n != POOL_FIELDS) return fail(env, 1, kernel, "geometry must have 14 int32 fields (PoolGeometry order)");
  memcpy(g, f, sizeof *g);
  const int ok = g->batch >= 0 && g->in_h >= 0 && g->in_w >= 0 && g->channels >= 0 && g->out_h >= 0 &&
                 g->out_w >= 0 && g->k_h >= 1 && g->k_w >= 1 && g->stride_h >= 1 && g->stride_w >= 1 &&
                 g->pad_top >= 0 && g->pad_left >= 0 && g->pad_bottom >= 0 && g->pad_right >= 0;
  if (!ok) return fail(env, 1, kernel, "geometry has a negative size or a zero kernel/stride");
  /* Every window must overlap the input (an empty max window would read outside it). */
  const int rows_ok = g->out_h == 0 || (g->pad_top < g->k_h && (g->out_h - 1) * g->stride_h - g->pad_top < g->in_h);
  const int cols_ok = g->out_w == 0 || (g->pad_left < g->k_w && (g->out_w - 1) * g->stride_w - g->pad_left < g->in_w);
  if (!rows_ok || !cols_ok) return fail(env, 1, kernel, "geometry has a pooling window outside the input");
  return 1;
}

static int conv_sizes(napi_env env, const char* kernel, const sepconv_conv_geometry* g, size_t* in, size_t* out,
                      size_t* weights, int depthwise) {
  return size_of(env, kernel, "x", (double)g->batch * g->in_h * g->in_w * g->in_c, in) &&
         size_of(env, kernel, "y", (double)g->batch * g->out_h * g->out_w * g->out_c, out) &&
         size_of(env, kernel, "w",
                 (double)g->k_h * g->k_w * (depthwise ? 1.0 : (double)(g->in_c / g->groups)) * g->out_c, weights);
}

static int pool_sizes(napi_env env, const char* kernel, const sepconv_pool_geometry* g, size_t* in, size_t* out) {
  return size_of(env, kernel, "x", (double)g->batch * g->in_h * g->in_w * g->channels, in) &&
         size_of(env, kernel, "y", (double)g->batch * g->out_h * g->out_w * g->channels, out);
}

/* ---- ISA choice ---- */

static const sepconv_isa* isa(void) { return runnable[chosen]; }

/* For kernels vectorised over channels: the widest ISA (up to the chosen one) with at least 8 lanes that divide
 * the channel count, else the chosen one; 24 channels run as three AVX2 vectors, not one AVX-512 vector and eight
 * scalar channels. */
static const sepconv_isa* isa_for_channels(int channels) {
  for (int i = chosen; i < runnable_count; i++)
    if (runnable[i]->lanes >= 8 && channels % runnable[i]->lanes == 0) return runnable[i];
  return isa();
}

/* Runs a kernel call under the lock; throws on a failed allocation. */
#define CALL(kernel, expression)                                                        \
  do {                                                                                  \
    pthread_mutex_lock(&call_lock);                                                     \
    const int status_ = (expression);                                                   \
    pthread_mutex_unlock(&call_lock);                                                   \
    if (status_ != 0) {                                                                 \
      napi_throw_error(env, NULL, "sepconv native " kernel ": out of memory for scratch buffers"); \
      return NULL;                                                                      \
    }                                                                                   \
  } while (0)

/* ---- kernels ---- */

static napi_value js_matmul(napi_env env, napi_callback_info info) {
  ARGS(8)
  int32_t m, k, n, ta, tb;
  float *a, *b, *bias, *c;
  size_t sa, sb, sc;
  if (!int32_arg(env, argv[3], "matmul", "m", &m) || !int32_arg(env, argv[4], "matmul", "k", &k) ||
      !int32_arg(env, argv[5], "matmul", "n", &n) || !bool_arg(env, argv[6], "matmul", "transA", &ta) ||
      !bool_arg(env, argv[7], "matmul", "transB", &tb))
    return NULL;
  if (m < 0 || k < 0 || n < 0) return fail(env, 1, "matmul", "m, k and n must be >= 0"), NULL;
  if (!size_of(env, "matmul", "a", (double)m * k, &sa) || !size_of(env, "matmul", "b", (double)k * n, &sb) ||
      !size_of(env, "matmul", "c", (double)m * n, &sc) || !floats(env, argv[0], "matmul", "a", sa, &a, NULL) ||
      !floats(env, argv[1], "matmul", "b", sb, &b, NULL) ||
      !optional_floats(env, argv[2], "matmul", "bias", (size_t)n, &bias))
    return NULL;
  const span inputs[3] = {{a, sa * 4}, {b, sb * 4}, {bias, bias != NULL ? (size_t)n * 4 : 0}};
  napi_value out = result_floats(env, argv[8], "matmul", sc, &c, inputs, 3);
  if (out == NULL) return NULL;
  CALL("matmul", isa()->matmul(a, b, bias, c, m, k, n, ta, tb));
  return out;
}

/* conv2d and depthwiseConv2d: (x, w, bias, geometry) -> y */
static napi_value conv_forward(napi_env env, napi_callback_info info, int depthwise) {
  const char* kernel = depthwise ? "depthwiseConv2d" : "conv2d";
  ARGS(4)
  sepconv_conv_geometry g;
  size_t sx, sy, sw;
  float *x, *w, *bias, *y;
  if (!conv_geometry(env, argv[3], kernel, depthwise, &g) || !conv_sizes(env, kernel, &g, &sx, &sy, &sw, depthwise) ||
      !floats(env, argv[0], kernel, "x", sx, &x, NULL) || !floats(env, argv[1], kernel, "w", sw, &w, NULL) ||
      !optional_floats(env, argv[2], kernel, "bias", (size_t)g.out_c, &bias))
    return NULL;
  const span inputs[3] = {{x, sx * 4}, {w, sw * 4}, {bias, bias != NULL ? (size_t)g.out_c * 4 : 0}};
  napi_value out = result_floats(env, argv[4], kernel, sy, &y, inputs, 3);
  if (out == NULL) return NULL;
  if (depthwise) CALL("depthwiseConv2d", isa_for_channels(g.out_c)->depthwise_conv2d(x, w, bias, y, &g));
  else CALL("conv2d", isa()->conv2d(x, w, bias, y, &g));
  return out;
}

static napi_value js_conv2d(napi_env env, napi_callback_info info) { return conv_forward(env, info, 0); }
static napi_value js_depthwise_conv2d(napi_env env, napi_callback_info info) { return conv_forward(env, info, 1); }

/* (dy, w, geometry) -> dx */
static napi_value conv_backward_input(napi_env env, napi_callback_info info, int depthwise) {
  const char* kernel = depthwise ? "depthwiseConv2dBackwardInput" : "conv2dBackwardInput";
  ARGS(3)
  sepconv_conv_geometry g;
  size_t sx, sy, sw;
  float *dy, *w, *dx;
  if (!conv_geometry(env, argv[2], kernel, depthwise, &g) || !conv_sizes(env, kernel, &g, &sx, &sy, &sw, depthwise) ||
      !floats(env, argv[0], kernel, "dy", sy, &dy, NULL) || !floats(env, argv[1], kernel, "w", sw, &w, NULL))
    return NULL;
  napi_value out = new_floats(env, sx, &dx);
  if (out == NULL) return NULL;
  if (depthwise)
    CALL("depthwiseConv2dBackwardInput", isa_for_channels(g.out_c)->depthwise_conv2d_backward_input(dy, w, dx, &g));
  else CALL("conv2dBackwardInput", isa()->conv2d_backward_input(dy, w, dx, &g));
  return out;
}

static napi_value js_conv2d_backward_input(napi_env env, napi_callback_info info) {
  return conv_backward_input(env, info, 0);
}
static napi_value js_depthwise_conv2d_backward_input(napi_env env, napi_callback_info info) {
  return conv_backward_input(env, info, 1);
}

/* (x, dy, geometry) -> dw */
static napi_value conv_backward_filter(napi_env env, napi_callback_info info, int depthwise) {
  const char* kernel = depthwise ? "depthwiseConv2dBackwardFilter" : "conv2dBackwardFilter";
  ARGS(3)
  sepconv_conv_geometry g;
  size_t sx, sy, sw;
  float *x, *dy, *dw;
  if (!conv_geometry(env, argv[2], kernel, depthwise, &g) || !conv_sizes(env, kernel, &g, &sx, &sy, &sw, depthwise) ||
      !floats(env, argv[0], kernel, "x", sx, &x, NULL) || !floats(env, argv[1], kernel, "dy", sy, &dy, NULL))
    return NULL;
  napi_value out = new_floats(env, sw, &dw);
  if (out == NULL) return NULL;
  if (depthwise)
    CALL("depthwiseConv2dBackwardFilter", isa_for_channels(g.out_c)->depthwise_conv2d_backward_filter(x, dy, dw, &g));
  else CALL("conv2dBackwardFilter", isa()->conv2d_backward_filter(x, dy, dw, &g));
  return out;
}

static napi_value js_conv2d_backward_filter(napi_env env, napi_callback_info info) {
  return conv_backward_filter(env, info, 0);
}
static napi_value js_depthwise_conv2d_backward_filter(napi_env env, napi_callback_info info) {
  return conv_backward_filter(env, info, 1);
}

/* (kind, x, alpha) -> y; (kind, x, dy, alpha) -> dx. `kind` is enum sepconv_unary_kind. */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  ARGS(3)
  int32_t kind;
  float alpha, *x, *y;
  size_t n;
  if (!int32_arg(env, argv[0], "unary", "kind", &kind) || !floats(env, argv[1], "unary", "x", (size_t)-1, &x, &n) ||
      !float_arg(env, argv[2], "unary", "alpha", &alpha))
    return NULL;
  if (kind < SEPCONV_RELU || kind > SEPCONV_LEAKY_RELU) return fail(env, 1, "unary", "unknown activation kind"), NULL;
  const span inputs[1] = {{x, n * 4}};
  napi_value out = result_floats(env, argv[3], "unary", n, &y, inputs, 1);
  if (out == NULL) return NULL;
  CALL("unary", isa()->unary(kind, x, y, n, alpha));
  return out;
}

static napi_value js_unary_backward(napi_env env, napi_callback_info info) {
  ARGS(4)
  int32_t kind;
  float alpha, *x, *dy, *dx;
  size_t n;
  if (!int32_arg(env, argv[0], "unaryBackward", "kind", &kind) ||
      !floats(env, argv[1], "unaryBackward", "x", (size_t)-1, &x, &n) ||
      !floats(env, argv[2], "unaryBackward", "dy", n, &dy, NULL) ||
      !float_arg(env, argv[3], "unaryBackward", "alpha", &alpha))
    return NULL;
  if (kind < SEPCONV_RELU || kind > SEPCONV_LEAKY_RELU)
    return fail(env, 1, "unaryBackward", "unknown activation kind"), NULL;
  napi_value out = new_floats(env, n, &dx);
  if (out == NULL) return NULL;
  CALL("unaryBackward", isa()->unary_backward(kind, x, dy, dx, n, alpha));
  return out;
}

/* (x, geometry) -> { y, argmax } */
static napi_value js_max_pool2d(napi_env env, napi_callback_info info) {
  ARGS(2)
  sepconv_pool_geometry g;
  size_t sx, sy;
  float *x, *y;
  int32_t* argmax;
  if (!pool_geometry(env, argv[1], "maxPool2d", &g) || !pool_sizes(env, "maxPool2d", &g, &sx, &sy) ||
      !floats(env, argv[0], "maxPool2d", "x", sx, &x, NULL))
    return NULL;
  napi_value values[2] = {new_floats(env, sy, &y), new_int32s(env, sy, &argmax)};
  if (values[0] == NULL || values[1] == NULL) return NULL;
  CALL("maxPool2d", isa_for_channels(g.channels)->max_pool2d(x, y, argmax, &g));
  static const char* const names[2] = {"y", "argmax"};
  return object_of(env, 2, names, values);
}

/* (dy, argmax, geometry) -> dx */
static napi_value js_max_pool2d_backward(napi_env env, napi_callback_info info) {
  ARGS(3)
  sepconv_pool_geometry g;
  size_t sx, sy, n = 0;
  float *dy, *dx;
  int32_t* argmax = NULL;
  if (!pool_geometry(env, argv[2], "maxPool2dBackward", &g) || !pool_sizes(env, "maxPool2dBackward", &g, &sx, &sy) ||
      !floats(env, argv[0], "maxPool2dBackward", "dy", sy, &dy, NULL) ||
      !typed(env, argv[1], napi_int32_array, "maxPool2dBackward", "argmax", (void**)&argmax, &n))
    return NULL;
  if (n != sy) return fail(env, 1, "maxPool2dBackward", "argmax must have one index per output"), NULL;
  for (size_t i = 0; i < n; i++)
    if (argmax[i] < 0 || (size_t)argmax[i] >= sx)
      return fail(env, 1, "maxPool2dBackward", "argmax holds an index outside the input"), NULL;
  napi_value out = new_floats(env, sx, &dx);
  if (out == NULL) return NULL;
  CALL("maxPool2dBackward", isa_for_channels(g.channels)->max_pool2d_backward(dy, argmax, dx, &g));
  return out;
}

/* (x, geometry, countIncludePad) -> y */
static napi_value js_avg_pool2d(napi_env env, napi_callback_info info) {
  ARGS(3)
  sepconv_pool_geometry g;
  size_t sx, sy;
  float *x, *y;
  int32_t include;
  if (!pool_geometry(env, argv[1], "avgPool2d", &g) || !pool_sizes(env, "avgPool2d", &g, &sx, &sy) ||
      !floats(env, argv[0], "avgPool2d", "x", sx, &x, NULL) ||
      !bool_arg(env, argv[2], "avgPool2d", "countIncludePad", &include))
    return NULL;
  const span inputs[1] = {{x, sx * 4}};
  napi_value out = result_floats(env, argv[3], "avgPool2d", sy, &y, inputs, 1);
  if (out == NULL) return NULL;
  CALL("avgPool2d", isa_for_channels(g.channels)->avg_pool2d(x, y, &g, include));
  return out;
}

/* (dy, geometry, countIncludePad) -> dx */
static napi_value js_avg_pool2d_backward(napi_env env, napi_callback_info info) {
  ARGS(3)
  sepconv_pool_geometry g;
  size_t sx, sy;
  float *dy, *dx;
  int32_t include;
  if (!pool_geometry(env, argv[1], "avgPool2dBackward", &g) || !pool_sizes(env, "avgPool2dBackward", &g, &sx, &sy) ||
      !floats(env, argv[0], "avgPool2dBackward", "dy", sy, &dy, NULL) ||
      !bool_arg(env, argv[2], "avgPool2dBackward", "countIncludePad", &include))
    return NULL;
  napi_value out = new_floats(env, sx, &dx);
  if (out == NULL) return NULL;
  CALL("avgPool2dBackward", isa_for_channels(g.channels)->avg_pool2d_backward(dy, dx, &g, include));
  return out;
}

/* x viewed as [positions, channels]: `channels` must divide its length. */
static int positions_of(napi_env env, const char* kernel, size_t length, int32_t channels, size_t* positions) {
  if (channels < 1 || length % (size_t)channels != 0)
    return fail(env, 1, kernel, "the channel count must be >= 1 and divide the length of x");
  *positions = length / (size_t)channels;
  return 1;
}

/* (x, channels) -> { mean, variance } */
static napi_value js_channel_moments(napi_env env, napi_callback_info info) {
  ARGS(2)
  int32_t channels;
  size_t n, positions;
  float *x, *mean, *variance;
  if (!floats(env, argv[0], "channelMoments", "x", (size_t)-1, &x, &n) ||
      !int32_arg(env, argv[1], "channelMoments", "channels", &channels) ||
      !positions_of(env, "channelMoments", n, channels, &positions))
    return NULL;
  napi_value values[2] = {new_floats(env, (size_t)channels, &mean), new_floats(env, (size_t)channels, &variance)};
  if (values[0] == NULL || values[1] == NULL) return NULL;
  CALL("channelMoments", isa_for_channels(channels)->channel_moments(x, positions, channels, mean, variance));
  static const char* const names[2] = {"mean", "variance"};
  return object_of(env, 2, names, values);
}

/* The per-channel vectors of the batch-norm kernels: `count` Float32Arrays of `channels` floats. */
static int channel_vectors(napi_env env, const char* kernel, const napi_value* args, const char* const* what,
                           int count, size_t channels, float** out) {
  for (int i = 0; i < count; i++)
    if (!floats(env, args[i], kernel, what[i], channels, &out[i], NULL)) return 0;
  return 1;
}

/* (x, mean, invStd, gamma, beta) -> y */
static napi_value js_batch_norm_forward(napi_env env, napi_callback_info info) {
  ARGS(5)
  float *x, *y, *v[4];
  size_t n, positions, channels = 0;
  void* probe;
  static const char* const what[4] = {"mean", "invStd", "gamma", "beta"};
  if (!floats(env, argv[0], "batchNormForward", "x", (size_t)-1, &x, &n) ||
      !typed(env, argv[1], napi_float32_array, "batchNormForward", "mean", &probe, &channels) ||
      !positions_of(env, "batchNormForward", n, (int32_t)channels, &positions) ||
      !channel_vectors(env, "batchNormForward", argv + 1, what, 4, channels, v))
    return NULL;
  const span inputs[5] = {{x, n * 4}, {v[0], channels * 4}, {v[1], channels * 4}, {v[2], channels * 4},
                          {v[3], channels * 4}};
  napi_value out = result_floats(env, argv[5], "batchNormForward", n, &y, inputs, 5);
  if (out == NULL) return NULL;
  CALL("batchNormForward",
       isa_for_channels((int)channels)->batch_norm_forward(x, v[0], v[1], v[2], v[3], y, positions, (int32_t)channels));
  return out;
}

/* (x, dy, mean, invStd, gamma, training) -> { dx, dGamma, dBeta } */
static napi_value js_batch_norm_backward(napi_env env, napi_callback_info info) {
  ARGS(6)
  float *x, *dy, *dx, *dgamma, *dbeta, *v[3];
  size_t n, positions, channels = 0;
  int32_t training;
  void* probe;
  static const char* const what[3] = {"mean", "invStd", "gamma"};
  if (!floats(env, argv[0], "batchNormBackward", "x", (size_t)-1, &x, &n) ||
      !floats(env, argv[1], "batchNormBackward", "dy", n, &dy, NULL) ||
      !typed(env, argv[2], napi_float32_array, "batchNormBackward", "mean", &probe, &channels) ||
      !positions_of(env, "batchNormBackward", n, (int32_t)channels, &positions) ||
      !channel_vectors(env, "batchNormBackward", argv + 2, what, 3, channels, v) ||
      !bool_arg(env, argv[5], "batchNormBackward", "training", &training))
    return NULL;
  napi_value values[3] = {new_floats(env, n, &dx), new_floats(env, channels, &dgamma), new_floats(env, channels, &dbeta)};
  if (values[0] == NULL || values[1] == NULL || values[2] == NULL) return NULL;
  CALL("batchNormBackward", isa_for_channels((int)channels)->batch_norm_backward(
                                x, dy, v[0], v[1], v[2], training, dx, dgamma, dbeta, positions, (int32_t)channels));
  static const char* const names[3] = {"dx", "dGamma", "dBeta"};
  return object_of(env, 3, names, values);
}

/* ---- compiled plans (src/plan/native_executor.ts) ---- */

#define PLAN_ALIGN 64
#define MAX_PLAN_CALL 16

static void free_arena(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* (bytes) -> a zeroed ArrayBuffer over 64-byte aligned memory, freed when it is collected (or detached). */
static napi_value js_plan_arena(napi_env env, napi_callback_info info) {
  ARGS(1)
  double bytes = 0;
  if (napi_get_value_double(env, argv[0], &bytes) != napi_ok || !(bytes >= 1 && bytes <= MAX_ELEMENTS))
    return fail(env, 1, "planArena", "bytes must be in 1..2^31-1"), NULL;
  const size_t size = ((size_t)bytes + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN;
  void* data = aligned_alloc(PLAN_ALIGN, size);
  if (data == NULL) {
    napi_throw_error(env, NULL, "sepconv native planArena: out of memory");
    return NULL;
  }
  memset(data, 0, size);
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, data, (size_t)bytes, free_arena, NULL, &buffer) != napi_ok) {
    free(data);
    return NULL;
  }
  return buffer;
}

/* (arena) -> detaches it, so that no view reads it after the plan is disposed. */
static napi_value js_plan_release(napi_env env, napi_callback_info info) {
  ARGS(1)
  bool detached = true;
  if (napi_is_detached_arraybuffer(env, argv[0], &detached) == napi_ok && !detached)
    napi_detach_arraybuffer(env, argv[0]);
  return NULL;
}

static int plan_args(napi_env env, napi_value buffer, napi_value isa_index, napi_value call, const char* kernel,
                     char** base, size_t* bytes, const sepconv_isa** table, int32_t** ints, size_t* count) {
  int32_t index = -1;
  if (napi_get_arraybuffer_info(env, buffer, (void**)base, bytes) != napi_ok)
    return fail(env, 0, kernel, "the arena must be an ArrayBuffer");
  if (napi_get_value_int32(env, isa_index, &index) != napi_ok || index < 0 || index >= runnable_count)
    return fail(env, 1, kernel, "isa must index isas()");
  *table = runnable[index];
  return typed(env, call, napi_int32_array, kernel, "the program", (void**)ints, count);
}

/* (buffer, isa index, Int32Array [call number, arguments...]) -> what the call returns (sizes), offsets as pointers. */
static napi_value js_plan_call(napi_env env, napi_callback_info info) {
  ARGS(3)
  char* base;
  size_t bytes, count;
  const sepconv_isa* table;
  int32_t* call;
  if (!plan_args(env, argv[0], argv[1], argv[2], "planCall", &base, &bytes, &table, &call, &count)) return NULL;
  if (base == NULL || count > MAX_PLAN_CALL || !table->plan_call_valid(call, count, bytes))
    return fail(env, 1, "planCall", "unknown call number, wrong argument count, or an offset outside the arena"), NULL;
  pthread_mutex_lock(&call_lock);
  const double result = table->plan_call(base, call);
  pthread_mutex_unlock(&call_lock);
  napi_value v;
  napi_create_double(env, result, &v);
  return v;
}

/* (arena, isa index, program, threads) -> runs the program (plan_calls.c) on the addon's threads, first growing
 * the pool to the plan's thread count if setThreads left it smaller. */
static napi_value js_plan_run(napi_env env, napi_callback_info info) {
  ARGS(4)
  char* base;
  size_t bytes, count;
  const sepconv_isa* table;
  int32_t* program;
  int32_t threads;
  if (!plan_args(env, argv[0], argv[1], argv[2], "planRun", &base, &bytes, &table, &program, &count) ||
      !int32_arg(env, argv[3], "planRun", "threads", &threads))
    return NULL;
  if (base == NULL || count < 1) return fail(env, 1, "planRun", "the arena was released or the program is empty"), NULL;
  if (!table->plan_valid(program, count, bytes))
    return fail(env, 1, "planRun", "malformed program: a part or call outside it, or an offset outside the arena"), NULL;
  if (threads < 1 || threads > MAX_THREADS) return fail(env, 1, "planRun", "threads must be in 1..256"), NULL;
  pthread_mutex_lock(&call_lock);
  const int status = pool_threads() < threads ? pool_set_threads(threads) : 0;
  if (status == 0) table->plan_run(base, program);
  pthread_mutex_unlock(&call_lock);
  if (status != 0) napi_throw_error(env, NULL, "sepconv native planRun: could not start the threads");
  return NULL;
}

/* ---- configuration ---- */

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  ARGS(1)
  int32_t threads;
  if (!int32_arg(env, argv[0], "setThreads", "threads", &threads)) return NULL;
  if (threads < 1 || threads > MAX_THREADS) return fail(env, 1, "setThreads", "threads must be in 1..256"), NULL;
  pthread_mutex_lock(&call_lock);
  const int status = pool_set_threads(threads);
  pthread_mutex_unlock(&call_lock);
  if (status != 0) napi_throw_error(env, NULL, "sepconv native setThreads: could not start the threads");
  return NULL;
}

static napi_value js_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, pool_threads(), &v);
  return v;
}

static napi_value js_isas(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value list;
  if (napi_create_array_with_length(env, (size_t)runnable_count, &list) != napi_ok) return NULL;
  for (int i = 0; i < runnable_count; i++) {
    napi_value name;
    napi_create_string_utf8(env, runnable[i]->name, NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, list, (uint32_t)i, name);
  }
  return list;
}

static napi_value js_isa(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value name;
  napi_create_string_utf8(env, isa()->name, NAPI_AUTO_LENGTH, &name);
  return name;
}

static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  ARGS(1)
  char name[16];
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok)
    return fail(env, 0, "setIsa", "the ISA name must be a string"), NULL;
  for (int i = 0; i < runnable_count; i++)
    if (strcmp(runnable[i]->name, name) == 0) {
      pthread_mutex_lock(&call_lock);
      chosen = i;
      pthread_mutex_unlock(&call_lock);
      return NULL;
    }
  return fail(env, 1, "setIsa", "this CPU cannot run that ISA (see isas())"), NULL;
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct peak_job {
  const sepconv_isa* isa;
  long rounds;
} peak_job;

static void peak_task(void* context, int task, int thread) {
  const peak_job* j = context;
  (void)task;
  (void)thread;
  j->isa->peak_flops(j->rounds);
}

/* (milliseconds) -> GFLOP/s of the chosen ISA's multiply-add loop on every pool thread at once. */
static napi_value js_peak_gflops(napi_env env, napi_callback_info info) {
  ARGS(1)
  double ms = 0;
  if (napi_get_value_double(env, argv[0], &ms) != napi_ok || !(ms > 0 && ms <= 10000))
    return fail(env, 1, "peakGflops", "milliseconds must be in (0, 10000]"), NULL;
  pthread_mutex_lock(&call_lock);
  peak_job job = {isa(), 1 << 16};
  /* Calibrate on this thread until one run takes 5 ms, then size the timed run to the requested duration. */
  double t0 = seconds_now(), flops = job.isa->peak_flops(job.rounds), elapsed = seconds_now() - t0;
  while (elapsed < 0.005) {
    job.rounds *= 2;
    t0 = seconds_now();
    flops = job.isa->peak_flops(job.rounds);
    elapsed = seconds_now() - t0;
  }
  const double flops_per_round = flops / (double)job.rounds;
  job.rounds = (long)((double)job.rounds * (ms / 1000.0) / elapsed) + 1;
  const int threads = pool_threads();
  t0 = seconds_now();
  pool_run(threads, peak_task, &job);
  elapsed = seconds_now() - t0;
  flops = flops_per_round * (double)job.rounds * threads;
  pthread_mutex_unlock(&call_lock);
  napi_value v;
  napi_create_double(env, flops / elapsed / 1e9, &v);
  return v;
}

/* ---- module ---- */

static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

/*
 * Every kernel result is a fresh Float32Array of a few MB, above glibc's adaptive mmap threshold, so each one is
 * mapped, page-faulted and unmapped again: that costs more than a ReLU over it (1.5 ms against 0.6 ms for a
 * 64x28x28x32 batch). Blocks up to 32 MB (glibc's ceiling) therefore come from the heap, and up to 256 MB of freed
 * heap stays mapped. SEPCONV_MALLOC=default keeps glibc's own settings.
 */
static void tune_malloc(void) {
#if defined(__GLIBC__)
  const char* choice = getenv("SEPCONV_MALLOC");
  if (choice != NULL && strcmp(choice, "default") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

static void detect_isas(void) {
  runnable_count = isa_runnable(runnable);
  tune_malloc();
}

static napi_value init(napi_env env, napi_value exports) {
  pthread_once(&detect_once, detect_isas);
  static const struct {
    const char* name;
    napi_callback fn;
  } functions[] = {
      {"matmul", js_matmul},
      {"conv2d", js_conv2d},
      {"conv2dBackwardInput", js_conv2d_backward_input},
      {"conv2dBackwardFilter", js_conv2d_backward_filter},
      {"depthwiseConv2d", js_depthwise_conv2d},
      {"depthwiseConv2dBackwardInput", js_depthwise_conv2d_backward_input},
      {"depthwiseConv2dBackwardFilter", js_depthwise_conv2d_backward_filter},
      {"unary", js_unary},
      {"unaryBackward", js_unary_backward},
      {"maxPool2d", js_max_pool2d},
      {"maxPool2dBackward", js_max_pool2d_backward},
      {"avgPool2d", js_avg_pool2d},
      {"avgPool2dBackward", js_avg_pool2d_backward},
      {"channelMoments", js_channel_moments},
      {"batchNormForward", js_batch_norm_forward},
      {"batchNormBackward", js_batch_norm_backward},
      {"setThreads", js_set_threads},
      {"threads", js_threads},
      {"isas", js_isas},
      {"isa", js_isa},
      {"setIsa", js_set_isa},
      {"peakGflops", js_peak_gflops},
      {"planArena", js_plan_arena},
      {"planRelease", js_plan_release},
      {"planCall", js_plan_call},
      {"planRun", js_plan_run},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn) != napi_ok ||
        napi_set_named_property(env, exports, functions[i].name, fn) != napi_ok)
      return NULL;
  }
  napi_value abi;
  napi_create_int32(env, SEPCONV_NATIVE_ABI, &abi);
  napi_set_named_property(env, exports, "abi", abi);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
