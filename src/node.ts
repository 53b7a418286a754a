/** sepconv for Node.js: everything in the main entry point, plus dataset readers and checkpoint files. */
export * from './index.js';
export * as data from './data/index.js';
export { saveSafetensors, loadSafetensors } from './io/safetensors.js';
export { saveCheckpoint, loadCheckpoint } from './train/checkpoint.js';
export { loadTfjsModelFromFile } from './io/tfjs/file.js';
export { initNativeBackend, setNativeThreads, nativeInfo } from './backend/native/index.js';
