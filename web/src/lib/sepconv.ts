/**
 * The one place the page imports the sepconv library from: the platform-neutral entry point the npm package
 * compiles (src/index.ts), plus the browser-safe modules that entry point does not re-export yet.
 */
export * from '../../../src/index.js';
export { rgbaToChannels, resizeImage } from '../../../src/data/resize.js';
export { normalizeChannels } from '../../../src/data/augment.js';
export { defaultResolution } from '../../../src/models/index.js';
export { barChart, lineChart } from '../../../src/cli/svg.js';
