/**
 * PNG files as chunk lists, for fuzzing below the CRC check: mutating a chunk and recomputing its CRC reaches the
 * decoder's header, palette and scanline logic instead of stopping at "bad CRC". Also builds the PNG kinds pngjs
 * cannot write (palette, Adam7-interlaced).
 */
import { deflateSync } from 'node:zlib';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface Chunk {
  type: string;
  data: Uint8Array;
}

/** The chunks of a well-formed PNG (lengths trusted: only used on seeds). */
export function pngChunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  for (let at = SIGNATURE.length; at + 12 <= png.length;) {
    const length = view.getUint32(at, false);
    chunks.push({ type: String.fromCharCode(...png.subarray(at + 4, at + 8)), data: png.slice(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

/** A PNG from chunks, with correct lengths and CRCs. */
export function pngFromChunks(chunks: readonly Chunk[]): Uint8Array {
  const out = new Uint8Array(SIGNATURE.length + chunks.reduce((n, c) => n + 12 + c.data.length, 0));
  const view = new DataView(out.buffer);
  out.set(SIGNATURE);
  let at = SIGNATURE.length;
  for (const { type, data } of chunks) {
    view.setUint32(at, data.length, false);
    const typed = new Uint8Array(4 + data.length);
    typed.set(Array.from(type.padEnd(4).slice(0, 4), (ch) => ch.charCodeAt(0) & 0xff));
    typed.set(data, 4);
    out.set(typed, at + 4);
    view.setUint32(at + 8 + data.length, crc32(typed), false);
    at += 12 + data.length;
  }
  return out;
}

/** IHDR data: size, bit depth, colour type, compression, filter and interlace method. */
export function ihdr(width: number, height: number, bitDepth: number, colorType: number, interlace = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width, false);
  view.setUint32(4, height, false);
  data.set([bitDepth, colorType, 0, 0, interlace], 8);
  return data;
}

/** A 4x2 palette PNG (colour type 3, 8-bit indices) with a 3-entry palette and a tRNS chunk. */
export function palettePng(): Uint8Array {
  const rows = Uint8Array.of(0, 0, 1, 2, 1, /* row 2, Sub filter */ 1, 2, 255, 0, 0);
  return pngFromChunks([
    { type: 'IHDR', data: ihdr(4, 2, 8, 3) },
    { type: 'PLTE', data: Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255) },
    { type: 'tRNS', data: Uint8Array.of(255, 128) },
    { type: 'IDAT', data: new Uint8Array(deflateSync(rows)) },
    { type: 'IEND', data: new Uint8Array(0) },
  ]);
}

/**
 * A 3x3 8-bit grey Adam7-interlaced PNG. Passes 1, 4, 5, 6, 7 hold pixels for a 3x3 image (1x1, 1x1, 2x1, 1x2 and
 * 3x1 sub-images); each sub-image row is a filter byte then its pixels.
 */
export function interlacedPng(): Uint8Array {
  const passes = [[0, 10], [0, 20], [0, 30, 40], [0, 50], [0, 60], [2, 70, 1, 1]];
  return pngFromChunks([
    { type: 'IHDR', data: ihdr(3, 3, 8, 0, 1) },
    { type: 'IDAT', data: new Uint8Array(deflateSync(Uint8Array.from(passes.flat()))) },
    { type: 'IEND', data: new Uint8Array(0) },
  ]);
}
