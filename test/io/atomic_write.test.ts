import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomic } from '../../src/io/atomic_write.js';

const root = mkdtempSync(join(tmpdir(), 'sepconv-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));

const bytes = (s: string) => new TextEncoder().encode(s);

test('writeFileAtomic creates and replaces files with the concatenated chunks', async () => {
  const dir = mkdtempSync(join(root, 'ok-'));
  const path = join(dir, 'f.bin');
  await writeFileAtomic(path, [bytes('hello '), bytes(''), bytes('world')]);
  assert.equal(readFileSync(path, 'utf8'), 'hello world');
  await writeFileAtomic(path, [bytes('new')]);
  assert.equal(readFileSync(path, 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir), ['f.bin']);
});

test('a failure in the middle of writing leaves the old file intact and removes the temporary file', async () => {
  const dir = mkdtempSync(join(root, 'fail-'));
  const path = join(dir, 'ckpt.safetensors');
  writeFileSync(path, 'previous checkpoint');
  function* failingChunks(): Generator<Uint8Array> {
    yield bytes('half of the new fi');
    throw new Error('simulated failure during write (disk full)');
  }
  await assert.rejects(writeFileAtomic(path, failingChunks()), /simulated failure during write/);
  assert.equal(readFileSync(path, 'utf8'), 'previous checkpoint');
  assert.deepEqual(readdirSync(dir), ['ckpt.safetensors']);
});

test('a failed rename (the target is a directory) leaves no temporary file', async () => {
  const dir = mkdtempSync(join(root, 'rename-'));
  mkdirSync(join(dir, 'target'));
  writeFileSync(join(dir, 'target', 'keep'), 'x');
  await assert.rejects(writeFileAtomic(join(dir, 'target'), [bytes('data')]));
  assert.deepEqual(readdirSync(dir), ['target']);
  assert.deepEqual(readdirSync(join(dir, 'target')), ['keep']);
});
