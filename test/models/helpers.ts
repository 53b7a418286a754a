/** Shared helpers for the model tests. */
import type { Module } from '../../src/nn/module.js';
import { Random } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

/**
 * Keras' "Total params": trainable weights plus the BatchNorm moving mean and variance (non-trainable). In sepconv
 * terms: parameters + running_mean + running_var buffers (num_batches_tracked, a PyTorch counter, is not in it).
 * torchvision's published counts are parameters only (`numParameters()`).
 */
export function kerasTotalParams(model: Module): number {
  const stats = model.namedBuffers().filter(([name]) => /(^|\.)running_(mean|var)$/.test(name));
  return model.numParameters() + stats.reduce((n, [, t]) => n + t.size, 0);
}

/** A seeded N(0, 1) batch of NHWC images. */
export function randomImages(shape: [number, number, number, number], seed = 1): Tensor {
  const rng = new Random(seed);
  const data = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return new Tensor(data, shape);
}

/** True if every value is finite. */
export function allFinite(t: Tensor): boolean {
  return t.data.every((v) => Number.isFinite(v));
}
