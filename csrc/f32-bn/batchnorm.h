/*
 * Batch-norm building blocks over x viewed as [positions, channels] (NHWC with positions = N*H*W), each over a
 * range of positions [p0, p1) so a caller can split the work (the native addon's threads sum fixed chunks into
 * separate partials and add those in chunk order). Sums are in double, as in the reference (src/backend/js/
 * batchnorm.ts): a float running sum over a 112x112 batch loses digits the 1e-5 agreement needs.
 */
#ifndef SEPCONV_F32_BN_H
#define SEPCONV_F32_BN_H

#include "../common.h"

/* sum[c] += x[p, c] over the positions. */
void f32_bn_sum(const float* x, size_t p0, size_t p1, int channels, double* sum);
/* squares[c] += (x[p, c] - mean[c])^2 over the positions. */
void f32_bn_centred_squares(const float* x, size_t p0, size_t p1, int channels, const double* mean, double* squares);

/* scale = gamma * inv_std and shift = beta - mean * scale, rounded to float like the reference's arrays. */
void f32_bn_affine(const float* mean, const float* inv_std, const float* gamma, const float* beta, int channels,
                   float* scale, float* shift);
/* y[p, c] = x[p, c] * scale[c] + shift[c]. */
void f32_bn_apply(const float* x, float* y, size_t p0, size_t p1, int channels, const float* scale,
                  const float* shift);

/* d_beta[c] += dy[p, c] and centred[c] += dy[p, c] * (x[p, c] - mean[c]) over the positions. */
void f32_bn_backward_sums(const float* x, const float* dy, size_t p0, size_t p1, int channels, const float* mean,
                          double* d_beta, double* centred);
/*
 * From the sums over all `count` positions: d_gamma = centred * inv_std, d_beta as summed, and the coefficients of
 * dx = scale * (dy - mean_dy + slope * (x - mean)), the reference's dx = gamma*inv_std * (dy - mean(dy) - xhat *
 * mean(dy*xhat)) grouped the same way (dy - mean(dy) first, so equal values cancel exactly). Eval mode: mean_dy =
 * slope = 0.
 */
void f32_bn_backward_coefficients(const double* d_beta_sum, const double* centred, const float* inv_std,
                                  const float* gamma, int channels, size_t count, int training, float* d_gamma,
                                  float* d_beta, float* scale, float* mean_dy, float* slope);
/* dx[p, c] = scale[c] * (dy[p, c] - mean_dy[c] + slope[c] * (x[p, c] - mean[c])). */
void f32_bn_backward_apply(const float* x, const float* dy, float* dx, size_t p0, size_t p1, int channels,
                           const float* mean, const float* scale, const float* mean_dy, const float* slope);

#endif
