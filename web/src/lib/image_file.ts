/**
 * Decoding a visitor's image with the browser's own decoders (PNG, JPEG, WebP, GIF, BMP, ...) into RGBA bytes, with
 * limits on file size and pixel count so a huge file gives a message instead of a frozen tab.
 */
import { formatBytes, formatInt } from './format.js';
import type { RgbaPixels } from './preprocess.js';

export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;
export const MAX_IMAGE_PIXELS = 4096 * 4096;

/** The image's RGBA pixels; throws an Error with a readable message for files that are not decodable images. */
export async function decodeImageFile(file: Blob, name: string): Promise<RgbaPixels> {
  if (file.size > MAX_IMAGE_BYTES)
    throw new Error(`${name} is ${formatBytes(file.size)}; the page accepts images up to ${formatBytes(MAX_IMAGE_BYTES)}`);
  let bitmap: ImageBitmap;
  try {
    // No colour management and no premultiplication: the bytes the file holds, as pngjs and jpeg-js give them in Node.
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error(`${name} is not an image this browser can decode (try a PNG, JPEG or WebP file)`);
  }
  try {
    const { width, height } = bitmap;
    if (width * height > MAX_IMAGE_PIXELS)
      throw new Error(`${name} is ${formatInt(width)}×${formatInt(height)} pixels; the page accepts up to ${formatInt(MAX_IMAGE_PIXELS)} pixels`);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d', { colorSpace: 'srgb' });
    if (ctx === null) throw new Error('this browser cannot read image pixels (no 2D canvas)');
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, width, height).data;
    return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } finally {
    bitmap.close();
  }
}

/** RGBA pixels of a canvas. */
export function canvasPixels(canvas: HTMLCanvasElement): RgbaPixels {
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('this browser cannot read image pixels (no 2D canvas)');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return { width: canvas.width, height: canvas.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
