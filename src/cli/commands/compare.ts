/** `sepconv compare`: one standard convolution against its depthwise-separable replacement. */
import { compareConv, type ConvComparison, type LayerCount } from '../../cost/compare.js';
import { parsePositiveInt } from '../args.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { writeTextFile } from '../output.js';
import { barChart, combineCharts } from '../svg.js';
import { formatBytes, renderKeyValues, renderTable, type Column } from '../table.js';

const COLORS = { standard: '#9aa5b1', depthwise: '#f28e2b', pointwise: '#4e79a7' };

function requiredInt(ctx: CommandContext, name: string): number {
  const v = ctx.string(name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return parsePositiveInt(v, name);
}

function parsePadding(text: string): 'same' | 'valid' | number {
  if (text === 'same' || text === 'valid') return text;
  if (/^\d+$/.test(text)) return Number(text);
  throw new UsageError(`--padding must be 'same', 'valid' or a non-negative integer, got '${text}'`);
}

interface Row {
  name: string;
  layer: LayerCount;
}

function table(c: ConvComparison, color: boolean): string {
  const { k } = c.options;
  const rows: Row[] = [
    { name: `standard ${k}x${k}`, layer: c.standard },
    { name: `depthwise ${k}x${k}`, layer: c.depthwise },
    { name: 'pointwise 1x1', layer: c.pointwise },
  ];
  const columns: Column<Row>[] = [
    { header: 'layer', value: (r) => r.name },
    { header: 'output', value: (r) => r.layer.outputShape.join('x'), align: 'right' },
    { header: 'params', value: (r) => r.layer.params },
    { header: 'params+bias', value: (r) => r.layer.paramsWithBias },
    { header: 'MACs', value: (r) => r.layer.macs },
    { header: 'FLOPs (2xMAC)', value: (r) => r.layer.flops },
    { header: 'bytes', value: (r) => r.layer.bytes, format: formatBytes },
  ];
  return renderTable(columns, rows, { color, footer: [{ name: 'separable (dw+pw)', layer: c.separable }] });
}

function summary(c: ConvComparison, color: boolean): string {
  const { k, cout } = c.options;
  const r = c.ratio;
  const ratio = (x: number): string => `${x.toFixed(4)}  (${x <= 1 ? `${(1 / x).toFixed(2)}x fewer` : `${x.toFixed(2)}x more`})`;
  return renderKeyValues([
    ['separable / standard MACs', ratio(r.macs)],
    ['formula 1/C_out + 1/K^2', `1/${cout} + 1/${k * k} = ${r.formula.toFixed(4)}` +
      (Math.abs(r.macs - r.formula) <= 1e-12 * r.formula ? '  (equals the MAC ratio)' : '')],
    ['separable / standard params', `${ratio(r.params)} without bias; ${r.paramsWithBias.toFixed(4)} with bias`],
    ['separable / standard bytes', ratio(r.bytes)],
  ], color);
}

function plot(c: ConvComparison): string {
  const { k, cin, cout, h, w, stride } = c.options;
  const panel = (title: string, pick: (l: LayerCount) => number): string => barChart({
    title,
    categories: ['standard', 'separable'],
    series: [
      { name: `standard ${k}x${k}`, values: [pick(c.standard), 0], color: COLORS.standard },
      { name: `depthwise ${k}x${k}`, values: [0, pick(c.depthwise)], color: COLORS.depthwise },
      { name: 'pointwise 1x1', values: [0, pick(c.pointwise)], color: COLORS.pointwise },
    ],
    stacked: true,
    showValues: true,
    legend: false,
    width: 300,
    height: 360,
  });
  return combineCharts([
    panel('MACs', (l) => l.macs),
    panel('Parameters', (l) => l.params),
    panel('Memory traffic (bytes)', (l) => l.bytes),
  ], {
    title: `${k}x${k} conv, ${cin} -> ${cout} channels, ${h}x${w} input, stride ${stride}: standard vs depthwise-separable`,
    subtitle: `separable/standard MACs = ${c.ratio.macs.toFixed(4)} = 1/${cout} + 1/${k * k}; ` +
      `params ${c.ratio.params.toFixed(4)}; bytes ${c.ratio.bytes.toFixed(4)} (the separable pair writes and reads an intermediate)`,
    legend: [
      { name: `standard ${k}x${k}`, color: COLORS.standard },
      { name: `depthwise ${k}x${k}`, color: COLORS.depthwise },
      { name: 'pointwise 1x1', color: COLORS.pointwise },
    ],
  });
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'standard vs depthwise-separable convolution: params, MACs, bytes',
  description: 'Counts the parameters, multiply-adds and memory traffic of a KxK convolution from C_in to C_out ' +
    'channels on an HxW input, and of the depthwise-separable replacement (KxK depthwise conv doing the stride, ' +
    'then 1x1 pointwise conv), with the ratio separable/standard and the closed form 1/C_out + 1/K^2. MACs and ' +
    'bytes exclude biases (batch norm follows each conv in these networks); params are shown with and without them.',
  positionals: [],
  options: {
    k: { type: 'string', valueName: 'K', description: 'kernel size (square)', defaultText: '3' },
    cin: { type: 'string', valueName: 'N', description: 'input channels (required)' },
    cout: { type: 'string', valueName: 'N', description: 'output channels (required)' },
    size: { type: 'string', valueName: 'S', description: 'input height and width (required unless --height/--width)' },
    height: { type: 'string', valueName: 'H', description: 'input height (overrides --size)' },
    width: { type: 'string', valueName: 'W', description: 'input width (overrides --size)' },
    stride: { type: 'string', valueName: 'S', description: 'stride of the standard and the depthwise conv', defaultText: '1' },
    padding: { type: 'string', valueName: 'P', description: "'same', 'valid' or a number of zero rows/columns per side", defaultText: 'same' },
    json: { type: 'boolean', description: 'print the comparison as one JSON object' },
    plot: { type: 'string', valueName: 'FILE.svg', description: 'write bar charts of MACs, params and bytes (standard vs separable)' },
  },
  examples: ['compare --k 3 --cin 32 --cout 64 --size 112', 'compare --k 5 --cin 40 --cout 80 --size 28 --stride 2 --json'],
  run(ctx) {
    const size = ctx.string('size');
    const h = ctx.string('height') ?? size;
    const w = ctx.string('width') ?? size;
    if (h === undefined || w === undefined) throw new UsageError('give the input size with --size S (or --height and --width)');
    const c = compareConv({
      k: parsePositiveInt(ctx.string('k') ?? '3', 'k'),
      cin: requiredInt(ctx, 'cin'),
      cout: requiredInt(ctx, 'cout'),
      h: parsePositiveInt(h, ctx.string('height') !== undefined ? 'height' : 'size'),
      w: parsePositiveInt(w, ctx.string('width') !== undefined ? 'width' : 'size'),
      stride: parsePositiveInt(ctx.string('stride') ?? '1', 'stride'),
      padding: parsePadding(ctx.string('padding') ?? 'same'),
    });
    const file = ctx.string('plot');
    if (file !== undefined) writeTextFile(file, plot(c), 'plot');
    if (ctx.flag('json')) {
      ctx.io.stdout.write(JSON.stringify(c, null, 2) + '\n');
      return;
    }
    const { k, cin, cout, h: ih, w: iw, stride, padding } = c.options;
    ctx.io.stdout.write(`${k}x${k} conv, input ${ih}x${iw}x${cin} -> output ${c.outH}x${c.outW}x${cout} ` +
      `(stride ${stride}, padding ${padding}); counts per image, fp32 bytes\n\n`);
    ctx.io.stdout.write(table(c, ctx.color) + '\n' + summary(c, ctx.color));
    if (file !== undefined) ctx.io.stdout.write(`\nwrote ${file}\n`);
  },
};
