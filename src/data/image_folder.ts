/**
 * Image folders, as torchvision's ImageFolder: one sub-folder per class (sorted names give the labels), PNG and JPEG
 * files anywhere below it, every image converted to a fixed channel count and resized to a fixed size on load.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ArgumentError } from '../errors.js';
import { ImageDataset, splitDataset, type DatasetSplit } from './dataset.js';
import { DEFAULT_MAX_PIXELS, decodeImage } from './image_decode.js';
import { resizeImage, rgbaToChannels } from './resize.js';

/** Options for {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Output size: one number for square images, or [height, width]. Default 32. */
  imageSize?: number | readonly [number, number];
  /** 1 (grey) or 3 (RGB). Default 3. */
  channels?: number;
  /** Images with more pixels than this are rejected before decoding. Default 4096 x 4096. */
  maxPixels?: number;
  /** Class names to use instead of the sub-folder names found (fixes the labels of a test folder to a train folder's). */
  classNames?: readonly string[];
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function subdirectories(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith('.') && isDirectory(join(dir, n))).sort();
}

/** Image files below `dir`, recursively, in sorted order (so labels and order never depend on the file system). */
function imageFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (isDirectory(path)) out.push(...imageFiles(path));
    else if (IMAGE_FILE.test(entry)) out.push(path);
  }
  return out;
}

function resolveSize(size: ImageFolderOptions['imageSize']): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size ?? [32, 32];
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1)
    throw new ArgumentError(`loadImageFolder: imageSize must be a positive integer or [height, width], got ${JSON.stringify(size)}`);
  return [h, w];
}

/** Loads every image under `dir/<class>/` as one dataset of `[height, width, channels]` images. */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): ImageDataset {
  const [height, width] = resolveSize(options.imageSize);
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3)
    throw new ArgumentError(`loadImageFolder: channels must be 1 (grey) or 3 (RGB), got ${channels}`);
  if (!isDirectory(dir)) throw new ArgumentError(`folder:${dir}: directory not found`);
  const found = subdirectories(dir);
  const classNames = options.classNames ?? found;
  for (const name of found)
    if (!classNames.includes(name))
      throw new ArgumentError(`folder:${dir}: class folder '${name}' is not one of the classes ${JSON.stringify(classNames)}`);
  if (classNames.length === 0)
    throw new ArgumentError(`folder:${dir}: no class sub-folders; put each class's images in its own folder (${dir}/cat/1.png, ...)`);
  const files: { path: string; label: number }[] = [];
  for (const name of found) {
    const label = classNames.indexOf(name);
    for (const path of imageFiles(join(dir, name))) files.push({ path, label });
  }
  if (files.length === 0) throw new ArgumentError(`folder:${dir}: no .png, .jpg or .jpeg files in the class folders`);
  const imageBytes = height * width * channels;
  const pixels = new Uint8Array(files.length * imageBytes);
  const labels = new Int32Array(files.length);
  files.forEach(({ path, label }, i) => {
    const decoded = decodeImage(new Uint8Array(readFileSync(path)), relative(dir, path), options.maxPixels ?? DEFAULT_MAX_PIXELS);
    const image = resizeImage(rgbaToChannels(decoded, channels), decoded.height, decoded.width, channels, height, width);
    const at = i * imageBytes;
    for (let k = 0; k < imageBytes; k++) pixels[at + k] = Math.min(255, Math.max(0, Math.round(image[k])));
    labels[i] = label;
  });
  return new ImageDataset({ pixels, labels, imageShape: [height, width, channels], numClasses: classNames.length, classNames });
}

/** Options for {@link loadImageFolderSplit}. */
export interface ImageFolderSplitOptions extends ImageFolderOptions {
  /** Share of each class held out for testing when the folder has no train/test sub-folders. Default 0.2. */
  testFraction?: number;
  /** Seed of that split. Default 0. */
  seed?: number;
}

/**
 * Train and test sets from an image folder: `dir/train/<class>/` and `dir/test/<class>/` (or `val/`) when present,
 * otherwise `dir/<class>/` split per class with a seeded {@link stratifiedSplit}.
 */
export function loadImageFolderSplit(dir: string, options: ImageFolderSplitOptions = {}): DatasetSplit<ImageDataset> {
  const testDir = ['test', 'val'].map((n) => join(dir, n)).find(isDirectory);
  const trainDir = join(dir, 'train');
  if (testDir !== undefined && isDirectory(trainDir) && subdirectories(trainDir).length > 0) {
    const train = loadImageFolder(trainDir, options);
    return { train, test: loadImageFolder(testDir, { ...options, classNames: train.classNames }) };
  }
  return splitDataset(loadImageFolder(dir, options), options.testFraction ?? 0.2, options.seed ?? 0);
}
