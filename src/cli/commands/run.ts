/** `sepconv run <model.onnx | model.json> --input <file>`: runs an ONNX or TF.js model on a .npy tensor or an image. */
import { extname } from 'node:path';
import { normalizeChannels } from '../../data/augment.js';
import { decodeImage } from '../../data/image_decode.js';
import { resizeImage, rgbaToChannels } from '../../data/resize.js';
import { NCHW, transposeData } from '../../io/onnx/layout.js';
import { npyToTensor, readNpy } from '../../io/npy.js';
import { noGrad } from '../../tensor/autograd.js';
import { Tensor } from '../../tensor/tensor.js';
import { topK } from '../../train/metrics.js';
import { parsePositiveInt } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { renderTable, type Column } from '../table.js';
import { dimsText, loadModelFile, readInputFile, type ModelFile } from './onnx_file.js';

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** "224x224" -> [224, 224]. */
function parseSize(text: string): [number, number] {
  const m = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text);
  const hw = m === null ? [] : [Number(m[1]), Number(m[2])];
  if (hw.length !== 2 || hw.some((d) => d < 1)) throw new UsageError(`--size '${text}' is not a size; the accepted form is HxW, e.g. 224x224`);
  return hw as [number, number];
}

/** "0.0039", "1/255" -> a finite number. */
function parseScale(text: string): number {
  const m = /^\s*([-+]?[\d.eE+-]+)\s*(?:\/\s*([\d.eE+-]+))?\s*$/.exec(text);
  const v = m === null ? NaN : Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2]));
  if (!Number.isFinite(v)) throw new UsageError(`--scale '${text}' is not a number; e.g. 1/255 or 0.017`);
  return v;
}

/** "0.485,0.456,0.406" -> one number per channel. */
function parseList(text: string, option: string, channels: number): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length !== channels || values.some((v) => !Number.isFinite(v)))
    throw new UsageError(`--${option} '${text}' must be ${channels} comma-separated numbers, one per input channel`);
  return values;
}

/**
 * An image as the model's input (NCHW for ONNX, NHWC for TF.js): channels and size from the file's input dims unless
 * --size says otherwise.
 */
function imageInput(model: ModelFile, bytes: Uint8Array, path: string, o: { size?: string; scale?: string; mean?: string; std?: string }): Tensor {
  const dims = model.inputs[0].dims;
  if (dims !== null && dims.length !== 4)
    throw new UsageError(`the model's input is ${dimsText(dims)}, not an ${model.layout} image batch; give a .npy tensor instead`);
  const [cAxis, hAxis, wAxis] = model.layout === 'NCHW' ? [1, 2, 3] : [3, 1, 2];
  const declared = (i: number): number | undefined => (dims !== null && typeof dims[i] === 'number' ? (dims[i] as number) : undefined);
  const c = declared(cAxis) ?? 3;
  if (c !== 1 && c !== 3) throw new UsageError(`the model takes ${c} channels; images give 1 (grey) or 3 (RGB); give a .npy tensor instead`);
  const image = decodeImage(bytes, path);
  const [h, w] = o.size !== undefined ? parseSize(o.size) : [declared(hAxis) ?? image.height, declared(wAxis) ?? image.width];
  const scale = o.scale === undefined ? 1 / 255 : parseScale(o.scale);
  const pixels = resizeImage(rgbaToChannels(image, c), image.height, image.width, c, h, w).map((v) => v * scale);
  if (o.mean !== undefined || o.std !== undefined)
    normalizeChannels(pixels, c, o.mean === undefined ? new Array(c).fill(0) : parseList(o.mean, 'mean', c),
      o.std === undefined ? new Array(c).fill(1) : parseList(o.std, 'std', c));
  if (model.layout === 'NHWC') return new Tensor(pixels, [1, h, w, c]);
  return new Tensor(transposeData(pixels, [1, h, w, c], NCHW), [1, c, h, w]);
}

/** The top classes of a classifier output ([1, K] or [K]), with softmax probabilities of the scores. */
function topClasses(t: Tensor, k: number): { class: number; score: number; probability: number }[] {
  const scores = t.data;
  const max = Math.max(...scores);
  const exp = Array.from(scores, (s) => Math.exp(s - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return topK(scores, scores.length, 0, Math.min(k, scores.length)).map((i) => ({ class: i, score: scores[i], probability: exp[i] / sum }));
}

function describeTensor(t: Tensor): string {
  const d = t.data;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of d) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const head = Array.from(d.subarray(0, 6), (v) => v.toPrecision(5)).join(', ');
  return `min ${min.toPrecision(5)}, max ${max.toPrecision(5)}, mean ${(sum / d.length).toPrecision(5)}; first values ${head}${d.length > 6 ? ', ...' : ''}`;
}

export const runModelCommand: Command = {
  name: 'run',
  summary: 'run an ONNX or TF.js model on a .npy tensor or an image',
  description: "Imports an ONNX file or a TF.js model.json (weight shards next to it) and runs it on one input. A .npy " +
    "file (float32, float64 or uint8) holds the tensor in the model's own input layout, as the file declares it (NCHW " +
    "for most ONNX models, NHWC for TF.js). A PNG or JPEG is converted to the " +
    "model's channels (grey or RGB) and input size (or --size), scaled by --scale (default 1/255) and normalised with " +
    '--mean and --std when given. Prints the top classes of a classifier output, or a summary of each output.',
  positionals: [{ name: 'model', description: 'an .onnx file or a TF.js model.json', required: true }],
  options: {
    input: { type: 'string', short: 'i', valueName: 'FILE', description: 'the input: a .npy tensor, or a .png / .jpg image' },
    size: { type: 'string', valueName: 'HxW', description: "resize images to this size (default: the model's input size)" },
    scale: { type: 'string', valueName: 'S', description: 'multiply image pixels (0..255) by S', defaultText: '1/255' },
    mean: { type: 'string', valueName: 'M1,M2,M3', description: 'subtract per channel after scaling (e.g. 0.485,0.456,0.406)' },
    std: { type: 'string', valueName: 'S1,S2,S3', description: 'divide per channel after subtracting the mean (e.g. 0.229,0.224,0.225)' },
    top: { type: 'string', valueName: 'K', description: 'classes to show for a classifier output', defaultText: '5' },
    json: { type: 'boolean', description: 'print {"outputs": {"<name>": {"shape": [...], "data": [...]}}}' },
  },
  examples: [
    'run mobilenet_v2.onnx --input cat.jpg --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --top 3',
    'run model.onnx --input batch.npy --json',
    'run web_model/model.json --input cat.png --top 3',
  ],
  run(ctx) {
    const inputPath = ctx.string('input');
    if (inputPath === undefined) throw new UsageError('--input is required (a .npy tensor or a .png / .jpg image)');
    const k = parsePositiveInt(ctx.string('top') ?? '5', 'top');
    const ext = extname(inputPath).toLowerCase();
    if (ext !== '.npy' && !IMAGE_EXTENSIONS.includes(ext))
      throw new UsageError(`--input '${inputPath}' must be a .npy, .png, .jpg or .jpeg file`);
    const model = loadModelFile(ctx.positionals[0]!);
    if (model.inputs.length !== 1)
      throw new UsageError(`the model has ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}); run feeds one`);
    const bytes = readInputFile(inputPath, 'input');
    const options = { size: ctx.string('size'), scale: ctx.string('scale'), mean: ctx.string('mean'), std: ctx.string('std') };
    if (ext === '.npy' && Object.values(options).some((v) => v !== undefined))
      throw new UsageError('--size, --scale, --mean and --std apply to images; a .npy tensor is used as it is');
    const x = ext === '.npy' ? npyToTensor(readNpy(bytes, inputPath)) : imageInput(model, bytes, inputPath, options);
    const outputs = noGrad(() => model.run({ [model.inputs[0].name]: x }));
    if (ctx.flag('json')) {
      const out = Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, { shape: [...t.shape], data: Array.from(t.data) }]));
      ctx.io.stdout.write(JSON.stringify({ outputs: out }) + '\n');
      return;
    }
    for (const [name, t] of Object.entries(outputs)) {
      const classifier = t.rank === 1 || (t.rank === 2 && t.shape[0] === 1);
      ctx.io.stdout.write(`${name} [${t.shape.join(', ')}]${classifier ? '' : `: ${describeTensor(t)}`}\n`);
      if (!classifier) continue;
      const columns: Column<ReturnType<typeof topClasses>[number]>[] = [
        { header: 'class', value: (r) => r.class },
        { header: 'score', value: (r) => r.score.toPrecision(5), align: 'right' },
        { header: 'softmax', value: (r) => `${(100 * r.probability).toFixed(2)}%`, align: 'right' },
      ];
      ctx.io.stdout.write(renderTable(columns, topClasses(t, k), { color: ctx.color }) + '\n');
    }
  },
};
