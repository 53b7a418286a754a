/**
 * Turning what a visitor gives the page into a runnable sepconv model: a zoo model by name, an ONNX file, a
 * checkpoint written by `sepconv train` or the Train tab, or a TF.js model (its model.json and the weight shards it
 * lists, dropped together). Files are recognised by their bytes, not their names; only TF.js weight shards, which
 * are raw numbers, are matched by the names model.json gives them.
 */
import { formatBytes } from './format.js';
import { FormatError, buildModel, defaultResolution, importOnnx, loadTfjsModel, modelFromCheckpointBytes, type Module, type TfjsModel } from './sepconv.js';

/** Largest model file the page accepts (a float32 model of 64M parameters). */
export const MAX_MODEL_BYTES = 256 * 1024 * 1024;

/** A file as the page read it. */
export interface ModelFile {
  name: string;
  bytes: ArrayBuffer;
}

export type ModelSource =
  | { kind: 'zoo'; name: string; resolution?: number; width?: number }
  | { kind: 'file'; fileName: string; bytes: ArrayBuffer }
  /** Everything picked or dropped at once: one ONNX file or checkpoint, or a TF.js model.json with its shards. */
  | { kind: 'files'; files: ModelFile[] };

export type Normalization = { mean: number[]; std: number[] };

/** What the page shows about a model and needs to feed it. */
export interface ModelInfo {
  title: string;
  format: 'zoo' | 'onnx' | 'checkpoint' | 'tfjs';
  /** [H, W, C] the model is fed at. */
  inputShape: [number, number, number];
  numClasses?: number;
  classNames?: string[];
  /** The training normalisation (checkpoints only: their configuration stores it). */
  normalize?: Normalization;
  params: number;
  /** True when the model takes no other height or width than inputShape's (a TF.js model that declares them). */
  fixedSize?: boolean;
}

export interface LoadedModel {
  model: Module;
  info: ModelInfo;
}

function countParams(model: Module): number {
  return model.parameters().reduce((n, p) => n + p.size, 0);
}

function looksLikeJson(bytes: Uint8Array): boolean {
  for (const b of bytes.subarray(0, 64)) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0xef || b === 0xbb || b === 0xbf) continue;
    return b === 0x7b || b === 0x5b;
  }
  return false;
}

/**
 * JSON text: starts like JSON and its first kilobyte is UTF-8 without control characters. A weight shard is raw
 * numbers and may well start with a '{' byte; the text test keeps such a shard from passing for a model.json.
 */
function looksLikeJsonText(bytes: Uint8Array): boolean {
  if (!looksLikeJson(bytes)) return false;
  let head: string;
  try {
    head = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, 1024), { stream: true });
  } catch {
    return false;
  }
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(head);
}

/** Safetensors: an 8-byte little-endian header length that fits the file, then a JSON object. */
function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10 || bytes[8] !== 0x7b) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(4, true) === 0 && view.getUint32(0, true) <= bytes.length - 8;
}

function fromOnnx(bytes: Uint8Array, fileName: string): LoadedModel {
  const model = importOnnx(bytes);
  const dims = model.inputs[0]?.dims ?? null;
  const num = (d: number | string | null | undefined, fallback: number): number => (typeof d === 'number' && d > 0 ? d : fallback);
  // ONNX images are NCHW; symbolic or missing sizes get the common 224x224 RGB.
  const shape: [number, number, number] = dims !== null && dims.length === 4
    ? [num(dims[2], 224), num(dims[3], 224), num(dims[1], 3)]
    : [224, 224, 3];
  const out = model.outputs[0]?.dims;
  const classes = out !== null && out !== undefined ? out[out.length - 1] : null;
  return {
    model,
    info: {
      title: `${fileName} (ONNX opset ${model.opset}${model.producer !== '' ? `, from ${model.producer}` : ''})`,
      format: 'onnx', inputShape: shape, numClasses: typeof classes === 'number' ? classes : undefined, params: countParams(model),
    },
  };
}

function fromCheckpoint(bytes: Uint8Array, fileName: string): LoadedModel {
  const { model, config, checkpoint } = modelFromCheckpointBytes(bytes, fileName);
  const step = checkpoint.step;
  const dataInfo = config.dataInfo!;
  return {
    model,
    info: {
      title: `${fileName} (${config.model}${config.separable ? ', separable' : ''}, ${step} training step${step === 1 ? '' : 's'})`,
      format: 'checkpoint', inputShape: [...dataInfo.imageShape], numClasses: dataInfo.numClasses,
      classNames: dataInfo.classNames, normalize: config.normalize, params: countParams(model),
    },
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** A list of names as prose: "a", "a and b", "a, b and c". */
function listNames(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** TF.js names its weight files "group1-shard1of3.bin" (older converters leave out the ".bin"). */
function looksLikeShardName(name: string): boolean {
  return /^group\d+-shard\d+of\d+(\.bin)?$/i.test(name);
}

/** The last part of a manifest path ("./group1-shard1of1.bin", "weights/x.bin"): all a dropped file's name holds. */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Every shard path model.json's weightsManifest lists, in order (nothing when it is malformed: the loader says why). */
function manifestPaths(text: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  const manifest = (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest)) return [];
  return manifest.flatMap((g: unknown) => {
    const paths = (g as { paths?: unknown } | null)?.paths;
    return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string' && p !== '') : [];
  });
}

/** Image size and channels from a declared NHWC input shape; unknown sizes get the common 224x224 RGB. */
function tfjsInputShape(shape: readonly (number | null)[] | null, inputName: string, fileName: string): [number, number, number] {
  if (shape === null) return [224, 224, 3];
  if (shape.length !== 4)
    throw new FormatError(`${fileName}: the model's input "${inputName}" has shape [${shape.map((d) => d ?? '?').join(', ')}]; the page ` +
      'runs image models, whose input is [batch, height, width, channels]');
  const num = (d: number | null, fallback: number): number => (typeof d === 'number' && d > 0 ? d : fallback);
  return [num(shape[1], 224), num(shape[2], 224), num(shape[3], 3)];
}

/** A TF.js model from its model.json and the files dropped with it (the shards are found by the names it lists). */
function fromTfjs(json: ModelFile, others: readonly ModelFile[]): LoadedModel {
  const name = json.name;
  const text = new TextDecoder().decode(json.bytes);
  const paths = manifestPaths(text);
  const byName = new Map(others.map((f) => [f.name, f]));
  const weights = new Map<string, Uint8Array>();
  const missing: string[] = [];
  for (const p of paths) {
    const file = byName.get(baseName(p));
    if (file === undefined) missing.push(baseName(p));
    else weights.set(p, new Uint8Array(file.bytes));
  }
  if (missing.length > 0) {
    const listed = new Set(paths.map(baseName));
    const extra = others.filter((f) => !listed.has(f.name)).map((f) => f.name);
    const quoted = listNames(missing.map((m) => `"${m}"`));
    const all = missing.length === paths.length;
    const what = !all ? `the weight shard${missing.length === 1 ? '' : 's'} ${quoted}`
      : paths.length === 1 ? `its weight shard ${quoted}` : `its ${paths.length} weight shards ${quoted}`;
    throw new FormatError(`${name} needs ${what}, which ${missing.length === 1 ? 'was' : 'were'} not dropped with it. A TF.js model ` +
      `is its model.json together with ${all ? 'every shard' : `all ${plural(paths.length, 'shard')}`} it lists: select or drop ` +
      `them all at once${extra.length > 0 ? ` (${listNames(extra)} ${extra.length === 1 ? 'is' : 'are'} not one of them)` : ''}.`);
  }
  let model: TfjsModel;
  try {
    model = loadTfjsModel({ json: text, weights });
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(`${name} could not be loaded as a TF.js model: ${err.message}`);
    throw err;
  }
  if (model.inputs.length !== 1)
    throw new FormatError(`${name}: the model has ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}); ` +
      'the page runs models with one image input');
  const input = model.inputs[0];
  const out = model.outputs[0]?.shape;
  const classes = out !== null && out !== undefined ? out[out.length - 1] : null;
  const from = model.convertedBy !== '' ? model.convertedBy : model.generatedBy;
  const kind = model.format === 'layers-model' ? 'layers' : 'graph';
  return {
    model,
    info: {
      title: `${name} (TF.js ${kind} model, ${plural(paths.length, 'weight shard')}${from !== '' ? `, from ${from}` : ''})`,
      format: 'tfjs', inputShape: tfjsInputShape(input.shape, input.name, name),
      numClasses: typeof classes === 'number' ? classes : undefined, params: countParams(model),
      fixedSize: input.shape !== null && (input.shape[1] !== null || input.shape[2] !== null),
    },
  };
}

/** One ONNX model or checkpoint. */
function fromSingleFile(file: ModelFile): LoadedModel {
  const bytes = new Uint8Array(file.bytes);
  const name = file.name;
  if (bytes.length === 0) throw new FormatError(`${name} is empty`);
  if (looksLikeSafetensors(bytes)) return fromCheckpoint(bytes, name);
  if (looksLikeShardName(name)) throw shardsWithoutJson([name]);
  try {
    return fromOnnx(bytes, name);
  } catch (err) {
    if (err instanceof FormatError)
      throw new FormatError(`${name} could not be read as an ONNX model: ${err.message}` +
        (/\.bin$/i.test(name) ? '. If it is a TF.js weight shard, drop it together with its model.json' : ''));
    throw err;
  }
}

function shardsWithoutJson(names: readonly string[]): FormatError {
  return new FormatError(`${listNames(names)} ${names.length === 1 ? 'looks like a TF.js weight shard' : 'look like TF.js weight shards'}, ` +
    'but no model.json came with them. A TF.js model is its model.json together with the shards it lists: select or drop them all at once.');
}

/** What was dropped or picked at once: one ONNX file or checkpoint, or a TF.js model.json and its shards. */
function fromFiles(files: readonly ModelFile[]): LoadedModel {
  if (files.length === 0) throw new FormatError('no model file was given');
  const total = files.reduce((n, f) => n + f.bytes.byteLength, 0);
  if (total > MAX_MODEL_BYTES)
    throw new FormatError(`${files.length === 1 ? files[0].name : `these ${files.length} files`} ${files.length === 1 ? 'is' : 'are'} ` +
      `${formatBytes(total)}${files.length === 1 ? '' : ' in all'}; the page accepts models up to ${formatBytes(MAX_MODEL_BYTES)}`);
  const jsons = files.filter((f) => looksLikeJsonText(new Uint8Array(f.bytes)));
  if (jsons.length > 1)
    throw new FormatError(`${listNames(jsons.map((f) => f.name))} are all JSON files; drop one TF.js model.json at a time, together with ` +
      'its weight shards');
  if (jsons.length === 1) return fromTfjs(jsons[0], files.filter((f) => f !== jsons[0]));
  if (files.length === 1) return fromSingleFile(files[0]);
  const names = files.map((f) => f.name);
  if (names.every((n) => looksLikeShardName(n) || /\.bin$/i.test(n))) throw shardsWithoutJson(names);
  throw new FormatError(`${plural(files.length, 'file')} (${listNames(names)}) but no TF.js model.json among them. ONNX models (.onnx) and ` +
    'sepconv checkpoints (.safetensors) are one file each: drop just that file; a TF.js model is its model.json together with ' +
    'the weight shards (.bin) it lists.');
}

/**
 * Reads what a visitor picked or dropped at once into a source for the model worker, with the key the worker caches
 * the loaded model under (names, sizes and dates: picking the same files again reuses it).
 */
export async function readModelFiles(files: readonly File[]): Promise<{ source: ModelSource; key: string }> {
  const read = await Promise.all(files.map(async (f) => {
    try {
      return { name: f.name, bytes: await f.arrayBuffer() };
    } catch (err) {
      throw new Error(`cannot read ${f.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }));
  return { source: { kind: 'files', files: read }, key: `files:${files.map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|')}` };
}

/** Builds or decodes the model. Throws sepconv's typed errors (FormatError for files it cannot read). */
export function loadModel(source: ModelSource): LoadedModel {
  if (source.kind === 'zoo') {
    const resolution = source.resolution ?? defaultResolution[source.name] ?? 224;
    const channels = source.name === 'small_cnn' ? 1 : 3;
    const model = buildModel(source.name, { resolution, width: source.width, inputChannels: channels });
    model.eval();
    return {
      model,
      info: { title: source.name, format: 'zoo', inputShape: [resolution, resolution, channels], params: countParams(model) },
    };
  }
  return fromFiles(source.kind === 'file' ? [{ name: source.fileName, bytes: source.bytes }] : source.files);
}
