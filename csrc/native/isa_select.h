/* Which ISA tables the CPU can run (x86-64: SSE2 always; AVX2 with FMA; AVX-512F), widest first. */
#ifndef SEPCONV_NATIVE_ISA_SELECT_H
#define SEPCONV_NATIVE_ISA_SELECT_H

#include "isa.h"

#define SEPCONV_MAX_ISAS 3

/* Fills `out` with the runnable tables, widest first; returns how many (at least 1). */
int isa_runnable(const sepconv_isa* out[SEPCONV_MAX_ISAS]);

#endif
