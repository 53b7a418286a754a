/**
 * Loading and configuring the native backend: registration, the ISAs and threads it reports and accepts, typed
 * errors for bad settings, the addon's own argument checks (a wrong length must throw, not write out of bounds),
 * and the loader's errors for a missing or foreign addon.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { convFields } from '../../../src/backend/c_abi.js';
import { getBackend, listBackends, setBackend } from '../../../src/backend/registry.js';
import { initBackend } from '../../../src/backend/select.js';
import { initNativeBackend, nativeInfo, nativePeakGflops, setNativeIsa, setNativeThreads } from '../../../src/backend/native/index.js';
import { loadNativeAddon, NativeUnavailableError } from '../../../src/backend/native/load.js';
import { ArgumentError } from '../../../src/errors.js';
import { convCase } from '../kernel_suite/harness.js';
import { native, nativeSkip } from './harness.js';

const options = nativeSkip === undefined ? {} : { skip: nativeSkip };

test('initNativeBackend registers the native backend once and reports the ISAs and threads', options, async () => {
  const first = await initNativeBackend();
  assert.equal(first.name, 'native');
  assert.ok(listBackends().includes('native'));
  assert.equal(await initNativeBackend(), first);
  const info = nativeInfo();
  assert.ok(info.isas.length >= 1 && info.isas.includes('sse2'), `isas: ${info.isas.join(', ')}`);
  assert.equal(info.isa, info.isas[0]);
  assert.ok(info.threads >= 1);
});

test('initBackend prefers native when its addon is built, and can name it', options, async () => {
  const before = getBackend();
  try {
    assert.deepEqual(await initBackend(undefined), { backend: 'native', skipped: [] });
    assert.equal((await initBackend('native')).backend, 'native');
  } finally {
    setBackend(before);
  }
});

test('setNativeThreads and setNativeIsa check their arguments', options, () => {
  const { threads, isas } = nativeInfo();
  setNativeThreads(3);
  assert.equal(nativeInfo().threads, 3);
  setNativeThreads(threads);
  for (const bad of [0, 1.5, 257, Number.NaN])
    assert.throws(() => setNativeThreads(bad), (e: unknown) => e instanceof ArgumentError && /from 1 to 256/.test(e.message));
  assert.throws(() => setNativeIsa('neon'), (e: unknown) => e instanceof ArgumentError && /not 'neon'/.test(e.message));
  setNativeIsa(isas[isas.length - 1]);
  assert.equal(nativeInfo().isa, isas[isas.length - 1]);
  setNativeIsa(isas[0]);
});

/** Loads the backend in a fresh process with SEPCONV_THREADS set; returns its thread count or its error. */
function threadsWith(value: string): string {
  const index = new URL('../../../src/backend/native/index.js', import.meta.url).href;
  const script = `import(${JSON.stringify(index)}).then(async (m) => { await m.initNativeBackend(); ` +
    'console.log(m.nativeInfo().threads); }, (e) => console.log(e.name)).catch((e) => console.log(e.name, e.message));';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8', env: { ...process.env, SEPCONV_THREADS: value },
  });
  return r.stdout.trim();
}

test('SEPCONV_THREADS sets the thread count; a bad value is an ArgumentError naming it', options, () => {
  assert.equal(threadsWith('3'), '3');
  assert.match(threadsWith('two'), /^ArgumentError native backend: SEPCONV_THREADS \('two'\) must be a whole number/);
  assert.match(threadsWith('0'), /^ArgumentError/);
});

test('the measured SIMD peak is a positive number of GFLOP/s', options, () => {
  assert.ok(nativePeakGflops(20) > 0.1);
});

test('the addon refuses arrays whose lengths do not match the geometry, and out-of-range argmax', options, async () => {
  const addon = await loadNativeAddon();
  const g = convCase({ x: [1, 4, 4, 3], kernel: 3, outC: 3, groups: 3, padding: 'same' });
  assert.throws(() => addon.depthwiseConv2d(new Float32Array(47), new Float32Array(27), null, convFields(g)),
    (e: unknown) => e instanceof RangeError && /x has 47 floats, the geometry needs 48/.test(e.message));
  assert.throws(() => addon.matmul(new Float32Array(6), new Float64Array(6) as unknown as Float32Array, null, 2, 3, 2, false, false),
    (e: unknown) => e instanceof TypeError && /b must be a Float32Array/.test(e.message));
  assert.throws(() => addon.conv2d(new Float32Array(48), new Float32Array(81), null, Int32Array.of(1, 2, 3)),
    (e: unknown) => e instanceof RangeError && /18 int32 fields/.test(e.message));
  const pool = Int32Array.of(1, 2, 2, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0);
  assert.throws(() => addon.maxPool2dBackward(new Float32Array(1), Int32Array.of(4), pool),
    (e: unknown) => e instanceof RangeError && /argmax holds an index outside the input/.test(e.message));
  assert.ok(native !== null);
});

test('forward kernels write into a caller-provided out array, which must not overlap an input', options, async () => {
  const addon = await loadNativeAddon();
  const a = Float32Array.of(1, 2, 3, 4, 5, 6), b = Float32Array.of(1, 0, 0, 1, 1, 1), out = new Float32Array(4);
  assert.equal(addon.matmul(a, b, null, 2, 3, 2, false, false, out), out);
  assert.deepEqual(out, Float32Array.of(4, 5, 10, 11));
  const x = Float32Array.of(-1, 2, -3, 4);
  assert.equal(addon.unary(0, x, 0, out), out);
  assert.deepEqual(out, Float32Array.of(0, 2, 0, 4));
  assert.throws(() => addon.unary(0, x, 0, x), (e: unknown) => e instanceof RangeError && /out must not overlap an input/.test(e.message));
  assert.throws(() => addon.unary(0, x, 0, new Float32Array(3)), (e: unknown) => e instanceof RangeError && /out has 3 floats/.test(e.message));
});

test('a missing addon file gives NativeUnavailableError (not built) with how to build it', async () => {
  await assert.rejects(loadNativeAddon(new URL('file:///nonexistent/sepconv_native.node')),
    (e: unknown) => e instanceof NativeUnavailableError && e.reason === 'not-built' && /npm run build:native/.test(e.message));
});

test('a file that is not an addon gives NativeUnavailableError (unloadable)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sepconv-native-'));
  const bogus = join(dir, 'sepconv_native.node');
  await writeFile(bogus, 'not a shared object');
  try {
    await assert.rejects(loadNativeAddon(pathToFileURL(bogus)),
      (e: unknown) => e instanceof NativeUnavailableError && e.reason === 'unloadable' && /does not load/.test(e.message));
  } finally {
    await rm(dir, { recursive: true });
  }
});
