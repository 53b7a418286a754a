import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ArgumentError, FormatError } from '../../src/errors.js';
import { loadImageFolder, loadImageFolderSplit } from '../../src/data/image_folder.js';
import { decodeImage } from '../../src/data/image_decode.js';
import { resizeImage, rgbaToChannels } from '../../src/data/resize.js';
import { pngBytes, solidJpeg, tempDir, writeData } from './fixtures.js';

const { dir, cleanup } = tempDir('folder');
after(cleanup);

const solid = (rgba: readonly number[]) => () => rgba;

function pixelBytes(image: Float32Array): number[] {
  return Array.from(image, (v) => Math.round(v * 255));
}

test('decodeImage: PNG and JPEG by signature, other bytes and oversized images are FormatErrors', () => {
  const png = decodeImage(pngBytes(3, 2, (x, y) => [x * 10, y * 20, 7, 255]), 'a.png');
  assert.deepEqual([png.width, png.height], [3, 2]);
  assert.deepEqual([...png.data.subarray(4 * 5, 4 * 6)], [20, 20, 7, 255]);
  const jpeg = decodeImage(solidJpeg(16, 8, [200, 40, 90]), 'b.jpg');
  assert.deepEqual([jpeg.width, jpeg.height], [16, 8]);
  for (const [i, v] of [200, 40, 90].entries()) assert.ok(Math.abs(jpeg.data[i] - v) <= 3, `channel ${i}: ${jpeg.data[i]} vs ${v}`);
  assert.throws(() => decodeImage(new TextEncoder().encode('GIF89a...'), 'c.png'),
    (e: Error) => e instanceof FormatError && /c\.png: not a PNG or JPEG file \(starts with 47 49 46 38 at byte 0\)/.test(e.message));
  assert.throws(() => decodeImage(pngBytes(10, 10, solid([0, 0, 0, 255])), 'big.png', 99),
    /big\.png: IHDR at byte 16 says 10x10 pixels, outside 1\.\.99 pixels/);
  const corrupt = pngBytes(4, 4, solid([1, 2, 3, 255]));
  corrupt.fill(0, 40);
  assert.throws(() => decodeImage(corrupt, 'corrupt.png'), (e: Error) => e instanceof FormatError && /corrupt\.png: corrupt PNG/.test(e.message));
  assert.throws(() => decodeImage(solidJpeg(8, 8, [0, 0, 0]).subarray(0, 30), 'cut.jpg'), /cut\.jpg: corrupt or unsupported JPEG/);
});

test('rgbaToChannels: ITU-R 601 luma for grey, alpha dropped for RGB', () => {
  const image = { width: 1, height: 1, data: new Uint8Array([100, 150, 200, 7]) };
  assert.deepEqual([...rgbaToChannels(image, 3)], [100, 150, 200]);
  assert.ok(Math.abs(rgbaToChannels(image, 1)[0] - 140.75) < 1e-4);
  assert.throws(() => rgbaToChannels(image, 4), ArgumentError);
});

test('resizeImage keeps flat images flat, keeps the mean, and averages (does not alias) when shrinking', () => {
  const flat = new Float32Array(7 * 5 * 2).fill(42);
  for (const [oh, ow] of [[3, 2], [16, 11], [7, 5]])
    for (const v of resizeImage(flat, 7, 5, 2, oh, ow)) assert.ok(Math.abs(v - 42) < 1e-3);
  const checker = Float32Array.from({ length: 8 * 8 }, (_, i) => ((i >> 3) + (i & 7)) % 2 === 0 ? 255 : 0);
  const small = resizeImage(checker, 8, 8, 1, 4, 4);
  for (const v of small) assert.ok(Math.abs(v - 127.5) < 30, `checkerboard shrinks to grey, got ${v}`);
  const ramp = Float32Array.from({ length: 4 }, (_, x) => x * 10);
  const up = resizeImage(ramp, 1, 4, 1, 1, 8);
  for (let i = 1; i < up.length; i++) assert.ok(up[i] >= up[i - 1], 'upscaling a ramp stays monotone');
  assert.equal(up[0], 0);
  assert.equal(up[7], 30);
});

/** A folder with classes b_dog and a_cat (sorted: a_cat = 0), mixed formats, sizes and colour types, plus noise. */
function writeFolder(root: string): void {
  writeData(join(root, 'b_dog', '1.png'), pngBytes(20, 10, solid([255, 0, 0, 255])));
  writeData(join(root, 'b_dog', 'nested', '2.PNG'), pngBytes(3, 3, solid([0, 0, 255, 128])));
  writeData(join(root, 'a_cat', 'x.jpeg'), solidJpeg(12, 12, [0, 255, 0]));
  writeData(join(root, 'a_cat', 'y.png'), pngBytes(8, 8, solid([100, 150, 200, 255])));
  writeData(join(root, 'a_cat', 'notes.txt'), new TextEncoder().encode('ignored'));
  writeData(join(root, 'a_cat', '.hidden.png'), new Uint8Array(3));
  writeData(join(root, '.cache', 'z.png'), new Uint8Array(3));
}

test('loadImageFolder: sorted class folders, recursive files, resized and converted to the asked size and channels', () => {
  const root = join(dir, 'pets');
  writeFolder(root);
  const rgb = loadImageFolder(root, { imageSize: [4, 6] });
  assert.deepEqual(rgb.classNames, ['a_cat', 'b_dog']);
  assert.deepEqual(rgb.imageShape, [4, 6, 3]);
  assert.deepEqual([...rgb.labels], [0, 0, 1, 1]);
  const green = pixelBytes(rgb.get(0).image);
  for (let p = 0; p < 24; p++) assert.ok(green[3 * p] <= 3 && green[3 * p + 1] >= 252 && green[3 * p + 2] <= 3);
  assert.deepEqual(pixelBytes(rgb.get(2).image), Array.from({ length: 24 }, () => [255, 0, 0]).flat());
  assert.deepEqual(pixelBytes(rgb.get(3).image).slice(0, 3), [0, 0, 255], 'alpha is dropped, not blended');
  const grey = loadImageFolder(root, { imageSize: 5, channels: 1 });
  assert.deepEqual(grey.imageShape, [5, 5, 1]);
  assert.deepEqual(new Set(pixelBytes(grey.get(1).image)), new Set([141]));
});

test('loadImageFolder: bad options, empty folders and bad files', () => {
  const root = join(dir, 'pets2');
  writeFolder(root);
  assert.throws(() => loadImageFolder(root, { channels: 2 }), ArgumentError);
  assert.throws(() => loadImageFolder(root, { imageSize: 0 }), ArgumentError);
  assert.throws(() => loadImageFolder(join(dir, 'none')), /folder:.*none: directory not found/);
  writeData(join(dir, 'flat', 'a.png'), pngBytes(2, 2, solid([0, 0, 0, 255])));
  assert.throws(() => loadImageFolder(join(dir, 'flat')), /no class sub-folders/);
  writeData(join(dir, 'emptyclasses', 'a', 'readme.md'), new Uint8Array(1));
  assert.throws(() => loadImageFolder(join(dir, 'emptyclasses')), /no \.png, \.jpg or \.jpeg files/);
  writeFileSync(join(root, 'b_dog', 'nested', 'broken.png'), new TextEncoder().encode('not an image'));
  assert.throws(() => loadImageFolder(root), (e: Error) => e instanceof FormatError &&
    /b_dog\/nested\/broken\.png: not a PNG or JPEG file/.test(e.message));
});

test('loadImageFolderSplit: train/ and test/ folders share the train classes; otherwise a seeded stratified split', () => {
  const root = join(dir, 'split');
  for (const part of ['train', 'test'])
    for (const cls of part === 'train' ? ['ant', 'bee', 'cow'] : ['bee', 'cow'])
      writeData(join(root, part, cls, '0.png'), pngBytes(2, 2, solid([0, 0, 0, 255])));
  const { train, test: te } = loadImageFolderSplit(root, { imageSize: 2 });
  assert.deepEqual(train.classNames, ['ant', 'bee', 'cow']);
  assert.deepEqual([...te.labels], [1, 2], 'test labels follow the train class list');
  writeData(join(root, 'test', 'dog', '0.png'), pngBytes(2, 2, solid([0, 0, 0, 255])));
  assert.throws(() => loadImageFolderSplit(root), /class folder 'dog' is not one of the classes/);

  const flat = join(dir, 'flatsplit');
  for (const cls of ['a', 'b'])
    for (let i = 0; i < 10; i++) writeData(join(flat, cls, `${i}.png`), pngBytes(2, 2, solid([i * 20, 0, 0, 255])));
  const one = loadImageFolderSplit(flat, { imageSize: 2, testFraction: 0.3, seed: 5 });
  const again = loadImageFolderSplit(flat, { imageSize: 2, testFraction: 0.3, seed: 5 });
  assert.deepEqual(one.test.classCounts(), [3, 3]);
  assert.deepEqual(one.train.classCounts(), [7, 7]);
  assert.deepEqual([...one.test.pixels], [...again.test.pixels]);
});
