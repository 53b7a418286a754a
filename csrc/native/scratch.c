#define _POSIX_C_SOURCE 200809L
#include "scratch.h"

#include <stdlib.h>

static float* buffer = NULL;
static size_t capacity = 0;

float* scratch_floats(size_t floats) {
  if (floats < 16) floats = 16; /* never NULL for an empty request: NULL means out of memory */
  if (floats <= capacity) return buffer;
  /* Grow by at least half again, so a sequence of slightly larger calls does not reallocate every time. */
  size_t want = floats + floats / 2;
  void* fresh = NULL;
  if (posix_memalign(&fresh, 64, scratch_round(want) * sizeof(float)) != 0) {
    want = floats;
    if (posix_memalign(&fresh, 64, scratch_round(want) * sizeof(float)) != 0) return NULL;
  }
  free(buffer);
  buffer = fresh;
  capacity = want;
  return buffer;
}
