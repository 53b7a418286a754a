/** `sepconv predict`: classify image files with a trained checkpoint. */
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../data/image_decode.js';
import { resizeImage, rgbaToChannels } from '../../data/resize.js';
import { normalizeChannels } from '../../data/augment.js';
import { softmax } from '../../ops/softmax.js';
import { noGrad } from '../../tensor/autograd.js';
import { Tensor } from '../../tensor/tensor.js';
import { topK } from '../../train/metrics.js';
import { parsePositiveInt } from '../args.js';
import type { Command } from '../command.js';
import { CommandError } from '../output.js';
import { renderTable, type Column } from '../table.js';
import { CHECKPOINT_OPTIONS, checkpointArgument } from '../training_run.js';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'classify an image (PNG or JPEG) with a trained checkpoint',
  description: "Loads a checkpoint from 'sepconv train', converts the image to the model's input size and channels " +
    '(greyscale or RGB, bilinear resize), applies the training normalisation and prints the top classes with their ' +
    'probabilities. Digits models expect white strokes on black, as in MNIST.',
  positionals: [{ name: 'image', description: 'a PNG or JPEG file', required: true }],
  options: {
    ...CHECKPOINT_OPTIONS,
    top: { type: 'string', valueName: 'K', description: 'how many classes to show', defaultText: '5' },
  },
  examples: ['predict --checkpoint runs/demo/separable/checkpoint.safetensors digit.png --top 3'],
  async run(ctx) {
    const { model, config } = await checkpointArgument(ctx);
    const imagePath = ctx.positionals[0]!;
    const k = parsePositiveInt(ctx.string('top') ?? '5', 'top');
    const info = config.dataInfo!;
    const [h, w, c] = info.imageShape;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(imagePath);
    } catch (err) {
      throw new CommandError(`cannot read '${imagePath}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const image = decodeImage(bytes, imagePath);
    // Same pipeline as the image-folder reader: channels and size in 0..255, then the 0..1 scale the datasets use.
    const pixels = resizeImage(rgbaToChannels(image, c), image.height, image.width, c, h, w).map((v) => v / 255);
    if (config.normalize !== undefined) normalizeChannels(pixels, c, config.normalize.mean, config.normalize.std);
    const probs = noGrad(() => softmax(model.call(new Tensor(pixels, [1, h, w, c]))));
    const names = info.classNames ?? Array.from({ length: info.numClasses }, (_, i) => String(i));
    const best = topK(probs.data, info.numClasses, 0, Math.min(k, info.numClasses))
      .map((i) => ({ class: i, name: names[i], probability: probs.data[i] }));
    if (ctx.flag('json')) {
      ctx.io.stdout.write(JSON.stringify({ image: imagePath, top: best }) + '\n');
      return;
    }
    const columns: Column<(typeof best)[number]>[] = [
      { header: 'class', value: (r) => r.name },
      { header: 'probability', value: (r) => `${(100 * r.probability).toFixed(2)}%`, align: 'right' },
    ];
    ctx.io.stdout.write(`${imagePath}: ${best[0].name}\n` + renderTable(columns, best, { color: ctx.color }) + '\n');
  },
};
