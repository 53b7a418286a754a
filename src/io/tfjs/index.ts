/**
 * TF.js import: `loadTfjsModel({ json, weights })` (browser-safe) turns a layers model (Keras-converted or saved by
 * TF.js) or a graph model (tfjs-converter) into a sepconv Module; `loadTfjsModelFromFile` (Node, in file.ts) reads
 * model.json and its shards from disk.
 */
export { loadTfjsModel, loadTfjsModelWith, type TfjsModelFiles } from './load.js';
export { TfjsModel, type TfjsTensorInfo, type TfjsFormat } from './model.js';
export { SUPPORTED_KERAS_LAYERS } from './keras_layers.js';
export { SUPPORTED_GRAPH_OPS } from './graph_ops.js';
export { SUPPORTED_ACTIVATIONS } from './activations.js';
export { SUPPORTED_WEIGHT_DTYPES, SUPPORTED_QUANTIZATION_DTYPES, type TfjsWeight } from './weights.js';
