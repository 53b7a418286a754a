/**
 * Fashion-MNIST (Zalando, MIT): 70,000 28x28 grey images of clothing in 10 classes, in MNIST's IDX format. Debian
 * ships it as `dataset-fashion-mnist`, which installs the four `.gz` files in {@link FASHION_MNIST_DIR}.
 */
import { existsSync } from 'node:fs';
import { ArgumentError } from '../errors.js';
import type { DatasetSplit, ImageDataset } from './dataset.js';
import { loadIdxDirectory } from './idx.js';

/** Where Debian's `dataset-fashion-mnist` package puts the IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The ten classes, index = label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);

/** Loads Fashion-MNIST (60,000 train / 10,000 test) from `dir`, by default where Debian installs it. */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): DatasetSplit<ImageDataset> {
  if (!existsSync(dir))
    throw new ArgumentError(`fashion-mnist: ${dir} not found; install it with 'apt-get install dataset-fashion-mnist' ` +
      "(Debian/Ubuntu), or put the four IDX files (train-images-idx3-ubyte.gz, ...) in a folder and use 'idx:DIR'");
  return loadIdxDirectory(dir, { classNames: FASHION_MNIST_CLASSES });
}
