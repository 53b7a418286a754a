/**
 * IDX files, the MNIST / Fashion-MNIST format: a big-endian header (two zero bytes, an element-type byte, a
 * dimension count, then one uint32 per dimension) followed by the raw elements. sepconv reads unsigned-byte
 * images (magic 0x00000803: count, rows, columns) and labels (magic 0x00000801: count), plain or `.gz`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ArgumentError, FormatError } from '../errors.js';
import { maxDecodedSize, readDecoded, readHead } from './binary_file.js';
import { ImageDataset, type DatasetSplit } from './dataset.js';

const IDX_LABELS_MAGIC = 0x00000801;
const IDX_IMAGES_MAGIC = 0x00000803;

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

/** Reads and checks the header of `path`; returns its dimensions and the offset where the data starts. */
function readIdxHeader(path: string, magic: number, what: string): { dims: number[]; dataOffset: number } {
  const name = basename(path);
  const rank = magic & 0xff;
  const headerSize = 4 + 4 * rank;
  const head = readHead(path, headerSize);
  if (head.length < 4)
    throw new FormatError(`${name}: ${head.length} bytes is too short for an IDX header (4-byte magic at byte 0)`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic)
    throw new FormatError(`${name}: magic ${hex(found)} at byte 0 is not an IDX ${what} file (expected ${hex(magic)}: ` +
      `unsigned bytes, ${rank} dimension${rank > 1 ? 's' : ''})`);
  if (head.length < headerSize)
    throw new FormatError(`${name}: the file ends at byte ${head.length}, inside its ${headerSize}-byte IDX header`);
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  for (let d = 1; d < rank; d++)
    if (dims[d] === 0) throw new FormatError(`${name}: dimension ${d} at byte ${4 + 4 * d} is 0; ${what} need positive sizes ` +
      '(corrupt header: re-download the file)');
  const dataSize = dims.reduce((a, b) => a * b, 1);
  const room = maxDecodedSize(path) - headerSize;
  if (dataSize > room)
    throw new FormatError(`${name}: the header at byte 4 claims ${dims.join(' x ')} = ${dataSize} data bytes but the ` +
      `file can hold at most ${room} (truncated file or corrupt header)`);
  return { dims, dataOffset: headerSize };
}

/** The images of an IDX image file: `count` row-major `rows x columns` byte images. */
export interface IdxImages {
  count: number;
  rows: number;
  columns: number;
  pixels: Uint8Array;
}

/** Reads an IDX image file (magic 0x00000803), plain or `.gz`. */
export function readIdxImages(path: string): IdxImages {
  const { dims, dataOffset } = readIdxHeader(path, IDX_IMAGES_MAGIC, 'image');
  const [count, rows, columns] = dims;
  const bytes = readDecoded(path, dataOffset + count * rows * columns);
  return { count, rows, columns, pixels: bytes.subarray(dataOffset) };
}

/** Reads an IDX label file (magic 0x00000801), plain or `.gz`. */
export function readIdxLabels(path: string): Uint8Array {
  const { dims, dataOffset } = readIdxHeader(path, IDX_LABELS_MAGIC, 'label');
  return readDecoded(path, dataOffset + dims[0]).subarray(dataOffset);
}

/** Options for the IDX loaders. */
export interface IdxOptions {
  /** Class names, index = label; their count sets `numClasses` (otherwise the largest label + 1). */
  classNames?: readonly string[];
}

/** Checks that labels fit the class count, naming the file and byte of the first that does not. */
function checkLabels(labels: Uint8Array, numClasses: number, labelsPath: string): void {
  for (let i = 0; i < labels.length; i++)
    if (labels[i] >= numClasses)
      throw new FormatError(`${basename(labelsPath)}: label ${labels[i]} at byte ${8 + i} is not below the ` +
        `${numClasses} classes (give a class name for every label, or check the labels file belongs to this dataset)`);
}

function pairDataset(images: IdxImages, imagesPath: string, labels: Uint8Array, labelsPath: string, numClasses: number,
    classNames?: readonly string[]): ImageDataset {
  if (labels.length !== images.count)
    throw new FormatError(`${basename(labelsPath)}: labels file has ${labels.length} items but images file ` +
      `${basename(imagesPath)} has ${images.count}; use the labels that belong to these images (or re-download both)`);
  checkLabels(labels, numClasses, labelsPath);
  return new ImageDataset({ pixels: images.pixels, labels, imageShape: [images.rows, images.columns, 1], numClasses, classNames });
}

function maxLabel(labels: Uint8Array): number {
  let m = 0;
  for (const l of labels) if (l > m) m = l;
  return m;
}

/** Loads one IDX images + labels pair as a dataset of `[rows, columns, 1]` images. */
export function loadIdxPair(imagesPath: string, labelsPath: string, options: IdxOptions = {}): ImageDataset {
  const images = readIdxImages(imagesPath);
  const labels = readIdxLabels(labelsPath);
  const numClasses = options.classNames?.length ?? maxLabel(labels) + 1;
  return pairDataset(images, imagesPath, labels, labelsPath, numClasses, options.classNames);
}

/** Matches `train-images-idx3-ubyte`, `t10k-labels.idx1-ubyte.gz`, ... */
const IDX_NAME = /^(train|t10k|test)-(images|labels)[-.]idx([13])-ubyte(\.gz)?$/;

/** The four files of an MNIST-style directory. */
export interface IdxFiles {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

/** Finds the four IDX files in `dir` (the standard names, plain or `.gz`). */
export function findIdxFiles(dir: string): IdxFiles {
  if (!existsSync(dir))
    throw new ArgumentError(`idx:${dir}: directory not found`);
  const found = new Map<string, string>();
  for (const file of readdirSync(dir).sort()) {
    const m = IDX_NAME.exec(file);
    if (m === null || (m[2] === 'images') !== (m[3] === '3')) continue;
    const key = (m[1] === 'train' ? 'train' : 'test') + '-' + m[2];
    // Prefer the plain file when both it and its .gz are present: it reads faster.
    if (!found.has(key) || m[4] === undefined) found.set(key, join(dir, file));
  }
  const need = (key: string, standard: string): string => {
    const path = found.get(key);
    if (path === undefined)
      throw new ArgumentError(`idx:${dir}: no ${standard}[.gz] in the directory (it needs train-images-idx3-ubyte, ` +
        'train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or .gz)');
    return path;
  };
  return {
    trainImages: need('train-images', 'train-images-idx3-ubyte'),
    trainLabels: need('train-labels', 'train-labels-idx1-ubyte'),
    testImages: need('test-images', 't10k-images-idx3-ubyte'),
    testLabels: need('test-labels', 't10k-labels-idx1-ubyte'),
  };
}

/** Loads an MNIST-style directory (train-* and t10k-* IDX files) as train and test datasets. */
export function loadIdxDirectory(dir: string, options: IdxOptions = {}): DatasetSplit<ImageDataset> {
  const files = findIdxFiles(dir);
  const trainImages = readIdxImages(files.trainImages);
  const trainLabels = readIdxLabels(files.trainLabels);
  const testImages = readIdxImages(files.testImages);
  const testLabels = readIdxLabels(files.testLabels);
  if (trainImages.rows !== testImages.rows || trainImages.columns !== testImages.columns)
    throw new FormatError(`${basename(files.testImages)}: images are ${testImages.rows}x${testImages.columns} but ` +
      `${basename(files.trainImages)} has ${trainImages.rows}x${trainImages.columns}; the train and test files must come ` +
      'from the same dataset');
  const numClasses = options.classNames?.length ?? Math.max(maxLabel(trainLabels), maxLabel(testLabels)) + 1;
  return {
    train: pairDataset(trainImages, files.trainImages, trainLabels, files.trainLabels, numClasses, options.classNames),
    test: pairDataset(testImages, files.testImages, testLabels, files.testLabels, numClasses, options.classNames),
  };
}
