/**
 * Loading and memory management of the wasm backend: registration, the ways to pass the module, the typed errors
 * for a missing, invalid or foreign module, and that eager calls reuse the module's memory instead of growing it.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { FormatError } from '../../../src/errors.js';
import { listBackends } from '../../../src/backend/registry.js';
import { defaultWasmUrl, initWasmBackend } from '../../../src/backend/wasm/index.js';
import { createWasmKernels } from '../../../src/backend/wasm/kernels.js';
import { instantiateSepconvWasm } from '../../../src/backend/wasm/load.js';
import { convCase, random } from './harness.js';

test('initWasmBackend registers the wasm backend once and returns the same backend on later calls', async () => {
  const first = await initWasmBackend();
  assert.equal(first.name, 'wasm');
  assert.ok(listBackends().includes('wasm'));
  assert.equal(await initWasmBackend(), first);
});

test('the module can be passed as bytes, as a compiled module or as a file URL', async () => {
  const bytes = await readFile(defaultWasmUrl());
  const fromBytes = createWasmKernels(await instantiateSepconvWasm(bytes));
  const fromModule = createWasmKernels(await instantiateSepconvWasm(await WebAssembly.compile(bytes)));
  const fromUrl = createWasmKernels(await instantiateSepconvWasm(defaultWasmUrl().href));
  const x = Float32Array.of(-1, 0.5, 2);
  for (const k of [fromBytes, fromModule, fromUrl]) assert.deepEqual(k.unary('relu', x, 0), Float32Array.of(0, 0.5, 2));
});

test('a missing file, bytes that are not wasm, and a module without the kernels give FormatError', async () => {
  await assert.rejects(instantiateSepconvWasm(new URL('file:///nonexistent/sepconv.wasm')),
    (e: unknown) => e instanceof FormatError && /cannot read .*build-wasm\.sh/.test(e.message));
  await assert.rejects(instantiateSepconvWasm(Uint8Array.of(1, 2, 3, 4)),
    (e: unknown) => e instanceof FormatError && /not a valid WebAssembly module/.test(e.message));
  const empty = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
  await assert.rejects(instantiateSepconvWasm(empty),
    (e: unknown) => e instanceof FormatError && /lacks exports memory, __heap_base, sepconv_matmul_workspace/.test(e.message));
});

test('eager calls reuse the memory: repeating a call does not grow it, a bigger call grows it once', async () => {
  const kernels = createWasmKernels(await instantiateSepconvWasm());
  const g = convCase({ x: [1, 40, 40, 16], kernel: 3, outC: 16, padding: 'same' });
  const x = random(40 * 40 * 16, 1);
  const w = random(9 * 16, 2);
  const first = kernels.depthwiseConv2d(x, w, null, g);
  const capacity = kernels.arena.capacity;
  for (let i = 0; i < 20; i++) assert.deepEqual(kernels.depthwiseConv2d(x, w, null, g), first);
  assert.equal(kernels.arena.capacity, capacity);
  const big = random(300 * 300, 3);
  kernels.unary('relu', big, 0);
  const grown = kernels.arena.capacity;
  assert.ok(grown >= 2 * big.byteLength);
  for (let i = 0; i < 5; i++) kernels.unary('relu', big, 0);
  assert.equal(kernels.arena.capacity, grown);
  // Results are copies: later calls do not overwrite earlier outputs.
  assert.deepEqual(kernels.depthwiseConv2d(x, w, null, g), first);
});
