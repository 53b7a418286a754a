#include "isa_select.h"

int isa_runnable(const sepconv_isa* out[SEPCONV_MAX_ISAS]) {
  int count = 0;
  __builtin_cpu_init();
  /* __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0). */
  if (__builtin_cpu_supports("avx512f")) out[count++] = &sepconv_isa_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out[count++] = &sepconv_isa_avx2;
  out[count++] = &sepconv_isa_sse2;
  return count;
}
