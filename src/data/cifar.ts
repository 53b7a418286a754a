/**
 * CIFAR-10 and CIFAR-100 in their binary distributions (`cifar-10-batches-bin`, `cifar-100-binary`): headerless
 * files of fixed-size records, each label byte(s) followed by a 32x32 colour image stored channel-major (1024 red,
 * 1024 green, 1024 blue bytes). Records are converted to channels-last on load. Files may be plain or `.gz`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ArgumentError, FormatError } from '../errors.js';
import { readDecoded } from './binary_file.js';
import { ImageDataset, type DatasetSplit } from './dataset.js';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const IMAGE_BYTES = 3 * PLANE;

/** CIFAR-10's classes, used when `batches.meta.txt` is missing. */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
]);

/** How a record is laid out: how many label bytes lead it, which of them is the label, how many classes. */
interface RecordLayout {
  labelBytes: number;
  labelIndex: number;
  numClasses: number;
}

/** Decodes CIFAR records into HWC pixels and labels, checking the size and every label. */
function decodeRecords(bytes: Uint8Array, name: string, layout: RecordLayout): { pixels: Uint8Array; labels: Uint8Array } {
  const recordSize = layout.labelBytes + IMAGE_BYTES;
  if (bytes.length === 0 || bytes.length % recordSize !== 0) {
    const whole = Math.floor(bytes.length / recordSize);
    throw new FormatError(`${name}: ${bytes.length} bytes is not a whole number of ${recordSize}-byte CIFAR records ` +
      `(record ${whole} starting at byte ${whole * recordSize} is cut short); is this the binary version of the dataset?`);
  }
  const count = bytes.length / recordSize;
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    const at = r * recordSize;
    const label = bytes[at + layout.labelIndex];
    if (label >= layout.numClasses)
      throw new FormatError(`${name}: label ${label} at byte ${at + layout.labelIndex} (record ${r}) is not below ` +
        `${layout.numClasses} classes (a corrupt file, or another dataset's records: CIFAR-100 files given as cifar10?)`);
    labels[r] = label;
    const src = at + layout.labelBytes;
    const dst = r * IMAGE_BYTES;
    for (let p = 0; p < PLANE; p++) {
      pixels[dst + 3 * p] = bytes[src + p];
      pixels[dst + 3 * p + 1] = bytes[src + PLANE + p];
      pixels[dst + 3 * p + 2] = bytes[src + 2 * PLANE + p];
    }
  }
  return { pixels, labels };
}

/** The file `name` or `name.gz` in `dir`. */
function findFile(dir: string, name: string, spec: string): string {
  for (const candidate of [name, name + '.gz']) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new ArgumentError(`${spec}:${dir}: ${name} not found; point it at the extracted binary version ` +
    `(the folder holding ${name}, or its parent)`);
}

/** Loads several record files as one dataset. */
function loadRecords(paths: string[], layout: RecordLayout, classNames?: readonly string[]): ImageDataset {
  const parts = paths.map((p) => decodeRecords(readDecoded(p), basename(p), layout));
  const total = parts.reduce((n, part) => n + part.labels.length, 0);
  const pixels = new Uint8Array(total * IMAGE_BYTES);
  const labels = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    pixels.set(part.pixels, at * IMAGE_BYTES);
    labels.set(part.labels, at);
    at += part.labels.length;
  }
  return new ImageDataset({ pixels, labels, imageShape: [SIDE, SIDE, 3], numClasses: layout.numClasses, classNames });
}

/** One name per line (the `.txt` files that ship with the binary versions), or undefined when absent or wrong. */
function readClassNames(path: string, count: number): readonly string[] | undefined {
  if (!existsSync(path)) return undefined;
  const names = readFileSync(path, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length !== count)
    throw new FormatError(`${basename(path)}: ${names.length} class names, expected ${count} (one per line); fix the file ` +
      'or delete it');
  return names;
}

/** `dir` itself when it holds `marker`, else its sub-folder `sub` when that does. */
function datasetFolder(dir: string, sub: string, marker: string, spec: string): string {
  if (!existsSync(dir)) throw new ArgumentError(`${spec}:${dir}: directory not found`);
  for (const candidate of [dir, join(dir, sub)])
    if (existsSync(join(candidate, marker)) || existsSync(join(candidate, marker + '.gz'))) return candidate;
  throw new ArgumentError(`${spec}:${dir}: neither it nor ${join(dir, sub)} holds ${marker}; ` +
    `point it at the extracted binary version of the dataset`);
}

/** Loads CIFAR-10 (binary version): `data_batch_1..5.bin` for training, `test_batch.bin` for testing. */
export function loadCifar10(dir: string): DatasetSplit<ImageDataset> {
  const root = datasetFolder(dir, 'cifar-10-batches-bin', 'test_batch.bin', 'cifar10');
  const layout = { labelBytes: 1, labelIndex: 0, numClasses: 10 };
  const classNames = readClassNames(join(root, 'batches.meta.txt'), 10) ?? CIFAR10_CLASSES;
  const trainFiles = [1, 2, 3, 4, 5].map((k) => findFile(root, `data_batch_${k}.bin`, 'cifar10'));
  return {
    train: loadRecords(trainFiles, layout, classNames),
    test: loadRecords([findFile(root, 'test_batch.bin', 'cifar10')], layout, classNames),
  };
}

/** Options for {@link loadCifar100}. */
export interface Cifar100Options {
  /** Which label to learn: the 100 fine classes (default) or the 20 coarse superclasses. */
  labels?: 'fine' | 'coarse';
}

/** Loads CIFAR-100 (binary version): `train.bin` and `test.bin`, each record a coarse then a fine label byte. */
export function loadCifar100(dir: string, options: Cifar100Options = {}): DatasetSplit<ImageDataset> {
  const root = datasetFolder(dir, 'cifar-100-binary', 'test.bin', 'cifar100');
  const which = options.labels ?? 'fine';
  if (which !== 'fine' && which !== 'coarse')
    throw new ArgumentError(`loadCifar100: labels must be 'fine' or 'coarse', got '${String(which)}'`);
  const fine = which === 'fine';
  const layout = { labelBytes: 2, labelIndex: fine ? 1 : 0, numClasses: fine ? 100 : 20 };
  const classNames = readClassNames(join(root, fine ? 'fine_label_names.txt' : 'coarse_label_names.txt'), layout.numClasses);
  return {
    train: loadRecords([findFile(root, 'train.bin', 'cifar100')], layout, classNames),
    test: loadRecords([findFile(root, 'test.bin', 'cifar100')], layout, classNames),
  };
}
