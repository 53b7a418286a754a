/*
 * Compiled plans on the native backend (src/plan/native_executor.ts): the fused kernels of csrc/f32-fused/ called
 * by number with integer arguments, the same calls the wasm executor makes (src/plan/wasm_steps.ts), over one
 * arena whose byte offsets stand for pointers (offset 0 is NULL; the plan never places anything there). A run is
 * a program of phases (one per plan step), each holding every thread's calls; a phase whose calls fall to several
 * threads runs them as tasks of the pool, and the pool returns only when all are done, which is the barrier
 * between steps. The program is built by the plan's loader, never by users; the addon still checks its shape and
 * that every offset lies inside the arena, or at its end for an empty buffer (native_plan_valid), before it runs,
 * so a loader bug that garbles a program throws instead of writing far out of bounds.
 */
#include "threaded.h"

/* The call numbers: TASK_FUNCTIONS, then LOAD_QUERIES, both in src/plan/wasm_steps.ts (same order). */
enum {
  CALL_GEMM,
  CALL_CONV2D,
  CALL_DEPTHWISE,
  CALL_DWPW,
  CALL_ADD,
  CALL_CHANNEL_AFFINE,
  CALL_CHANNEL_SCALE,
  CALL_ACTIVATE,
  CALL_MAX_POOL,
  CALL_AVG_POOL,
  CALL_GEMM_NR,
  CALL_GEMM_PACKED_SIZE,
  CALL_GEMM_PACK,
  CALL_GEMM_WORKSPACE,
  CALL_CONV2D_PACKED_SIZE,
  CALL_CONV2D_PACK,
  CALL_CONV2D_WORKSPACE,
  CALL_DEPTHWISE_WORKSPACE,
  CALL_DWPW_WORKSPACE,
  CALL_COUNT
};

/* Argument i (after the call number) as a pointer into the arena. */
#define PTR(type, i) ((type*)(a[i] != 0 ? base + a[i] : NULL))
#define F(i) PTR(float, i)
#define G(i) PTR(const sepconv_conv_geometry, i)
#define E(i) PTR(const sepconv_epilogue, i)

double native_plan_call(char* base, const int32_t* call) {
  const int32_t* a = call + 1;
  switch (call[0]) {
    case CALL_GEMM:
      sepconv_fused_gemm(F(0), F(1), F(2), F(3), F(4), F(5), a[6], a[7], a[8], a[9], a[10], E(11), F(12));
      return 0;
    case CALL_CONV2D:
      sepconv_fused_conv2d(F(0), F(1), F(2), F(3), F(4), G(5), E(6), F(7));
      return 0;
    case CALL_DEPTHWISE:
      sepconv_fused_depthwise(F(0), F(1), F(2), F(3), F(4), G(5), E(6), F(7));
      return 0;
    case CALL_DWPW:
      sepconv_fused_dwpw(F(0), F(1), F(2), G(3), E(4), F(5), F(6), a[7], a[8], F(9), F(10), E(11), F(12));
      return 0;
    case CALL_ADD:
      sepconv_fused_add(F(0), F(1), F(2), a[3], E(4));
      return 0;
    case CALL_CHANNEL_AFFINE:
      sepconv_fused_channel_affine(F(0), F(1), F(2), F(3), a[4], a[5], E(6));
      return 0;
    case CALL_CHANNEL_SCALE:
      sepconv_fused_channel_scale(F(0), F(1), F(2), a[3], a[4], a[5]);
      return 0;
    case CALL_ACTIVATE:
      sepconv_fused_activate(F(0), F(1), a[2], E(3));
      return 0;
    case CALL_MAX_POOL:
      sepconv_max_pool2d(F(0), F(1), PTR(int32_t, 2), PTR(const sepconv_pool_geometry, 3));
      return 0;
    case CALL_AVG_POOL:
      sepconv_avg_pool2d(F(0), F(1), PTR(const sepconv_pool_geometry, 2), a[3]);
      return 0;
    case CALL_GEMM_NR:
      return sepconv_fused_gemm_nr();
    case CALL_GEMM_PACKED_SIZE:
      return (double)sepconv_fused_gemm_packed_size(a[0], a[1]);
    case CALL_GEMM_PACK:
      sepconv_fused_gemm_pack(F(0), F(1), a[2], a[3]);
      return 0;
    case CALL_GEMM_WORKSPACE:
      return (double)sepconv_fused_gemm_workspace();
    case CALL_CONV2D_PACKED_SIZE:
      return (double)sepconv_fused_conv2d_packed_size(G(0));
    case CALL_CONV2D_PACK:
      sepconv_fused_conv2d_pack(F(0), F(1), G(2));
      return 0;
    case CALL_CONV2D_WORKSPACE:
      return (double)sepconv_fused_conv2d_workspace(G(0));
    case CALL_DEPTHWISE_WORKSPACE:
      return (double)sepconv_fused_depthwise_workspace(G(0));
    case CALL_DWPW_WORKSPACE:
      return (double)sepconv_fused_dwpw_workspace(G(0), a[1]);
    default:
      return -1;
  }
}

/* Per call number: its argument count, and which arguments are arena offsets (bit i: argument i). */
static const struct {
  int8_t arguments;
  uint16_t offsets;
} call_shapes[CALL_COUNT] = {
    [CALL_GEMM] = {13, 0x183f},         [CALL_CONV2D] = {8, 0xff},
    [CALL_DEPTHWISE] = {8, 0xff},       [CALL_DWPW] = {13, 0x1e7f},
    [CALL_ADD] = {5, 0x17},             [CALL_CHANNEL_AFFINE] = {7, 0x4f},
    [CALL_CHANNEL_SCALE] = {6, 0x07},   [CALL_ACTIVATE] = {4, 0x0b},
    [CALL_MAX_POOL] = {4, 0x0f},        [CALL_AVG_POOL] = {4, 0x07},
    [CALL_GEMM_NR] = {0, 0},            [CALL_GEMM_PACKED_SIZE] = {2, 0},
    [CALL_GEMM_PACK] = {4, 0x03},       [CALL_GEMM_WORKSPACE] = {0, 0},
    [CALL_CONV2D_PACKED_SIZE] = {1, 1}, [CALL_CONV2D_PACK] = {3, 0x07},
    [CALL_CONV2D_WORKSPACE] = {1, 1},   [CALL_DEPTHWISE_WORKSPACE] = {1, 1},
    [CALL_DWPW_WORKSPACE] = {2, 1},
};

int native_plan_call_valid(const int32_t* call, size_t length, size_t bytes) {
  if (length < 1 || call[0] < 0 || call[0] >= CALL_COUNT || call_shapes[call[0]].arguments != (int)length - 1) return 0;
  for (size_t i = 1; i < length; i++)
    if ((call_shapes[call[0]].offsets >> (i - 1) & 1) && (call[i] < 0 || (size_t)call[i] > bytes)) return 0;
  return 1;
}

int native_plan_valid(const int32_t* program, size_t length, size_t bytes) {
  if (length < 1 || program[0] < 0) return 0;
  size_t at = 1;
  for (int32_t p = 0; p < program[0]; p++) {
    if (at >= length || program[at] < 0 || (size_t)program[at] > length - at - 1) return 0;
    const int32_t parts = program[at];
    for (int32_t t = 0; t < parts; t++) {
      const int32_t start = program[at + 1 + t];
      if (start < 0 || (size_t)start >= length || program[start] < 0) return 0;
      size_t c = (size_t)start + 1;
      for (int32_t n = 0; n < program[start]; n++) {
        if (c >= length || program[c] < 1 || (size_t)program[c] > length - c - 1) return 0;
        if (!native_plan_call_valid(program + c + 1, (size_t)program[c], bytes)) return 0;
        c += (size_t)program[c] + 1;
      }
    }
    at += 1 + (size_t)parts;
  }
  return 1;
}

/*
 * Program layout (int32): phase count, then per phase: parts P, then P offsets (from the program's start) of each
 * part's calls; a part is a call count followed by its calls, each [argument count + 1, call number, arguments].
 */
typedef struct phase_job {
  char* base;
  const int32_t* program;
  const int32_t* starts;
} phase_job;

static void run_part(char* base, const int32_t* part) {
  const int32_t calls = part[0];
  const int32_t* call = part + 1;
  for (int32_t c = 0; c < calls; c++, call += call[0] + 1) native_plan_call(base, call + 1);
}

static void part_task(void* context, int task, int thread) {
  const phase_job* j = context;
  (void)thread;
  run_part(j->base, j->program + j->starts[task]);
}

void native_plan_run(char* base, const int32_t* program) {
  const int32_t phases = program[0];
  const int32_t* at = program + 1;
  for (int32_t p = 0; p < phases; p++) {
    const int32_t parts = at[0];
    phase_job job = {base, program, at + 1};
    int busy = 0;
    for (int32_t t = 0; t < parts; t++) busy += program[job.starts[t]] > 0;
    if (busy <= 1) {
      for (int32_t t = 0; t < parts; t++) run_part(base, program + job.starts[t]);
    } else {
      pool_run(parts, part_task, &job);
    }
    at += 1 + parts;
  }
}
