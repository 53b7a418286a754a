/**
 * Batches from a dataset: seeded shuffling, optional augmentation and normalisation, and a position (epoch, step,
 * generator states) that can be saved with a checkpoint and restored, so a resumed run sees exactly the batches the
 * interrupted one would have seen.
 */
import { ArgumentError, ShapeError, previewValue } from '../errors.js';
import { Random } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { flipHorizontal, normalizeChannels, randomCrop } from './augment.js';
import type { Dataset } from './dataset.js';

/** Training-time augmentation, applied per sample in this order before normalisation. */
export interface AugmentOptions {
  /** Random crop of the image zero-padded by this many pixels per side (CIFAR's usual 4). Default 0 (off). */
  cropPadding?: number;
  /** Mirror each image left-right with probability 1/2. Default false. */
  horizontalFlip?: boolean;
}

/** Per-channel `(x - mean) / std` on 0..1 pixels; one entry per channel, or one for all. */
export interface NormalizeOptions {
  mean: readonly number[];
  std: readonly number[];
}

export interface DataLoaderOptions {
  batchSize: number;
  /** Reshuffle the order every epoch. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling and augmentation. Default 0. */
  seed?: number;
  /** Skip the last batch of an epoch when it is smaller than batchSize. Default false. */
  dropLast?: boolean;
  augment?: AugmentOptions;
  normalize?: NormalizeOptions;
}

/** One batch: images `[B, H, W, C]`, their labels and their indices in the dataset. */
export interface Batch {
  x: Tensor;
  y: Int32Array;
  indices: Int32Array;
}

/** Where a loader is, as plain JSON-safe numbers; see {@link DataLoader.state}. */
export interface DataLoaderState {
  epoch: number;
  /** Batches of `epoch` already handed out. */
  step: number;
  /** Shuffle generator at the start of `epoch` (it regenerates that epoch's order). */
  shuffleRng: number[];
  /** Augmentation generator now. */
  augmentRng: number[];
  /** Saved to refuse restoring into a loader that would produce different batches. */
  batchSize: number;
  datasetLength: number;
}

function positiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) throw new ArgumentError(`DataLoader: ${what} must be a positive integer, got ${value}`);
}

function perChannel(values: readonly number[], channels: number, what: string): number[] {
  if (values.length !== channels && values.length !== 1)
    throw new ArgumentError(`DataLoader: normalize.${what} has ${values.length} entries but the images have ${channels} channels ` +
      '(give one per channel, or one for all)');
  return Array.from({ length: channels }, (_, ch) => values[values.length === 1 ? 0 : ch]);
}

function generatorState(rng: Random): number[] {
  // Only the four xoshiro words: the loader never draws normals, so there is no cached spare to save.
  return rng.getState().slice(0, 4);
}

/**
 * Iterates a dataset in batches. `for (const batch of loader)` yields the rest of the current epoch and moves to the
 * next; `nextBatch()` gives one batch, crossing epochs by itself. The epoch advances as soon as its last batch is
 * handed out, so a `state()` taken after any batch resumes right after that batch. Batch tensors are ordinary
 * tensors: create them inside `tidy` or dispose them.
 */
export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Batches per epoch. */
  readonly length: number;
  private readonly cropPadding: number;
  private readonly flip: boolean;
  private readonly mean: number[] | null;
  private readonly std: number[] | null;
  private readonly shuffleRng: Random;
  private readonly augmentRng: Random;
  private currentEpoch = 0;
  private currentStep = 0;
  /** This epoch's sample order, built on first use from `epochStartRng`. */
  private order: Int32Array | null = null;
  private epochStartRng: number[] = [];

  constructor(dataset: Dataset, options: DataLoaderOptions) {
    positiveInteger(options.batchSize, 'batchSize');
    this.dataset = dataset;
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.length = this.dropLast ? Math.floor(dataset.length / this.batchSize) : Math.ceil(dataset.length / this.batchSize);
    if (this.length === 0)
      throw new ArgumentError(`DataLoader: the dataset has ${dataset.length} samples, not enough for one batch of ` +
        `${this.batchSize}${this.dropLast ? ' with dropLast' : ''}`);
    this.cropPadding = options.augment?.cropPadding ?? 0;
    if (!Number.isInteger(this.cropPadding) || this.cropPadding < 0)
      throw new ArgumentError(`DataLoader: augment.cropPadding must be a non-negative integer, got ${this.cropPadding}`);
    this.flip = options.augment?.horizontalFlip ?? false;
    const channels = dataset.imageShape[2];
    if (options.normalize !== undefined) {
      this.mean = perChannel(options.normalize.mean, channels, 'mean');
      this.std = perChannel(options.normalize.std, channels, 'std');
      for (const s of this.std)
        if (!(s > 0) || !Number.isFinite(s)) throw new ArgumentError(`DataLoader: normalize.std must be positive and finite, got ${s}`);
    } else {
      this.mean = null;
      this.std = null;
    }
    const seed = options.seed ?? 0;
    this.shuffleRng = new Random(seed);
    this.augmentRng = new Random(this.shuffleRng.nextUint32());
  }

  /** The epoch the next batch belongs to (0-based). */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** Batches of the current epoch already handed out. */
  get step(): number {
    return this.currentStep;
  }

  /** The position, to save with a checkpoint. */
  state(): DataLoaderState {
    return {
      epoch: this.currentEpoch,
      step: this.currentStep,
      shuffleRng: this.order !== null ? [...this.epochStartRng] : generatorState(this.shuffleRng),
      augmentRng: generatorState(this.augmentRng),
      batchSize: this.batchSize,
      datasetLength: this.dataset.length,
    };
  }

  /** Returns to a position saved by {@link state} (of a loader over the same dataset with the same options). */
  restore(state: DataLoaderState): void {
    if (state.batchSize !== this.batchSize || state.datasetLength !== this.dataset.length)
      throw new ArgumentError(`DataLoader.restore: the state is for batches of ${previewValue(state.batchSize)} over ${previewValue(state.datasetLength)} ` +
        `samples but this loader has batches of ${this.batchSize} over ${this.dataset.length}; create it with the same dataset and options`);
    if (!Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.step) || state.step < 0 || state.step >= this.length)
      throw new ArgumentError(`DataLoader.restore: epoch ${previewValue(state.epoch)} / step ${previewValue(state.step)} is not a position of this loader ` +
        `(steps 0..${this.length - 1})`);
    for (const [name, words] of [['shuffleRng', state.shuffleRng], ['augmentRng', state.augmentRng]] as const)
      if (!Array.isArray(words) || words.length !== 4 || !words.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32))
        throw new ArgumentError(`DataLoader.restore: ${name} must be four 32-bit unsigned integers, got ${previewValue(words)}`);
    this.currentEpoch = state.epoch;
    this.currentStep = state.step;
    this.shuffleRng.setState(state.shuffleRng);
    this.augmentRng.setState(state.augmentRng);
    this.order = null;
  }

  /** The rest of the current epoch's batches; the loader is at the next epoch when the loop ends. */
  *[Symbol.iterator](): Generator<Batch, void, undefined> {
    const epoch = this.currentEpoch;
    while (this.currentEpoch === epoch) yield this.nextBatch();
  }

  /** The next batch, moving to the next epoch (and a new order) after the last batch of this one. */
  nextBatch(): Batch {
    const order = this.epochOrder();
    const start = this.currentStep * this.batchSize;
    const n = Math.min(this.batchSize, this.dataset.length - start);
    const [h, w, c] = this.dataset.imageShape;
    const imageSize = h * w * c;
    const x = new Float32Array(n * imageSize);
    const y = new Int32Array(n);
    const indices = order.slice(start, start + n);
    for (let j = 0; j < n; j++) {
      const { image, label } = this.dataset.get(indices[j]);
      if (image.length !== imageSize)
        throw new ShapeError(`DataLoader: sample ${indices[j]} has ${image.length} values but the dataset's imageShape ` +
          `[${h}, ${w}, ${c}] needs ${imageSize}`);
      if (!Number.isInteger(label) || label < 0 || label >= this.dataset.numClasses)
        throw new ArgumentError(`DataLoader: sample ${indices[j]} has label ${label}, outside 0..${this.dataset.numClasses - 1}`);
      const out = x.subarray(j * imageSize, (j + 1) * imageSize);
      if (this.cropPadding > 0) randomCrop(image, this.dataset.imageShape, this.cropPadding, this.augmentRng, out);
      else out.set(image);
      if (this.flip && this.augmentRng.uniform() < 0.5) flipHorizontal(out, this.dataset.imageShape);
      if (this.mean !== null && this.std !== null) normalizeChannels(out, c, this.mean, this.std);
      y[j] = label;
    }
    this.currentStep++;
    if (this.currentStep === this.length) {
      this.currentEpoch++;
      this.currentStep = 0;
      this.order = null;
    }
    return { x: new Tensor(x, [n, h, w, c]), y, indices };
  }

  /** This epoch's sample order; drawing it advances the shuffle generator to the next epoch's start. */
  private epochOrder(): Int32Array {
    if (this.order === null) {
      this.epochStartRng = generatorState(this.shuffleRng);
      const order = new Int32Array(this.dataset.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      if (this.shuffle) this.shuffleRng.shuffle(order);
      this.order = order;
    }
    return this.order;
  }
}
