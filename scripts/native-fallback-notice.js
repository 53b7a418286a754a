#!/usr/bin/env node
// Runs when `npm install` could not build the native addon (binding.gyp): says so in one line and exits 0, so the
// installation succeeds and sepconv uses its wasm backend (initBackend's `skipped` keeps the reason).
console.warn('sepconv: the native addon (build/Release/sepconv_native.node) could not be built, see the node-gyp ' +
  'output above; sepconv will use its wasm backend. With a C compiler, make and python3: npm run build:native');
