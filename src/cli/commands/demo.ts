/**
 * `sepconv demo`: the main job. Trains a small standard CNN and its separable twin (`separabilize` of the same
 * network) on the built-in digits, then prints them side by side (parameters, multiply-adds, measured latency, test
 * accuracy, ratios) and draws accuracy against multiply-adds next to the training curves.
 */
import { join } from 'node:path';
import { analyse } from '../../cost/analyse.js';
import { getBackend } from '../../backend/registry.js';
import type { Module } from '../../nn/module.js';
import { noGrad } from '../../tensor/autograd.js';
import { tidy } from '../../tensor/memory.js';
import { Tensor } from '../../tensor/tensor.js';
import { parsePositiveInt, parsePositiveNumber } from '../args.js';
import type { Command } from '../command.js';
import { writeTextFile } from '../output.js';
import { formatDuration } from '../progress.js';
import { barChart, combineCharts, lineChart } from '../svg.js';
import { formatCount, renderTable, type Column } from '../table.js';
import type { RunConfig } from '../../train/run_config.js';
import { checkOutputDir, runTraining } from '../training_run.js';

/** Median wall-clock milliseconds of a batch-1 forward pass (eval mode, no autograd), after warm-up. */
export function measureLatency(model: Module, shape: readonly number[], runs = 30): number {
  model.eval();
  const x = new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape);
  const times: number[] = [];
  noGrad(() => {
    for (let i = 0; i < 5 + runs; i++) {
      const t0 = performance.now();
      tidy(() => model.call(x));
      if (i >= 5) times.push(performance.now() - t0);
    }
  });
  x.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

interface Result {
  name: string;
  params: number;
  macs: number;
  latencyMs: number;
  accuracy: number;
  trainSeconds: number;
  history: { epoch: number; test: number; loss: number }[];
}

const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

// Sized to finish in about a minute on the native backend and in under five on wasm alone (2 cores).
const DEFAULT_EPOCHS = 4;
const DEFAULT_WIDTH = 24;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'train a standard CNN and its separable twin on built-in digits and compare them',
  description: 'The main job. Trains small_cnn and its separable twin (every standard 3x3 conv but the stem replaced by ' +
    'depthwise 3x3 + BN + ReLU + pointwise 1x1) with the same data, seed and schedule on the 10,000 built-in MNIST digits (8,000 train, ' +
    '2,000 test), then prints parameters, multiply-adds, measured batch-1 latency, test accuracy and the ratios, and writes ' +
    'demo.svg (accuracy against multiply-adds, and the test-accuracy curves) plus each run\'s checkpoint, log and curves.',
  positionals: [],
  options: {
    epochs: { type: 'string', valueName: 'N', description: 'epochs per model', defaultText: String(DEFAULT_EPOCHS) },
    width: { type: 'string', valueName: 'W', description: 'channels of the first conv (then 2W, 4W)', defaultText: String(DEFAULT_WIDTH) },
    limit: { type: 'string', valueName: 'N', description: 'train on N of the 8,000 training digits (quicker)' },
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'output folder', defaultText: 'runs/demo' },
    json: { type: 'boolean', description: 'print the comparison as JSON' },
  },
  examples: ['demo', 'demo --epochs 5 --width 32'],
  async run(ctx) {
    const epochs = parsePositiveInt(ctx.string('epochs') ?? String(DEFAULT_EPOCHS), 'epochs');
    const width = parsePositiveNumber(ctx.string('width') ?? String(DEFAULT_WIDTH), 'width');
    const limitText = ctx.string('limit');
    const out = ctx.string('out') ?? join('runs', 'demo');
    checkOutputDir(out);
    const base: RunConfig = {
      model: 'small_cnn', separable: false, keepStem: true, width, data: 'mnist', epochs, batch: 32, lr: 0.01, optimizer: 'adam',
      schedule: 'cosine', warmupEpochs: 0.1, weightDecay: 0, momentum: 0.9, labelSmoothing: 0, seed: 0,
      limit: limitText === undefined ? undefined : parsePositiveInt(limitText, 'limit'), augment: { cropPadding: 0, horizontalFlip: false },
    };
    const log = ctx.io.stderr;
    log.write(`sepconv demo: small_cnn (width ${width}) vs its separable twin, MNIST digits, ${epochs} epochs each, backend ${getBackend()}\n`);
    const results: Result[] = [];
    for (const separable of [false, true]) {
      const name = separable ? 'separable' : 'standard';
      const started = performance.now();
      const run = await runTraining({ ...base, separable }, { outDir: join(out, name), resume: false, progress: log, label: name });
      const trainSeconds = (performance.now() - started) / 1000;
      const [h, w, c] = run.imageShape;
      const cost = analyse(run.model, [h, w, c]);
      const last = run.history[run.history.length - 1];
      results.push({
        name, params: run.model.numParameters(), macs: cost.totals.macs, latencyMs: measureLatency(run.model, [1, h, w, c]),
        accuracy: last.test?.top1 ?? NaN, trainSeconds,
        history: run.history.map((e) => ({ epoch: e.epoch + 1, test: e.test?.top1 ?? NaN, loss: e.test?.loss ?? NaN })),
      });
    }
    const [std, sep] = results;
    if (ctx.flag('json')) {
      ctx.io.stdout.write(JSON.stringify({ backend: getBackend(), epochs, width, models: results,
        ratios: { params: std.params / sep.params, macs: std.macs / sep.macs, latency: std.latencyMs / sep.latencyMs,
          accuracyPoints: 100 * (sep.accuracy - std.accuracy) } }, null, 2) + '\n');
    } else {
      const columns: Column<[string, string, string, string]>[] = [
        { header: '', value: (r) => r[0] },
        { header: 'standard', value: (r) => r[1], align: 'right' },
        { header: 'separable', value: (r) => r[2], align: 'right' },
        { header: 'standard / separable', value: (r) => r[3], align: 'right' },
      ];
      const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
      const rows: [string, string, string, string][] = [
        ['parameters', formatCount(std.params), formatCount(sep.params), ratio(std.params, sep.params)],
        ['multiply-adds / image', formatCount(std.macs), formatCount(sep.macs), ratio(std.macs, sep.macs)],
        [`latency, batch 1 (${getBackend()})`, `${std.latencyMs.toFixed(2)} ms`, `${sep.latencyMs.toFixed(2)} ms`, ratio(std.latencyMs, sep.latencyMs)],
        ['test accuracy (2,000 digits)', pct(std.accuracy), pct(sep.accuracy), `${(100 * (sep.accuracy - std.accuracy)).toFixed(2)} points`],
        ['training time', formatDuration(std.trainSeconds), formatDuration(sep.trainSeconds), ratio(std.trainSeconds, sep.trainSeconds)],
      ];
      ctx.io.stdout.write('\n' + renderTable(columns, rows, { color: ctx.color }) + '\n');
      const points = 100 * (sep.accuracy - std.accuracy);
      ctx.io.stdout.write(`\nThe separable twin has ${ratio(std.params, sep.params)} fewer parameters and ${ratio(std.macs, sep.macs)} fewer ` +
        `multiply-adds; its test accuracy is ${Math.abs(points).toFixed(2)} points ${points < 0 ? 'lower' : 'higher'} ` +
        `(${pct(sep.accuracy)} against ${pct(std.accuracy)}).\n`);
    }
    const svgPath = join(out, 'demo.svg');
    writeTextFile(svgPath, demoChart(results), 'demo chart');
    ctx.io.stderr.write(`wrote ${svgPath}, ${join(out, 'standard')}/ and ${join(out, 'separable')}/ (checkpoint, log.jsonl, curves.svg)\n`);
  },
};

function demoChart(results: readonly Result[]): string {
  const colors = ['#9aa5b1', '#4e79a7'];
  const accuracy = lineChart({
    title: 'Test accuracy against multiply-adds', xLabel: 'multiply-adds per image', yLabel: 'test accuracy (%)', markers: true,
    series: results.map((r, i) => ({ name: r.name, points: [[r.macs, 100 * r.accuracy] as const], color: colors[i] })),
  });
  const curves = lineChart({
    title: 'Test accuracy per epoch', xLabel: 'epoch', yLabel: 'test accuracy (%)',
    series: results.map((r, i) => ({ name: r.name, points: r.history.map((h) => [h.epoch, 100 * h.test] as const), color: colors[i] })),
  });
  // One chart per measure: on a shared axis the parameter bars would vanish next to the multiply-adds.
  const cost = (title: string, value: (r: Result) => number): string => barChart({
    title, categories: results.map((r) => r.name), orientation: 'horizontal', showValues: true, legend: false, height: 200,
    // One series per model, each filling only its own bar, so each model keeps its colour.
    stacked: true, series: results.map((r, i) => ({ name: r.name, values: results.map((_, j) => (i === j ? value(r) : 0)), color: colors[i] })),
  });
  const costs = combineCharts([cost('Parameters', (r) => r.params), cost('Multiply-adds per image', (r) => r.macs)], { direction: 'column' });
  return combineCharts([accuracy, curves, costs], { title: 'sepconv demo: a standard CNN and its separable twin on MNIST digits' });
}
