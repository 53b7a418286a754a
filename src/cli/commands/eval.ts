/** `sepconv eval`: accuracy, loss and confusion matrix of a trained checkpoint on a dataset's test split. */
import { DataLoader } from '../../data/dataloader.js';
import { resolveDataset } from '../../data/resolve.js';
import { ShapeError } from '../../errors.js';
import { evaluate } from '../../train/trainer.js';
import type { Command } from '../command.js';
import { renderKeyValues, renderTable, type Column } from '../table.js';
import { CHECKPOINT_OPTIONS, checkpointArgument } from '../training_run.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: "evaluate a checkpoint from 'sepconv train' on a test set",
  description: "Rebuilds the model saved by 'sepconv train', loads its weights and reports loss, top-1 and top-5 accuracy " +
    'and the confusion matrix on the test split of its dataset (or of --data).',
  positionals: [],
  options: {
    ...CHECKPOINT_OPTIONS,
    data: { type: 'string', valueName: 'SPEC', description: "dataset spec (see 'sepconv train --help')", defaultText: "the run's dataset" },
  },
  examples: ['eval --checkpoint runs/demo/separable/checkpoint.safetensors'],
  async run(ctx) {
    const { path, model, config } = await checkpointArgument(ctx);
    const spec = ctx.string('data') ?? config.data;
    const split = resolveDataset(spec, { seed: config.seed });
    const info = config.dataInfo!;
    if (split.test.imageShape.join('x') !== info.imageShape.join('x') || split.test.numClasses !== info.numClasses)
      throw new ShapeError(`dataset '${spec}' has ${split.test.imageShape.join('x')} images and ${split.test.numClasses} classes, ` +
        `but the model was trained on ${info.imageShape.join('x')} images with ${info.numClasses} classes`);
    const loader = new DataLoader(split.test, { batchSize: 256, shuffle: false, normalize: config.normalize });
    const r = evaluate(model, loader, info.numClasses);
    if (ctx.flag('json')) {
      ctx.io.stdout.write(JSON.stringify({ checkpoint: path, data: spec, ...r }) + '\n');
      return;
    }
    const names = info.classNames ?? Array.from({ length: info.numClasses }, (_, i) => String(i));
    ctx.io.stdout.write(renderKeyValues([
      ['checkpoint', path], ['data', `${spec} (test split, ${r.count} images)`], ['loss', r.loss.toFixed(4)],
      ['top-1 accuracy', `${(100 * r.top1).toFixed(2)}%`], ['top-5 accuracy', `${(100 * r.top5).toFixed(2)}%`],
    ], ctx.color) + '\n\nConfusion matrix (rows: true class, columns: predicted):\n');
    const columns: Column<number>[] = [
      { header: 'true \\ pred', value: (row) => names[row] },
      ...names.map((n, col): Column<number> => ({ header: n.slice(0, 8), value: (row) => r.confusion[row * info.numClasses + col] })),
    ];
    ctx.io.stdout.write(renderTable(columns, names.map((_, i) => i), { color: ctx.color }) + '\n');
  },
};
