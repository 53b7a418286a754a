/*
 * The machine's SIMD peak for this ISA: independent chains of vector multiply-adds (12, enough to cover the
 * latency x throughput of two FMA pipes), nothing else in the loop. Each vf_muladd counts 2 flops per lane, also
 * on SSE2 where it is a multiply and an add.
 */
#include "threaded.h"

#define PEAK_CHAINS 12

static volatile float peak_sink; /* the chains' sum goes here, so the loop is not dead code */

double native_peak_flops(long rounds) {
  volatile float scale = 0.999999f, offset = 1e-6f; /* read at run time, so nothing folds */
  const vf b = vf_splat(scale), c = vf_splat(offset);
  vf acc[PEAK_CHAINS];
  for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = vf_splat((float)i);
  for (long r = 0; r < rounds; r++)
    for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = vf_muladd(acc[i], b, c);
  float lanes[VF_LANES];
  vf total = vf_zero();
  for (int i = 0; i < PEAK_CHAINS; i++) total = vf_add(total, acc[i]);
  vf_store(lanes, total);
  peak_sink = lanes[0];
  return 2.0 * VF_LANES * PEAK_CHAINS * (double)rounds;
}
