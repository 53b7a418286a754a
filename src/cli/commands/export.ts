/** `sepconv export <builder | checkpoint> <out.onnx>`: writes a model as an ONNX file. */
import { writeFileSync } from 'node:fs';
import { ArgumentError } from '../../errors.js';
import { MAX_OPSET, MIN_OPSET } from '../../io/onnx/builder.js';
import { exportOnnx } from '../../io/onnx/export.js';
import { buildModel, defaultResolution, modelNames } from '../../models/index.js';
import { modelInputChannels } from '../../models/input_channels.js';
import type { Module } from '../../nn/module.js';
import { parsePositiveInt, parsePositiveNumber, parseShape } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { CommandError } from '../output.js';
import { formatBytes } from '../table.js';
import { modelFromCheckpoint } from '../training_run.js';


/** The model and its [H, W, C] input: from a checkpoint of `sepconv train`, or built by name. */
async function source(what: string, ctx: Parameters<Command['run']>[0]): Promise<{ model: Module; input: number[] }> {
  const inputText = ctx.string('input');
  const given = inputText === undefined ? undefined : parseShape(inputText, 'input');
  if (what.endsWith('.safetensors')) {
    for (const o of ['classes', 'alpha']) if (ctx.string(o) !== undefined) throw new UsageError(`--${o} applies to builders; a checkpoint fixes it`);
    const { model, config } = await modelFromCheckpoint(what);
    return { model, input: given ?? [...config.dataInfo!.imageShape] };
  }
  if (!modelNames.includes(what))
    throw new UsageError(`'${what}' is neither a checkpoint (.safetensors) nor a model; models: ${modelNames.join(', ')}`);
  const classes = ctx.string('classes');
  const alpha = ctx.string('alpha');
  try {
    const model = buildModel(what, {
      numClasses: classes === undefined ? undefined : parsePositiveInt(classes, 'classes'),
      alpha: alpha === undefined ? undefined : parsePositiveNumber(alpha, 'alpha'),
      inChannels: given?.[2],
      resolution: given === undefined ? undefined : Math.min(given[0], given[1]),
    });
    const side = defaultResolution[what];
    return { model, input: given ?? [side, side, modelInputChannels(model)] };
  } catch (err) {
    if (err instanceof ArgumentError) throw new UsageError(`cannot build ${what} with these options: ${err.message}`);
    throw err;
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model (a builder or a trained checkpoint) as an ONNX file',
  description: 'Exports a built-in model (untrained, seeded) or a checkpoint written by sepconv train to ONNX, for ' +
    'ONNX Runtime, PyTorch tools and inference servers. The file takes an NCHW input [N, C, H, W] as PyTorch exports ' +
    'do; depthwise convolutions are Conv nodes with group = C. --fold-bn folds batch norms into the preceding ' +
    'convolutions (inference only, a smaller and faster file).',
  positionals: [
    { name: 'model', description: `a checkpoint (.safetensors) or one of ${modelNames.join(', ')}`, required: true },
    { name: 'out', description: 'the .onnx file to write', required: true },
  ],
  options: {
    input: { type: 'string', valueName: 'HxWxC', description: "input height x width x channels (default: the model's or the checkpoint's)" },
    batch: { type: 'string', valueName: 'N', description: 'batch size of the input', defaultText: '1' },
    classes: { type: 'string', valueName: 'N', description: "number of output classes for a builder (default: the model's)" },
    alpha: { type: 'string', valueName: 'A', description: 'width multiplier for a builder', defaultText: '1' },
    opset: { type: 'string', valueName: 'N', description: `ONNX opset, ${MIN_OPSET} to ${MAX_OPSET} (HardSwish is native from 14)`, defaultText: '13' },
    'fold-bn': { type: 'boolean', description: 'fold batch norms into the preceding convolutions' },
  },
  examples: ['export mobilenet_v2 mobilenet_v2.onnx', 'export runs/demo/separable/checkpoint.safetensors digits.onnx --fold-bn',
    'export efficientnet_b0 b0.onnx --input 160x160x3 --opset 17'],
  async run(ctx) {
    const [what, out] = ctx.positionals as [string, string];
    const batch = parsePositiveInt(ctx.string('batch') ?? '1', 'batch');
    const opset = parsePositiveInt(ctx.string('opset') ?? '13', 'opset');
    if (opset < MIN_OPSET || opset > MAX_OPSET) throw new UsageError(`--opset must be from ${MIN_OPSET} to ${MAX_OPSET}, got ${opset}`);
    const { model, input } = await source(what, ctx);
    const bytes = exportOnnx(model, [batch, ...input], { opset, foldBatchNorm: ctx.flag('fold-bn') });
    try {
      writeFileSync(out, bytes);
    } catch (err) {
      throw new CommandError(`cannot write '${out}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const [h, w, c] = input;
    ctx.io.stdout.write(`wrote ${out} (${formatBytes(bytes.byteLength)}, opset ${opset}${ctx.flag('fold-bn') ? ', batch norm folded' : ''}): ` +
      `input 'input' [${batch}, ${c}, ${h}, ${w}] (NCHW), output 'output'\n`);
  },
};
