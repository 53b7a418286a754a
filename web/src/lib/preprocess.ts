/**
 * Image to model input, as `sepconv predict` does it: RGBA to the model's channels (luma for one channel), a
 * bilinear resize that averages when shrinking, the 0..1 scale, then the model's normalisation.
 */
import type { Normalization } from './model_source.js';
import { normalizeChannels, resizeImage, rgbaToChannels } from './sepconv.js';

/** Decoded pixels as the page passes them to workers. */
export interface RgbaPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Normalisations a visitor can pick for models whose file does not say (ONNX). */
export const NORMALIZATIONS: Readonly<Record<string, { label: string; value: Normalization }>> = {
  unit: { label: '0 to 1 (pixels / 255)', value: { mean: [0], std: [1] } },
  imagenet: { label: 'ImageNet mean and std (torchvision)', value: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
  symmetric: { label: '-1 to 1 (Keras MobileNet, TF.js)', value: { mean: [0.5], std: [0.5] } },
};

/** HWC float input of `shape` [H, W, C] from `image`. */
export function imageToInput(image: RgbaPixels, shape: readonly [number, number, number], normalize?: Normalization): Float32Array {
  const [h, w, c] = shape;
  const pixels = resizeImage(rgbaToChannels(image, c), image.height, image.width, c, h, w).map((v) => v / 255);
  if (normalize !== undefined) {
    const per = (values: number[]) => Array.from({ length: c }, (_, i) => values[values.length === 1 ? 0 : i % values.length]);
    normalizeChannels(pixels, c, per(normalize.mean), per(normalize.std));
  }
  return pixels;
}
