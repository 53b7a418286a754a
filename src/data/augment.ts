/**
 * Per-sample augmentation and normalisation on HWC float images, as torchvision's RandomCrop(padding),
 * RandomHorizontalFlip and Normalize. Randomness comes from the caller's generator so that batches replay exactly.
 */
import type { Random } from '../tensor/random.js';
import type { ImageShape } from './dataset.js';

/**
 * Writes into `out` a crop of `image` zero-padded by `padding` on every side, at offsets drawn from `rng`
 * (uniform in 0..2*padding on each axis): the output keeps the input's size.
 */
export function randomCrop(image: Float32Array, shape: ImageShape, padding: number, rng: Random, out: Float32Array): void {
  const [h, w, c] = shape;
  const dy = rng.int(2 * padding + 1) - padding;
  const dx = rng.int(2 * padding + 1) - padding;
  for (let y = 0; y < h; y++) {
    const sy = y + dy;
    for (let x = 0; x < w; x++) {
      const sx = x + dx;
      const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
      for (let ch = 0; ch < c; ch++) out[(y * w + x) * c + ch] = inside ? image[(sy * w + sx) * c + ch] : 0;
    }
  }
}

/** Mirrors an HWC image left-right, in place. */
export function flipHorizontal(image: Float32Array, shape: ImageShape): void {
  const [h, w, c] = shape;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w >> 1; x++) {
      const a = (y * w + x) * c;
      const b = (y * w + (w - 1 - x)) * c;
      for (let ch = 0; ch < c; ch++) {
        const t = image[a + ch];
        image[a + ch] = image[b + ch];
        image[b + ch] = t;
      }
    }
}

/** `(v - mean[ch]) / std[ch]` for every pixel of an HWC image, in place; `mean` and `std` have one entry per channel. */
export function normalizeChannels(image: Float32Array, channels: number, mean: readonly number[], std: readonly number[]): void {
  for (let i = 0; i < image.length; i++) {
    const ch = i % channels;
    image[i] = (image[i] - mean[ch]) / std[ch];
  }
}
