/**
 * The dataset contract and the in-memory image dataset every reader produces. Pixels are stored as bytes (one
 * quarter of the memory of float32: 60,000 28x28 images take 47 MB instead of 188 MB) and converted to floats in
 * 0..1 only when a sample is read.
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { Random } from '../tensor/random.js';

/** Height, width, channels of every image in a dataset (channels-last, as the tensors). */
export type ImageShape = readonly [height: number, width: number, channels: number];

/** One labelled image: HWC floats in 0..1 (before any normalisation). */
export interface Sample {
  image: Float32Array;
  label: number;
}

/** A finite, indexable set of labelled images of one shape. */
export interface Dataset {
  readonly length: number;
  readonly imageShape: ImageShape;
  readonly numClasses: number;
  /** Human-readable class names, index = label, when the source provides them. */
  readonly classNames?: readonly string[];
  /** Sample `i` (0 <= i < length); a fresh array each call. */
  get(i: number): Sample;
}

/** Train and test parts of a dataset (the built-in readers give {@link ImageDataset}s). */
export interface DatasetSplit<D extends Dataset = Dataset> {
  train: D;
  test: D;
}

/** What a reader hands to {@link ImageDataset}: `count` images of `imageShape`, bytes 0..255, HWC per image. */
export interface ImageDatasetInit {
  pixels: Uint8Array;
  labels: Uint8Array | Int32Array;
  imageShape: ImageShape;
  numClasses: number;
  classNames?: readonly string[];
}

/** Images held as one byte array `[N, H, W, C]`; `get` scales a copy to 0..1. */
export class ImageDataset implements Dataset {
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;
  readonly imageShape: ImageShape;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly length: number;
  private readonly imageSize: number;

  constructor(init: ImageDatasetInit) {
    const [h, w, c] = init.imageShape;
    for (const d of init.imageShape)
      if (!Number.isInteger(d) || d < 1)
        throw new ShapeError(`ImageDataset: imageShape [${init.imageShape.join(', ')}] must be three positive integers [H, W, C]`);
    this.imageSize = h * w * c;
    this.length = init.labels.length;
    if (init.pixels.length !== this.length * this.imageSize)
      throw new ShapeError(`ImageDataset: ${this.length} labels need ${this.length * this.imageSize} pixel bytes ` +
        `for images of [${h}, ${w}, ${c}], got ${init.pixels.length}`);
    if (!Number.isInteger(init.numClasses) || init.numClasses < 1)
      throw new ArgumentError(`ImageDataset: numClasses must be a positive integer, got ${init.numClasses}`);
    if (init.classNames !== undefined && init.classNames.length !== init.numClasses)
      throw new ArgumentError(`ImageDataset: ${init.classNames.length} class names for ${init.numClasses} classes; give one name per class`);
    const labels = Int32Array.from(init.labels);
    for (let i = 0; i < labels.length; i++)
      if (labels[i] < 0 || labels[i] >= init.numClasses)
        throw new ArgumentError(`ImageDataset: label ${labels[i]} of sample ${i} is outside 0..${init.numClasses - 1}`);
    this.pixels = init.pixels;
    this.labels = labels;
    this.imageShape = Object.freeze([h, w, c]) as ImageShape;
    this.numClasses = init.numClasses;
    if (init.classNames !== undefined) this.classNames = Object.freeze([...init.classNames]);
  }

  get(i: number): Sample {
    if (!Number.isInteger(i) || i < 0 || i >= this.length)
      throw new ArgumentError(`ImageDataset.get: index ${i} is outside 0..${this.length - 1}`);
    const image = new Float32Array(this.imageSize);
    const start = i * this.imageSize;
    for (let k = 0; k < this.imageSize; k++) image[k] = this.pixels[start + k] / 255;
    return { image, label: this.labels[i] };
  }

  /** A new dataset holding copies of the given samples, in the given order. */
  subset(indices: ArrayLike<number>): ImageDataset {
    const n = indices.length;
    const pixels = new Uint8Array(n * this.imageSize);
    const labels = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const i = indices[j];
      if (!Number.isInteger(i) || i < 0 || i >= this.length)
        throw new ArgumentError(`ImageDataset.subset: index ${i} is outside 0..${this.length - 1}`);
      pixels.set(this.pixels.subarray(i * this.imageSize, (i + 1) * this.imageSize), j * this.imageSize);
      labels[j] = this.labels[i];
    }
    return new ImageDataset({ pixels, labels, imageShape: this.imageShape, numClasses: this.numClasses, classNames: this.classNames });
  }

  /** How many samples each class has (index = label). */
  classCounts(): number[] {
    const counts = new Array<number>(this.numClasses).fill(0);
    for (const l of this.labels) counts[l]++;
    return counts;
  }
}

/**
 * A seeded split that keeps every class's share the same in both parts: each class gives
 * `round(testFraction * its size)` samples to the test part (largest remainders settle the rounding so the test
 * part has exactly `round(testFraction * N)` samples). Both index lists come back sorted ascending.
 */
export function stratifiedSplit(labels: ArrayLike<number>, numClasses: number, testFraction: number, seed: number):
    { train: Int32Array; test: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1))
    throw new ArgumentError(`stratifiedSplit: testFraction must be in (0, 1), got ${testFraction}`);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= numClasses)
      throw new ArgumentError(`stratifiedSplit: label ${l} of sample ${i} is outside 0..${numClasses - 1}`);
    byClass[l].push(i);
  }
  const testTotal = Math.round(testFraction * labels.length);
  const exact = byClass.map((members) => testFraction * members.length);
  const take = exact.map(Math.floor);
  let missing = testTotal - take.reduce((a, b) => a + b, 0);
  // Largest remainder first; ties go to the lower class index so the result does not depend on sort stability.
  const order = exact.map((_, c) => c).sort((a, b) => (exact[b] - take[b]) - (exact[a] - take[a]) || a - b);
  for (const c of order) {
    if (missing <= 0) break;
    if (take[c] < byClass[c].length) {
      take[c]++;
      missing--;
    }
  }
  const rng = new Random(seed);
  const train: number[] = [];
  const test: number[] = [];
  byClass.forEach((members, c) => {
    rng.shuffle(members);
    test.push(...members.slice(0, take[c]));
    train.push(...members.slice(take[c]));
  });
  const sorted = (xs: number[]) => Int32Array.from(xs).sort();
  return { train: sorted(train), test: sorted(test) };
}

/** Splits an in-memory dataset with {@link stratifiedSplit}. */
export function splitDataset(dataset: ImageDataset, testFraction: number, seed: number): DatasetSplit<ImageDataset> {
  const { train, test } = stratifiedSplit(dataset.labels, dataset.numClasses, testFraction, seed);
  return { train: dataset.subset(train), test: dataset.subset(test) };
}
