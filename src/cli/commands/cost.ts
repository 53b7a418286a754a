/** `sepconv cost <model>`: per-layer parameters, MACs, bytes and arithmetic intensity of a model. */
import { analyse, type CostKind, type CostReport, type CostTotals, type LayerCost, type OpCost } from '../../cost/analyse.js';
import { ArgumentError, ShapeError } from '../../errors.js';
import { buildModel, defaultResolution, modelNames, type BuildModelOptions } from '../../models/index.js';
import { modelInputChannels } from '../../models/input_channels.js';
import type { Module } from '../../nn/module.js';
import { parsePositiveInt, parsePositiveNumber, parseShape } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { writeTextFile } from '../output.js';
import { barChart, combineCharts } from '../svg.js';
import { formatBytes, formatCount, formatPercent, formatScaled, renderKeyValues, renderTable, type Column } from '../table.js';

/** The three groups of the depthwise / pointwise / other split. */
type Share = 'depthwise' | 'pointwise' | 'other';
const SHARES: readonly Share[] = ['depthwise', 'pointwise', 'other'];
const SHARE_COLORS: Record<Share, string> = { depthwise: '#f28e2b', pointwise: '#4e79a7', other: '#9aa5b1' };

const shareOf = (kind: CostKind): Share => (kind === 'depthwise' || kind === 'pointwise' ? kind : 'other');

const shape = (s: readonly number[]): string => (s.length > 1 ? s.slice(1) : s).join('x');
const millions = (n: number): string => (n === 0 ? '0' : (n / 1e6).toFixed(3));
const intensity = (n: number): string => n.toFixed(2);

type Row = LayerCost | OpCost | (CostTotals & { label: string });

function rowName(r: Row): string {
  if ('label' in r) return r.label;
  if ('name' in r) return r.name === '' ? '(model)' : r.name;
  return r.scope === '' ? '(model)' : r.scope;
}

function costTable(report: CostReport, showOps: boolean, color: boolean): string {
  const columns: Column<Row>[] = [
    { header: showOps ? 'layer (scope)' : 'layer', value: rowName },
    ...(showOps ? [{ header: 'op', value: (r: Row) => ('op' in r ? r.op : '') }] : []),
    { header: 'kind', value: (r) => ('kind' in r ? r.kind : '') },
    { header: 'output', value: (r) => ('outputShape' in r ? shape(r.outputShape) : shape(report.output)), align: 'right' },
    { header: 'params', value: (r) => r.params },
    { header: 'MACs (M)', value: (r) => r.macs, format: millions },
    { header: 'bytes', value: (r) => r.bytes, format: formatBytes },
    { header: 'FLOP/B', value: (r) => r.intensity, format: intensity },
  ];
  const rows: Row[] = showOps ? report.ops : report.layers;
  return renderTable(columns, rows, { color, footer: [{ ...report.totals, label: 'total' }] });
}

function shares(t: CostTotals, pick: (v: { params: number; macs: number }) => number): string {
  const sums: Record<Share, number> = { depthwise: 0, pointwise: 0, other: 0 };
  for (const [kind, v] of Object.entries(t.byKind)) sums[shareOf(kind as CostKind)] += pick(v);
  const all = sums.depthwise + sums.pointwise + sums.other;
  return SHARES.map((s) => `${s} ${formatPercent(all === 0 ? 0 : sums[s] / all)}`).join(', ');
}

function summary(report: CostReport, color: boolean): string {
  const t = report.totals;
  const pairs: [string, string][] = [
    ['params', `${formatCount(t.params)} (${formatScaled(t.params)})`],
    ['MACs', `${formatCount(t.macs)} (${formatScaled(t.macs)}) multiply-adds in convolutions and linear layers`],
    ['FLOPs', `${formatScaled(t.flops)} (= 2 x MACs)`],
    ['elementwise ops', `${formatScaled(t.elementwiseOps)} (batch norm, activations, pooling, adds, SE multiplies; not in MACs)`],
    ['bytes', `${formatBytes(t.bytes)} read + written, fp32 (${formatBytes(t.weightBytes)} of it weight reads)`],
    ['intensity', `${intensity(t.intensity)} FLOP/byte ((FLOPs + elementwise ops) / bytes)`],
    ['MAC share', shares(t, (v) => v.macs)],
    ['param share', `${shares(t, (v) => v.params)}  (other: standard convs, linear, batch norm)`],
  ];
  if (report.unusedParameters.length > 0)
    pairs.push(['unused params', `${report.unusedParameters.map((p) => `${p.name} (${formatCount(p.size)})`).join(', ')} (not in the total)`]);
  return renderKeyValues(pairs, color);
}

function plot(report: CostReport, title: string): string {
  const layers = report.layers.filter((l) => l.macs > 0);
  const categories = layers.map((l) => (l.name === '' ? '(model)' : l.name));
  const panel = (what: string, pick: (l: LayerCost) => number): string => barChart({
    title: what,
    legend: false,
    orientation: 'horizontal',
    stacked: true,
    categories,
    series: SHARES.map((s) => ({ name: s, color: SHARE_COLORS[s], values: layers.map((l) => (shareOf(l.kind) === s ? pick(l) : 0)) })),
    width: 640,
  });
  return combineCharts([panel('MACs per layer', (l) => l.macs), panel('Parameters per layer', (l) => l.params)], {
    title,
    subtitle: 'convolution and linear layers, split into depthwise / pointwise / other (standard convs, linear); batch-norm parameters not shown',
    legend: SHARES.map((s) => ({ name: s, color: SHARE_COLORS[s] })),
  });
}

export const costCommand: Command = {
  name: 'cost',
  summary: 'parameters, MACs, memory traffic and arithmetic intensity of a model, per layer',
  description: 'Builds the model and walks it once on shape-only tensors, counting every op: parameters, ' +
    'multiply-adds (MACs: convolutions and linear layers, bias excluded, as the MobileNet papers count them), ' +
    'FLOPs (2 x MACs), elementwise ops (batch norm, activations, pooling, adds, SE multiplies), fp32 bytes read ' +
    'and written, and arithmetic intensity. Counts are per image. See docs/cost.md for the conventions.',
  positionals: [{ name: 'model', description: `one of ${modelNames.join(', ')}`, required: true }],
  options: {
    input: { type: 'string', valueName: 'HxWxC', description: "input height x width x channels (default: the model's own, e.g. 224x224x3, 299x299x3 for xception, 28x28x1 for small_cnn)" },
    classes: { type: 'string', valueName: 'N', description: "number of output classes (default: the model's, 1000 for the ImageNet models)" },
    alpha: { type: 'string', valueName: 'A', description: 'width multiplier > 0; models without a width setting take only 1', defaultText: '1' },
    ops: { type: 'boolean', description: 'one row per op instead of per layer' },
    json: { type: 'boolean', description: 'print one JSON object {model, input, output, layers, totals, ...}' },
    plot: { type: 'string', valueName: 'FILE.svg', description: 'write per-layer MACs and params (depthwise / pointwise / other) as SVG' },
  },
  examples: ['cost mobilenet_v2', 'cost mobilenet_v1 --alpha 0.5 --input 160x160x3', 'cost efficientnet_b0 --json', 'cost mobilenet_v3_small --plot v3s.svg'],
  run(ctx) {
    const model = ctx.positionals[0] as string;
    if (!modelNames.includes(model))
      throw new UsageError(`unknown model '${model}'; accepted models: ${modelNames.join(', ')}`);
    const inputText = ctx.string('input');
    const given = inputText === undefined ? undefined : parseShape(inputText, 'input');
    const classesText = ctx.string('classes');
    const alphaText = ctx.string('alpha');
    const options: BuildModelOptions = {
      numClasses: classesText === undefined ? undefined : parsePositiveInt(classesText, 'classes'),
      alpha: alphaText === undefined ? undefined : parsePositiveNumber(alphaText, 'alpha'),
      inChannels: given?.[2],
      resolution: given === undefined ? undefined : Math.min(given[0], given[1]),
    };
    let net: Module;
    try {
      net = buildModel(model, options);
    } catch (err) {
      // Builders reject impossible settings (e.g. an input smaller than the total stride) with ArgumentError.
      if (err instanceof ArgumentError) throw new UsageError(`cannot build ${model} with these options: ${err.message}`);
      throw err;
    }
    const side = defaultResolution[model];
    const input = given ?? [side, side, modelInputChannels(net)];
    let report: CostReport;
    try {
      report = analyse(net, input);
    } catch (err) {
      if (err instanceof ShapeError) throw new ShapeError(`input ${input.join('x')} does not fit ${model}: ${err.message}`);
      throw err;
    }
    const classes = report.output[report.output.length - 1];
    const title = `${model}${options.alpha === undefined ? '' : ` alpha ${options.alpha}`}, input ${input.join('x')}, ${classes} classes`;
    const file = ctx.string('plot');
    if (file !== undefined) writeTextFile(file, plot(report, `${title}: MACs and parameters per layer`), 'plot');
    if (ctx.flag('json')) {
      const out = {
        model, input, options: { alpha: options.alpha ?? 1, classes }, output: report.output.slice(1), layers: report.layers,
        totals: report.totals, unusedParameters: report.unusedParameters, ...(ctx.flag('ops') ? { ops: report.ops } : {}),
      };
      ctx.io.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return;
    }
    ctx.io.stdout.write(`${title}; counts per image, fp32 bytes\n\n`);
    ctx.io.stdout.write(costTable(report, ctx.flag('ops'), ctx.color) + '\n' + summary(report, ctx.color));
    if (file !== undefined) ctx.io.stdout.write(`\nwrote ${file}\n`);
  },
};

