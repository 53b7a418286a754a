/**
 * Registers every compute backend this machine offers (wasm, and native when its addon is built) so that tests
 * iterating over backends cover them all; the active backend stays as it was. A missing native addon is skipped
 * quietly, unless SEPCONV_REQUIRE_NATIVE=1 (a CI machine with a C toolchain) makes it an error.
 */
import { initNativeBackend } from '../../src/backend/native/index.js';
import { NativeUnavailableError } from '../../src/backend/native/load.js';
import { listBackends } from '../../src/backend/registry.js';
import { initWasmBackend } from '../../src/backend/wasm/index.js';

await initWasmBackend();
try {
  await initNativeBackend();
} catch (e) {
  if (!(e instanceof NativeUnavailableError) || process.env.SEPCONV_REQUIRE_NATIVE === '1') throw e;
}

/** Every registered backend that computes values (all but the shape-only 'meta'). */
export const computeBackends: readonly string[] = listBackends().filter((b) => b !== 'meta');
