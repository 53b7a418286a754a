import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage } from '../../src/data/image_decode.js';
import { loadImageFolder } from '../../src/data/image_folder.js';
import { pngBytes, tempDir } from '../data/fixtures.js';
import { fuzzReader, mutate, mutation, type FuzzInput } from './harness.js';
import { ihdr, interlacedPng, palettePng, pngChunks, pngFromChunks, type Chunk } from './png_chunks.js';

const { dir, cleanup } = tempDir('fuzz-images');
after(cleanup);

/** A small pixel budget, so that "an allocation the file does not justify" is easy to see. */
const MAX_PIXELS = 64 * 64;

/** Allocation budget of one decode: the image at the pixel budget (RGBA, 16-bit intermediates) many times over. */
const imageBudget = (input: FuzzInput) => (4 << 20) + 64 * input.bytes.length;

function gradient(x: number, y: number): number[] {
  return [x * 40, y * 40, (x + y) * 20, 255 - x * 10];
}

function pngWith(colorType: number, bitDepth: number): Uint8Array {
  const data = Buffer.alloc(6 * 5 * 4);
  for (let y = 0; y < 5; y++) for (let x = 0; x < 6; x++) data.set(gradient(x, y), (y * 6 + x) * 4);
  return new Uint8Array(PNG.sync.write({ width: 6, height: 5, data }, { colorType, bitDepth, inputHasAlpha: true }));
}

const pngSeeds = [pngBytes(7, 3, gradient), pngWith(2, 8), pngWith(0, 8), pngWith(4, 8), pngWith(6, 16), pngWith(0, 16),
  palettePng(), interlacedPng()];

function jpegOf(width: number, height: number, quality: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set(gradient(p % width, Math.floor(p / width)), p * 4);
  return new Uint8Array(encodeJpeg({ width, height, data }, quality).data);
}

const jpegSeeds = [jpegOf(8, 8, 90), jpegOf(17, 9, 50), jpegOf(1, 1, 100)];

const u32 = fc.oneof(fc.constantFrom(0, 1, 64, 65, 4096, 0x7fffffff, 0x80000000, 0xffffffff), fc.nat());

/** Compressed zeros: 16 KB to 16 MB of scanlines from a few bytes to 16 KB of file. */
const bombs = [1 << 14, 1 << 20, 1 << 24].map((n) => new Uint8Array(deflateSync(new Uint8Array(n))));

/** Chunk-level edits of a PNG, with CRCs recomputed so the decoder's own checks are reached. */
const chunkEdit: fc.Arbitrary<(chunks: Chunk[]) => Chunk[]> = fc.oneof(
  // Mutate one chunk's data.
  fc.tuple(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([k, ms]) => (cs: Chunk[]) =>
    cs.map((c, i) => (i === k % cs.length ? { type: c.type, data: ms.reduce(mutate, c.data) } : c))),
  // A header that lies about size, depth, colour type or interlacing.
  fc.tuple(u32, u32, fc.constantFrom(0, 1, 2, 4, 8, 16, 3, 255), fc.constantFrom(0, 2, 3, 4, 6, 1, 5, 7, 255), fc.constantFrom(0, 1, 2))
    .map(([w, h, depth, color, interlace]) => (cs: Chunk[]) =>
      cs.map((c) => (c.type === 'IHDR' ? { type: 'IHDR', data: ihdr(w, h, depth, color, interlace) } : c))),
  // Scanlines that lie: the image data decompressed, mutated, recompressed.
  fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => (cs: Chunk[]) => {
    let raw: Uint8Array;
    try {
      raw = new Uint8Array(inflateSync(Buffer.concat(cs.filter((c) => c.type === 'IDAT').map((c) => c.data))));
    } catch {
      return cs; // an earlier edit already broke the compressed stream
    }
    const data = new Uint8Array(deflateSync(ms.reduce(mutate, raw)));
    return [...cs.filter((c) => c.type !== 'IDAT' && c.type !== 'IEND'), { type: 'IDAT', data }, { type: 'IEND', data: new Uint8Array(0) }];
  }),
  // A deflate bomb: a small header and megabytes of zero scanlines.
  fc.constantFrom(...bombs).map((data) => (cs: Chunk[]) =>
    [...cs.filter((c) => c.type === 'IHDR'), { type: 'IDAT', data }, { type: 'IEND', data: new Uint8Array(0) }]),
  // Chunks dropped, duplicated, reordered, or an unknown critical chunk added.
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('drop', 'duplicate', 'swap', 'unknown')).map(([a, b, op]) => (cs: Chunk[]) => {
    const i = a % cs.length;
    const j = b % cs.length;
    const out = [...cs];
    if (op === 'drop') out.splice(i, 1);
    else if (op === 'duplicate') out.splice(j, 0, cs[i]);
    else if (op === 'swap') [out[i], out[j]] = [out[j], out[i]];
    else out.splice(j, 0, { type: 'ABCD', data: Uint8Array.of(1, 2, 3) });
    return out;
  }),
);

const pngGenerated: fc.Arbitrary<FuzzInput> = fc.tuple(fc.nat({ max: pngSeeds.length - 1 }), fc.array(chunkEdit, { minLength: 1, maxLength: 2 }))
  .map(([seed, edits]) => ({ seed, bytes: pngFromChunks(edits.reduce((cs, e) => e(cs), pngChunks(pngSeeds[seed]))) }));

test('fuzz: PNG decoding', () => {
  const report = fuzzReader({
    name: 'png', seeds: pngSeeds, generated: pngGenerated, budget: imageBudget,
    read: ({ bytes }) => {
      decodeImage(bytes, 'fuzz.png', MAX_PIXELS);
    },
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

/** Offset of a seed's first frame header (SOF0, as jpeg-js writes). */
function sofOffset(jpeg: Uint8Array): number {
  for (let at = 2; at + 4 < jpeg.length; at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]))
    if (jpeg[at + 1] === 0xc0) return at;
  throw new Error('no SOF0 in seed');
}

/** A frame header with any size, precision, component count and sampling factors. */
function frameHeader(height: number, width: number, components: number, sampling: number, precision: number): number[] {
  const seg = [0xff, 0xc0, 0, 0, precision, height >> 8, height & 255, width >> 8, width & 255, components];
  for (let c = 0; c < components; c++) seg.push(c + 1, sampling, c === 0 ? 0 : 1);
  seg[2] = (seg.length - 2) >> 8;
  seg[3] = (seg.length - 2) & 255;
  return seg;
}

/** Seeds whose frame header is replaced (or repeated): lying size, 0 or 255 components, 4x4 or 0 sampling. */
const jpegGenerated: fc.Arbitrary<FuzzInput> = fc.record({
  seed: fc.nat({ max: jpegSeeds.length - 1 }),
  height: fc.oneof(fc.constantFrom(0, 1, 64, 4096, 65535), fc.nat({ max: 65535 })),
  width: fc.oneof(fc.constantFrom(0, 1, 64, 4096, 65535), fc.nat({ max: 65535 })),
  components: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 255), fc.nat({ max: 255 })),
  sampling: fc.constantFrom(0x11, 0x22, 0x44, 0x00, 0xff, 0x41),
  precision: fc.constantFrom(8, 12, 0, 255),
  copies: fc.integer({ min: 1, max: 3 }),
}).map(({ seed, height, width, components, sampling, precision, copies }) => {
  const jpeg = jpegSeeds[seed];
  const at = sofOffset(jpeg);
  const end = at + 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
  const header = frameHeader(height, width, components, sampling, precision);
  const bytes = Uint8Array.from([...jpeg.subarray(0, at), ...Array.from({ length: copies }, () => header).flat(), ...jpeg.subarray(end)]);
  return { seed, bytes };
});

test('fuzz: JPEG decoding', () => {
  const report = fuzzReader({
    name: 'jpeg', seeds: jpegSeeds, generated: jpegGenerated, budget: imageBudget,
    read: ({ bytes }) => {
      decodeImage(bytes, 'fuzz.jpg', MAX_PIXELS);
    },
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

test('fuzz: image folders (decode, channel conversion, resize)', () => {
  const root = join(dir, 'folder');
  mkdirSync(join(root, 'a'), { recursive: true });
  mkdirSync(join(root, 'b'));
  writeFileSync(join(root, 'a', 'ok.png'), pngSeeds[0]);
  const seeds = [...pngSeeds.slice(0, 3), ...jpegSeeds.slice(0, 2)];
  const report = fuzzReader({
    name: 'image folder', seeds, generated: pngGenerated, budget: imageBudget,
    read: ({ bytes, seed }) => {
      writeFileSync(join(root, 'b', 'fuzzed.png'), bytes);
      loadImageFolder(root, { imageSize: [5, 7], channels: seed % 2 === 0 ? 1 : 3, maxPixels: MAX_PIXELS });
    },
  });
  assert.ok(report.valid > 0 && report.errors > 0);
});

// Regressions found by the fuzzer.

test('PNG: interlaced image data that decompresses far beyond the header size is rejected before pngjs inflates it', () => {
  const chunks = pngChunks(interlacedPng());
  const bomb = pngFromChunks([chunks[0], { type: 'IDAT', data: bombs[2] }, { type: 'IEND', data: new Uint8Array(0) }]);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => decodeImage(bomb, 'bomb.png'), /bomb\.png: the interlaced image data decompresses to more than the 51 bytes a 3x3 image needs/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'no large buffer was allocated');
});

test('JPEG: frame headers with 255 components, or a second frame, are rejected before jpeg-js allocates blocks', () => {
  const jpeg = jpegSeeds[0];
  const at = sofOffset(jpeg);
  const end = at + 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
  const withFrames = (...headers: number[][]) => Uint8Array.from([...jpeg.subarray(0, at), ...headers.flat(), ...jpeg.subarray(end)]);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => decodeImage(withFrames(frameHeader(1, 4096, 255, 0x44, 8)), 'many.jpg', MAX_PIXELS),
    /many\.jpg: JPEG frame header at byte \d+ declares 255 colour components \(images have 1 to 4\)/);
  const single = frameHeader(8, 8, 3, 0x11, 8);
  assert.throws(() => decodeImage(withFrames(single, frameHeader(1, 4096, 4, 0x44, 8)), 'two.jpg', MAX_PIXELS),
    /two\.jpg: a second JPEG frame header at byte \d+/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'no large buffer was allocated');
});

test('JPEG: sampling factors above 4 (which multiply jpeg-js\'s block buffers) are rejected', () => {
  const jpeg = jpegSeeds[0];
  const at = sofOffset(jpeg);
  const end = at + 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
  const bytes = Uint8Array.from([...jpeg.subarray(0, at), ...frameHeader(1, 4096, 3, 0xff, 8), ...jpeg.subarray(end)]);
  assert.throws(() => decodeImage(bytes, 'wide.jpg', MAX_PIXELS), /wide\.jpg: JPEG component 0 at byte \d+ has sampling factors 15x15/);
});

test('PNG: a second IHDR chunk (which pngjs would obey, bypassing the pixel budget) is rejected', () => {
  const chunks = pngChunks(pngSeeds[0]);
  const lying = pngFromChunks([...chunks.slice(0, -1), { type: 'IHDR', data: ihdr(7, 8_388_611, 8, 6) }, chunks[chunks.length - 1]]);
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => decodeImage(lying, 'tall.png', MAX_PIXELS), /tall\.png: a second IHDR chunk at byte \d+/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, 'no large buffer was allocated');
});

test('JPEG: a thumbnail inside an APP1 segment is not mistaken for a second frame', () => {
  const thumbnail = jpegSeeds[2];
  const app1 = [0xff, 0xe1, (thumbnail.length + 2) >> 8, (thumbnail.length + 2) & 255, ...thumbnail];
  const jpeg = jpegSeeds[1];
  const image = decodeImage(Uint8Array.from([0xff, 0xd8, ...app1, ...jpeg.subarray(2)]), 'exif.jpg', MAX_PIXELS);
  assert.deepEqual([image.width, image.height], [17, 9]);
});
