/** Datasets (MNIST, Fashion-MNIST, IDX, CIFAR, image folders), batching and augmentation. */
export { ImageDataset, splitDataset, stratifiedSplit, type Dataset, type DatasetSplit, type ImageDatasetInit,
  type ImageShape, type Sample } from './dataset.js';
export { DataLoader, type AugmentOptions, type Batch, type DataLoaderOptions, type DataLoaderState,
  type NormalizeOptions } from './dataloader.js';
export { flipHorizontal, normalizeChannels, randomCrop } from './augment.js';
export { findIdxFiles, loadIdxDirectory, loadIdxPair, readIdxImages, readIdxLabels, type IdxFiles, type IdxImages,
  type IdxOptions } from './idx.js';
export { CIFAR10_CLASSES, loadCifar10, loadCifar100, type Cifar100Options } from './cifar.js';
export { loadImageFolder, loadImageFolderSplit, type ImageFolderOptions, type ImageFolderSplitOptions } from './image_folder.js';
export { DEFAULT_MAX_PIXELS, decodeImage, type RgbaImage } from './image_decode.js';
export { resizeImage, rgbaToChannels } from './resize.js';
export { loadMnist, mnistDigits, type MnistOptions } from './mnist.js';
export { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadFashionMnist } from './fashion_mnist.js';
export { DATASET_SPECS, resolveDataset, type ResolveOptions } from './resolve.js';
