/**
 * PNG and JPEG decoding (pngjs and jpeg-js, both pure JavaScript) to 8-bit RGBA, with the image size checked
 * against a pixel budget before the decoder allocates anything for it.
 */
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
      throw new FormatError(`${name}: corrupt PNG (${(e as Error).message})`);
    }
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
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
      throw new FormatError(`${name}: corrupt or unsupported JPEG (${(e as Error).message})`);
    }
  }
  throw new FormatError(`${name}: not a PNG or JPEG file (starts with ${describeStart(bytes)} at byte 0)`);
}
