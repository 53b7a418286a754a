/* Scratch memory for the threaded kernels: one buffer, kept and grown across calls (calls are serialised). */
#ifndef SEPCONV_NATIVE_SCRATCH_H
#define SEPCONV_NATIVE_SCRATCH_H

#include <stddef.h>

/* At least `floats` floats, 64-byte aligned, valid until the next call; NULL when memory runs out. */
float* scratch_floats(size_t floats);

/* `floats` rounded up to whole 64-byte lines, so consecutive regions carved from the scratch stay aligned. */
static inline size_t scratch_round(size_t floats) { return (floats + 15) / 16 * 16; }

#endif
