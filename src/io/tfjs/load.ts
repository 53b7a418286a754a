/**
 * `loadTfjsModel`: a TF.js model (model.json and its weight shards, given as data, so it works in browsers) as a
 * sepconv Module. The format comes from model.json's `format` ('layers-model' or 'graph-model'), or from the shape of
 * `modelTopology` when a file does not say.
 */
import { ArgumentError, FormatError, previewValue } from '../../errors.js';
import { loadGraphModel } from './graph_model.js';
import { isObject, parseModelJson, type JsonObject } from './json.js';
import { loadLayersModel } from './layers_model.js';
import type { TfjsFormat, TfjsModel } from './model.js';
import { decodeWeightsManifest, normalizeShardPath } from './weights.js';

/** model.json (text or parsed) and the weight shards by the paths the manifest lists. */
export interface TfjsModelFiles {
  json: object | string;
  /** Shard bytes by path as written in `weightsManifest[].paths` (e.g. "group1-shard1of1.bin"). */
  weights: ReadonlyMap<string, Uint8Array>;
}

function formatOf(json: JsonObject): TfjsFormat {
  const declared = json['format'];
  if (declared === 'layers-model' || declared === 'graph-model') return declared;
  if (declared !== undefined && declared !== null)
    throw new FormatError(`TF.js model.json: format ${previewValue(declared)} is not supported (layers-model or graph-model)`);
  const topology = json['modelTopology'];
  if (isObject(topology) && Array.isArray(topology['node'])) return 'graph-model';
  if (isObject(topology)) return 'layers-model';
  throw new FormatError('TF.js model.json: no modelTopology (is this a TF.js model.json? a weights-only manifest cannot be loaded)');
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Loads a model given model.json and a reader of its shards (undefined for a shard that is not there). */
export function loadTfjsModelWith(json: object | string, shard: (path: string) => Uint8Array | undefined): TfjsModel {
  const parsed = parseModelJson(json);
  const format = formatOf(parsed);
  const weights = decodeWeightsManifest(parsed['weightsManifest'], shard);
  const meta = { generatedBy: text(parsed['generatedBy']), convertedBy: text(parsed['convertedBy']) };
  return format === 'layers-model' ? loadLayersModel(parsed, weights, meta) : loadGraphModel(parsed, weights, meta);
}

/**
 * Loads a TF.js layers model (Keras-converted or saved by TF.js) or graph model (tfjs-converter) as a sepconv
 * Module in eval mode; inputs and outputs are NHWC like TF.js'. Weights may be float32, or quantized to uint8,
 * uint16 or float16 by the converter. Throws a FormatError for a bad file (not JSON, `__proto__` keys, a missing
 * or short shard, a manifest whose sizes do not match the shards, an unknown dtype) and one FormatError listing
 * every unsupported layer or op.
 */
export function loadTfjsModel(files: TfjsModelFiles): TfjsModel {
  if (files === null || typeof files !== 'object' || !(files.weights instanceof Map))
    throw new ArgumentError('loadTfjsModel: expected { json: model.json text or object, weights: Map<shard path, Uint8Array> }');
  const byPath = new Map([...files.weights].map(([p, b]) => [normalizeShardPath(p), b]));
  return loadTfjsModelWith(files.json, (p) => byPath.get(p));
}
