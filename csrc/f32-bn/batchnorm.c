/*
 * Batch norm: channel moments (two passes, centred squares, in double), the forward affine map and the backward
 * pass, matching src/backend/js/batchnorm.ts. The double loops are plain C that compilers vectorise over the
 * contiguous channels; the backward map, whose terms stay the size of the result, runs in float with vf.
 */
#include "batchnorm.h"

void f32_bn_sum(const float* x, size_t p0, size_t p1, int channels, double* sum) {
  const size_t C = (size_t)channels;
  for (size_t p = p0; p < p1; p++) {
    const float* row = x + p * C;
    for (size_t c = 0; c < C; c++) sum[c] += (double)row[c];
  }
}

void f32_bn_centred_squares(const float* x, size_t p0, size_t p1, int channels, const double* mean,
                            double* squares) {
  const size_t C = (size_t)channels;
  for (size_t p = p0; p < p1; p++) {
    const float* row = x + p * C;
    for (size_t c = 0; c < C; c++) {
      const double d = (double)row[c] - mean[c];
      squares[c] += d * d;
    }
  }
}

void f32_bn_affine(const float* mean, const float* inv_std, const float* gamma, const float* beta, int channels,
                   float* scale, float* shift) {
  for (int c = 0; c < channels; c++) {
    scale[c] = (float)((double)gamma[c] * (double)inv_std[c]);
    shift[c] = (float)((double)beta[c] - (double)mean[c] * (double)scale[c]);
  }
}

void f32_bn_apply(const float* x, float* y, size_t p0, size_t p1, int channels, const float* scale,
                  const float* shift) {
  const size_t C = (size_t)channels;
  /* In double like the reference: x*scale and shift can both dwarf y when the mean is far from zero. */
  for (size_t p = p0; p < p1; p++) {
    const float* xr = x + p * C;
    float* yr = y + p * C;
    for (size_t c = 0; c < C; c++) yr[c] = (float)((double)xr[c] * (double)scale[c] + (double)shift[c]);
  }
}

void f32_bn_backward_sums(const float* x, const float* dy, size_t p0, size_t p1, int channels, const float* mean,
                          double* d_beta, double* centred) {
  const size_t C = (size_t)channels;
  for (size_t p = p0; p < p1; p++) {
    const float* xr = x + p * C;
    const float* dyr = dy + p * C;
    for (size_t c = 0; c < C; c++) {
      const double g = (double)dyr[c];
      d_beta[c] += g;
      centred[c] += g * ((double)xr[c] - (double)mean[c]);
    }
  }
}

void f32_bn_backward_coefficients(const double* d_beta_sum, const double* centred, const float* inv_std,
                                  const float* gamma, int channels, size_t count, int training, float* d_gamma,
                                  float* d_beta, float* scale, float* mean_dy, float* slope) {
  for (int c = 0; c < channels; c++) {
    const double s = (double)inv_std[c];
    const double dg = centred[c] * s;
    d_gamma[c] = (float)dg;
    d_beta[c] = (float)d_beta_sum[c];
    scale[c] = (float)((double)gamma[c] * s);
    mean_dy[c] = training && count > 0 ? (float)(d_beta_sum[c] / (double)count) : 0.0f;
    slope[c] = training && count > 0 ? (float)(-s * (dg / (double)count)) : 0.0f;
  }
}

void f32_bn_backward_apply(const float* x, const float* dy, float* dx, size_t p0, size_t p1, int channels,
                           const float* mean, const float* scale, const float* mean_dy, const float* slope) {
  const size_t C = (size_t)channels;
  for (size_t p = p0; p < p1; p++) {
    const float* xr = x + p * C;
    const float* dyr = dy + p * C;
    float* dxr = dx + p * C;
    size_t c = 0;
    for (; c + VF_LANES <= C; c += VF_LANES) {
      const vf centred = vf_sub(vf_load(xr + c), vf_load(mean + c));
      const vf t = vf_muladd(vf_load(slope + c), centred, vf_sub(vf_load(dyr + c), vf_load(mean_dy + c)));
      vf_store(dxr + c, vf_mul(vf_load(scale + c), t));
    }
    for (; c < C; c++) dxr[c] = scale[c] * ((dyr[c] - mean_dy[c]) + slope[c] * (xr[c] - mean[c]));
  }
}

/* Workspaces: doubles first (the workspace is 16-byte aligned), then floats. */
static double* zeroed_doubles(float* workspace, size_t count) {
  double* p = (double*)(void*)workspace;
  for (size_t i = 0; i < count; i++) p[i] = 0.0;
  return p;
}

size_t sepconv_channel_moments_workspace(int32_t channels) { return 4 * (size_t)channels; }

void sepconv_channel_moments(const float* x, int32_t positions, int32_t channels, float* mean, float* variance,
                             float* workspace) {
  double* sum = zeroed_doubles(workspace, 2 * (size_t)channels);
  double* squares = sum + channels;
  const double count = (double)positions;
  f32_bn_sum(x, 0, (size_t)positions, channels, sum);
  for (int c = 0; c < channels; c++) sum[c] /= count; /* now the mean */
  f32_bn_centred_squares(x, 0, (size_t)positions, channels, sum, squares);
  for (int c = 0; c < channels; c++) {
    mean[c] = (float)sum[c];
    variance[c] = (float)(squares[c] / count);
  }
}

size_t sepconv_batch_norm_forward_workspace(int32_t channels) { return 2 * (size_t)channels; }

void sepconv_batch_norm_forward(const float* x, const float* mean, const float* inv_std, const float* gamma,
                                const float* beta, float* y, int32_t positions, int32_t channels,
                                float* workspace) {
  float* scale = workspace;
  float* shift = workspace + channels;
  f32_bn_affine(mean, inv_std, gamma, beta, channels, scale, shift);
  f32_bn_apply(x, y, 0, (size_t)positions, channels, scale, shift);
}

size_t sepconv_batch_norm_backward_workspace(int32_t channels) { return 7 * (size_t)channels; }

void sepconv_batch_norm_backward(const float* x, const float* dy, const float* mean, const float* inv_std,
                                 const float* gamma, int32_t training, float* dx, float* d_gamma, float* d_beta,
                                 int32_t positions, int32_t channels, float* workspace) {
  double* beta_sum = zeroed_doubles(workspace, 2 * (size_t)channels);
  double* centred = beta_sum + channels;
  float* scale = workspace + 4 * (size_t)channels;
  float* mean_dy = scale + channels;
  float* slope = mean_dy + channels;
  f32_bn_backward_sums(x, dy, 0, (size_t)positions, channels, mean, beta_sum, centred);
  f32_bn_backward_coefficients(beta_sum, centred, inv_std, gamma, channels, (size_t)positions, training, d_gamma,
                               d_beta, scale, mean_dy, slope);
  f32_bn_backward_apply(x, dy, dx, 0, (size_t)positions, channels, mean, scale, mean_dy, slope);
}
