/** A foreign or damaged .wasm passed to initWasmBackend is a FormatError, never a TypeError or LinkError. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError } from '../../src/errors.js';
import { instantiateSepconvWasm } from '../../src/backend/wasm/load.js';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

test('a module that imports something is a FormatError (instantiation fails), not a TypeError', async () => {
  // One function type, one imported function env.f.
  const bytes = Uint8Array.from([...HEADER, 1, 4, 1, 0x60, 0, 0, 2, 9, 1, ...name('env'), ...name('f'), 0, 0]);
  await assert.rejects(instantiateSepconvWasm(bytes), (e: unknown) =>
    e instanceof FormatError && /wasm backend: the module cannot be instantiated \(.*\); it is not sepconv's kernels module/.test(e.message));
});

test('an export of the wrong kind (a function called "memory") counts as missing', async () => {
  const exportSection = [1, ...name('memory'), 0, 0];
  const bytes = Uint8Array.from([...HEADER, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 7, exportSection.length, ...exportSection,
    10, 4, 1, 2, 0, 0x0b]);
  await assert.rejects(instantiateSepconvWasm(bytes), (e: unknown) =>
    e instanceof FormatError && /the module lacks exports memory, __heap_base, sepconv_matmul_workspace/.test(e.message));
});
