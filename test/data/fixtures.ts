/** Small generated dataset files for the data tests: IDX, CIFAR records, PNG and JPEG images, in temp folders. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { Random } from '../../src/tensor/random.js';

/** A fresh temporary folder and a function that deletes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `sepconv-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `bytes` to `path` (gzip-compressed when the name ends in .gz), creating folders as needed. */
export function writeData(path: string, bytes: Uint8Array): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, path.endsWith('.gz') ? gzipSync(bytes) : bytes);
  return path;
}

/** An IDX file: big-endian magic and dimensions, then `data`. */
export function idxBytes(magic: number, dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** `count` random byte images of `rows x columns` and labels below `numClasses`. */
export function randomImages(count: number, rows: number, columns: number, numClasses: number, seed: number):
    { pixels: Uint8Array; labels: Uint8Array } {
  const rng = new Random(seed);
  const pixels = Uint8Array.from({ length: count * rows * columns }, () => rng.int(256));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % numClasses);
  return { pixels, labels };
}

/** Writes an IDX images + labels pair (plain or .gz by name). */
export function writeIdxPair(imagesPath: string, labelsPath: string, pixels: Uint8Array, labels: Uint8Array,
    rows: number, columns: number): void {
  writeData(imagesPath, idxBytes(0x803, [labels.length, rows, columns], pixels));
  writeData(labelsPath, idxBytes(0x801, [labels.length], labels));
}

/** The value a generated CIFAR record holds at (channel, pixel) for record `r`: distinct per plane and record. */
export function cifarValue(r: number, channel: number, pixel: number): number {
  return (r * 7 + channel * 85 + pixel * 3) % 256;
}

/** CIFAR records: `labels[r]` label bytes (one or two) then the 3 x 1024 channel-major image. */
export function cifarRecords(labels: readonly (readonly number[])[]): Uint8Array {
  const labelBytes = labels[0].length;
  const size = labelBytes + 3072;
  const out = new Uint8Array(labels.length * size);
  labels.forEach((ls, r) => {
    out.set(ls, r * size);
    for (let ch = 0; ch < 3; ch++)
      for (let p = 0; p < 1024; p++) out[r * size + labelBytes + ch * 1024 + p] = cifarValue(r, ch, p);
  });
  return out;
}

/** An 8-bit RGBA PNG of `width x height` pixels coloured by `pixel(x, y)`. */
export function pngBytes(width: number, height: number, pixel: (x: number, y: number) => readonly number[]): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  return new Uint8Array(PNG.sync.write({ width, height, data }));
}

/** A JPEG (quality 95) of one solid RGB colour. */
export function solidJpeg(width: number, height: number, rgb: readonly number[]): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...rgb, 255], p * 4);
  return new Uint8Array(encodeJpeg({ width, height, data }, 95).data);
}
