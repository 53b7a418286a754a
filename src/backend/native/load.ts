/**
 * Finding and loading the addon: build/Release/sepconv_native.node at the package root (four levels above both
 * src/backend/native/ and build/src/backend/native/), built by `npm install` (binding.gyp) when a C compiler is
 * there. Node only: the loader is imported lazily, so browser bundles never reach node:module.
 */
import { FormatError } from '../../errors.js';
import { NATIVE_ABI, requiredFunctions, type SepconvNativeAddon } from './addon.js';

/** Where `npm install` puts the addon. */
export function defaultAddonUrl(): URL {
  return new URL('../../../../build/Release/sepconv_native.node', import.meta.url);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

const HOW_TO_BUILD = 'build it with `npm run build:native` (needs a C compiler, make and python3)';

/** Why the addon is unavailable: not Node, never built (install said so), or built but unusable. */
export type NativeUnavailableReason = 'not-node' | 'not-built' | 'unloadable';

/** The addon cannot be used here; `reason` tells an expected absence from a broken build. */
export class NativeUnavailableError extends FormatError {
  constructor(readonly reason: NativeUnavailableReason, message: string) {
    super(message);
  }
}

/** Loads the addon at `url` and checks that it is the one this library was written for. */
export async function loadNativeAddon(url: URL = defaultAddonUrl()): Promise<SepconvNativeAddon> {
  if (!isNode()) throw new NativeUnavailableError('not-node', 'native backend: needs Node.js; use the wasm backend in browsers');
  const [{ createRequire }, { existsSync }, { fileURLToPath }] =
    await Promise.all([import('node:module'), import('node:fs'), import('node:url')]);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new NativeUnavailableError('not-built', `native backend: ${path} is not built; ${HOW_TO_BUILD}`);
  let addon: SepconvNativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as SepconvNativeAddon;
  } catch (e) {
    throw new NativeUnavailableError('unloadable', `native backend: ${path} does not load (${(e as Error).message.split('\n')[0]}); ` +
      `rebuild it with \`npm run build:native\``);
  }
  const missing = requiredFunctions.filter((name) => typeof addon[name] !== 'function');
  if (addon.abi !== NATIVE_ABI || missing.length > 0)
    throw new NativeUnavailableError('unloadable', `native backend: ${path} was built from other sources (interface ${String(addon.abi)}, ` +
      `this library needs ${NATIVE_ABI}${missing.length > 0 ? `; lacks ${missing.join(', ')}` : ''}); ` +
      'rebuild it with `npm run build:native`');
  return addon;
}
