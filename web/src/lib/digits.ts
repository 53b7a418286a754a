/**
 * The built-in digits (web/tools/digits_asset.ts makes digits.bin at build time from the `mnist` package): 28×28
 * grey images as bytes with their labels, split into train and test parts.
 */
import { FormatError, ImageDataset } from './sepconv.js';

export interface DigitsSplit {
  train: ImageDataset;
  test: ImageDataset;
}

/** Where the asset is, next to the page. */
export function digitsUrl(): string {
  return new URL('digits.bin', document.baseURI).href;
}

/** Parses digits.bin. */
export function parseDigits(bytes: Uint8Array): DigitsSplit {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'SCDG')
    throw new FormatError('digits.bin: not a digits file (no SCDG signature at byte 0); rebuild the page');
  const side = view.getUint32(4, true);
  const nTrain = view.getUint32(8, true);
  const nTest = view.getUint32(12, true);
  const pixels = side * side;
  const n = nTrain + nTest;
  if (bytes.length !== 16 + n * (pixels + 1))
    throw new FormatError(`digits.bin: ${bytes.length} bytes, expected ${16 + n * (pixels + 1)} for ${n} images of ${side}x${side}`);
  const labelsAt = 16 + n * pixels;
  const part = (from: number, count: number) => new ImageDataset({
    pixels: bytes.slice(16 + from * pixels, 16 + (from + count) * pixels),
    labels: bytes.slice(labelsAt + from, labelsAt + from + count),
    imageShape: [side, side, 1], numClasses: 10, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  });
  return { train: part(0, nTrain), test: part(nTrain, nTest) };
}

/** Fetches and parses the digits at `url`. */
export async function loadDigits(url: string): Promise<DigitsSplit> {
  const response = await fetch(url);
  if (!response.ok) throw new FormatError(`digits.bin: fetching ${url} failed with HTTP ${response.status}`);
  return parseDigits(new Uint8Array(await response.arrayBuffer()));
}
