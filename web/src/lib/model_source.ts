/**
 * Turning what a visitor gives the page into a runnable sepconv model: a zoo model by name, an ONNX file, or a
 * checkpoint written by `sepconv train` or the Train tab. Files are recognised by their bytes, not their names.
 */
import { formatBytes } from './format.js';
import { FormatError, buildModel, defaultResolution, importOnnx, modelFromCheckpointBytes, type Module } from './sepconv.js';

/** Largest model file the page accepts (a float32 model of 64M parameters). */
export const MAX_MODEL_BYTES = 256 * 1024 * 1024;

export type ModelSource =
  | { kind: 'zoo'; name: string; resolution?: number; width?: number }
  | { kind: 'file'; fileName: string; bytes: ArrayBuffer };

export type Normalization = { mean: number[]; std: number[] };

/** What the page shows about a model and needs to feed it. */
export interface ModelInfo {
  title: string;
  format: 'zoo' | 'onnx' | 'checkpoint';
  /** [H, W, C] the model is fed at. */
  inputShape: [number, number, number];
  numClasses?: number;
  classNames?: string[];
  /** The training normalisation (checkpoints only: their configuration stores it). */
  normalize?: Normalization;
  params: number;
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
  const bytes = new Uint8Array(source.bytes);
  const name = source.fileName;
  if (bytes.length > MAX_MODEL_BYTES)
    throw new FormatError(`${name} is ${formatBytes(bytes.length)}; the page accepts model files up to ${formatBytes(MAX_MODEL_BYTES)}`);
  if (bytes.length === 0) throw new FormatError(`${name} is empty`);
  if (looksLikeSafetensors(bytes)) return fromCheckpoint(bytes, name);
  if (looksLikeJson(bytes))
    throw new FormatError(`${name} is a JSON file (a TF.js model.json?); the page reads ONNX models (.onnx) and sepconv ` +
      'checkpoints (.safetensors). Convert TF.js or Keras models to ONNX with tf2onnx first');
  try {
    return fromOnnx(bytes, name);
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(`${name} could not be read as an ONNX model: ${err.message}`);
    throw err;
  }
}
