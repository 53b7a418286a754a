/** `sepconv serve`'s static server (no browser needed): files, index pages, 404s, no way out of the folder. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startStaticServer, type StaticServer } from '../../src/cli/commands/serve.js';
import { oneLineError, sepconv } from '../cli/run.js';

let dir: string;
let site: StaticServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sepconv-serve-'));
  mkdirSync(join(dir, 'site', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'site', 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'site', 'assets', 'k.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(dir, 'secret.txt'), 'outside');
  site = await startStaticServer(join(dir, 'site'));
});

after(async () => {
  await site.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request (fetch would normalise '..' out of the path). */
function get(path: string, method = 'GET'): Promise<{ status: number; type?: string; body: string }> {
  const url = new URL(site.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves index.html at / and files with their content types', async () => {
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.equal(index.type, 'text/html; charset=utf-8');
  assert.match(index.body, /<title>t<\/title>/);
  const wasm = await get('/assets/k.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.type, 'application/wasm');
  assert.equal(wasm.body, '\0asm');
  assert.equal((await get('/assets/k.wasm', 'HEAD')).body, '');
});

test('answers 404 for missing files, 405 for other methods, and never leaves the folder', async () => {
  assert.equal((await get('/nope.js')).status, 404);
  assert.equal((await get('/', 'POST')).status, 405);
  for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt']) {
    const r = await get(path);
    assert.notEqual(r.status, 200, path);
    assert.doesNotMatch(r.body, /outside/, path);
  }
});

test('sepconv serve says how to build the page when the folder has none', () => {
  const r = sepconv('serve', '--dir', join(dir, 'empty'), '--port', '0');
  assert.equal(r.status, 1);
  assert.match(oneLineError(r), /no built page in .*npm run web:build/);
});
