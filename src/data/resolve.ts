/**
 * Dataset specs for the command line: `mnist`, `fashion-mnist`, `cifar10:DIR`, `cifar100:DIR`, `folder:DIR`,
 * `idx:DIR`.
 */
import { ArgumentError } from '../errors.js';
import { loadCifar10, loadCifar100 } from './cifar.js';
import type { DatasetSplit, ImageDataset } from './dataset.js';
import { loadFashionMnist } from './fashion_mnist.js';
import { loadIdxDirectory } from './idx.js';
import { loadImageFolderSplit, type ImageFolderOptions } from './image_folder.js';
import { loadMnist } from './mnist.js';

/** The accepted forms, for help texts. */
export const DATASET_SPECS: readonly string[] = Object.freeze([
  'mnist (built-in 10,000 digits, 28x28x1)',
  'fashion-mnist[:DIR] (apt-get install dataset-fashion-mnist)',
  'cifar10:DIR (binary version, cifar-10-batches-bin)',
  'cifar100:DIR (binary version, cifar-100-binary)',
  'folder:DIR (one sub-folder of PNG/JPEG images per class)',
  'idx:DIR (train-/t10k-images-idx3-ubyte and -labels-idx1-ubyte, plain or .gz)',
]);

/** Options for {@link resolveDataset}; each applies to the specs that have the choice. */
export interface ResolveOptions {
  /** Seed of the train/test split (mnist, folder without train/test sub-folders). Default 0. */
  seed?: number;
  /** Share held out for testing (mnist, folder without train/test sub-folders). Default 0.2. */
  testFraction?: number;
  /** Image size of `folder:` datasets. Default 32. */
  imageSize?: ImageFolderOptions['imageSize'];
  /** Channels of `folder:` datasets (1 or 3). Default 3. */
  channels?: number;
}

function unknownSpec(spec: string, why: string): ArgumentError {
  return new ArgumentError(`dataset '${spec}': ${why}; use one of: ${DATASET_SPECS.join(', ')}`);
}

/** Loads the train and test sets named by `spec`. */
export function resolveDataset(spec: string, options: ResolveOptions = {}): DatasetSplit<ImageDataset> {
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const dir = colon < 0 ? '' : spec.slice(colon + 1);
  const split = { seed: options.seed, testFraction: options.testFraction };
  const withDir = (load: (d: string) => DatasetSplit<ImageDataset>): DatasetSplit<ImageDataset> => {
    if (dir === '') throw unknownSpec(spec, `'${kind}' needs a directory (${kind}:DIR)`);
    return load(dir);
  };
  switch (kind) {
    case 'mnist':
      if (dir !== '') throw unknownSpec(spec, "'mnist' is built in and takes no directory (for IDX files use idx:DIR)");
      return loadMnist(split);
    case 'fashion-mnist':
      return dir === '' ? loadFashionMnist() : loadFashionMnist(dir);
    case 'cifar10':
      return withDir(loadCifar10);
    case 'cifar100':
      return withDir((d) => loadCifar100(d));
    case 'folder':
      return withDir((d) => loadImageFolderSplit(d, { ...split, imageSize: options.imageSize, channels: options.channels }));
    case 'idx':
      return withDir((d) => loadIdxDirectory(d));
    default:
      throw unknownSpec(spec, 'unknown dataset');
  }
}
