/**
 * PNG and JPEG decoding (pngjs and jpeg-js, both pure JavaScript) to 8-bit RGBA, with the image size checked
 * against a pixel budget before the decoder allocates anything for it.
 */
import { inflateSync } from 'node:zlib';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { FormatError } from '../errors.js';

/** A decoded image: `width * height` RGBA pixels, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Default pixel budget per image (4096 x 4096). */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function describeStart(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Checks a PNG's IHDR chunk (always first: length at byte 8, type at 12, width at 16, height at 20). */
function checkPngHeader(bytes: Uint8Array, name: string, maxPixels: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR')
    throw new FormatError(`${name}: PNG without an IHDR chunk at byte 12 (truncated or corrupt file)`);
  const width = view.getUint32(16, false);
  const height = view.getUint32(20, false);
  if (width === 0 || height === 0 || width * height > maxPixels)
    throw new FormatError(`${name}: IHDR at byte 16 says ${width}x${height} pixels, outside 1..${maxPixels} pixels ` +
      '(raise maxPixels for larger images)');
  const imageData = checkPngChunks(bytes, view, name);
  if (bytes[28] === 1) checkInterlacedDataSize(imageData, bytes[24], bytes[25], name, width, height);
}

/**
 * Walks the chunks after IHDR and returns the image data (IDAT) parts. pngjs lets a later IHDR replace the first,
 * which would bypass the pixel budget checked above (a 128-byte file could decode to 7 x 8,388,611 pixels), so a
 * second IHDR is an error. Lengths that run past the end are left for pngjs to report.
 */
function checkPngChunks(bytes: Uint8Array, view: DataView, name: string): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 8 + 12 + view.getUint32(8, false); at + 8 <= bytes.length;) {
    const length = view.getUint32(at, false);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IHDR') throw new FormatError(`${name}: a second IHDR chunk at byte ${at} (a PNG has one, first)`);
    if (type === 'IDAT') parts.push(bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length)));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return parts;
}

/** Samples per pixel of each PNG colour type (grey, RGB, palette index, grey + alpha, RGBA). */
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * pngjs caps decompression at the header's image size for plain PNGs but not for interlaced ones, where a few KB of
 * compressed zeros could expand to gigabytes. So for those the image data is inflated here first, capped at what
 * the header justifies: the pixels' bits plus, per row of each of Adam7's 7 passes, a filter byte and a partial byte.
 */
function checkInterlacedDataSize(imageData: Uint8Array[], bitDepth: number, colorType: number, name: string, width: number,
    height: number): void {
  const bitsPerPixel = (PNG_CHANNELS[colorType] ?? 4) * Math.min(bitDepth, 16);
  const limit = 14 * height + Math.ceil((width * height * bitsPerPixel) / 8);
  try {
    inflateSync(Buffer.concat(imageData), { maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new FormatError(`${name}: the interlaced image data decompresses to more than the ${limit} bytes a ` +
        `${width}x${height} image needs (corrupt file or decompression bomb)`);
    // Other deflate errors are pngjs's to report, with its own message.
  }
}

/** SOF0..SOF15 start a frame, except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * jpeg-js allocates every frame's coefficient blocks as soon as it reads the frame header, for up to 255 colour
 * components with sampling factors up to 15, so a 1 KB file could make it allocate tens of MB before failing. A
 * real image has one frame of 1 to 4 components sampled 1 to 4 times; this walks the marker segments (skipping
 * entropy-coded data) and rejects anything else first.
 */
function checkJpegFrames(bytes: Uint8Array, name: string): void {
  let frames = 0;
  for (let at = 2; at + 1 < bytes.length;) {
    const marker = bytes[at + 1];
    // Entropy-coded bytes, stuffed zeros, restart markers and fill bytes are not segments.
    if (bytes[at] !== 0xff || marker === 0x00 || marker === 0xff || (marker >= 0xd0 && marker <= 0xd7)) {
      at += bytes[at] === 0xff && marker !== 0xff ? 2 : 1;
      continue;
    }
    if (marker === 0xd9) return; // end of image
    if (isStartOfFrame(marker)) {
      const components = bytes[at + 9];
      if (++frames > 1) throw new FormatError(`${name}: a second JPEG frame header at byte ${at} (an image has one)`);
      if (components === undefined || components < 1 || components > 4)
        throw new FormatError(`${name}: JPEG frame header at byte ${at} declares ${components ?? 'no'} colour components ` +
          '(images have 1 to 4)');
      for (let c = 0; c < components && at + 11 + 3 * c < bytes.length; c++) {
        const sampling = bytes[at + 11 + 3 * c];
        if ((sampling >> 4) < 1 || (sampling >> 4) > 4 || (sampling & 15) < 1 || (sampling & 15) > 4)
          throw new FormatError(`${name}: JPEG component ${c} at byte ${at + 11 + 3 * c} has sampling factors ` +
            `${sampling >> 4}x${sampling & 15} (the standard allows 1 to 4)`);
      }
    }
    at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
  }
}

/**
 * Decodes a PNG or JPEG (recognised by its signature, not its file name) to RGBA. `name` is used in errors.
 * Throws FormatError for other formats, corrupt data, or images over `maxPixels`.
 */
export function decodeImage(bytes: Uint8Array, name: string, maxPixels = DEFAULT_MAX_PIXELS): RgbaImage {
  if (startsWith(bytes, PNG_SIGNATURE)) {
    checkPngHeader(bytes, name, maxPixels);
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw new FormatError(`${name}: corrupt PNG (${(e as Error).message}); re-export or re-download the image`);
    }
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    checkJpegFrames(bytes, name);
    try {
      const jpeg = decodeJpeg(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: maxPixels / 1e6,
        // RGBA output plus the decoder's component planes and tables for an image at the pixel budget.
        maxMemoryUsageInMB: Math.max(64, Math.ceil((maxPixels * 12) / (1 << 20))),
      });
      return { width: jpeg.width, height: jpeg.height, data: jpeg.data };
    } catch (e) {
      throw new FormatError(`${name}: corrupt or unsupported JPEG (${(e as Error).message}); re-export it as a baseline JPEG or PNG`);
    }
  }
  throw new FormatError(`${name}: not a PNG or JPEG file (starts with ${describeStart(bytes)} at byte 0)`);
}
