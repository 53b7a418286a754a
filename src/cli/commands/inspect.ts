/** `sepconv inspect <model.onnx | model.json>`: what an ONNX or TF.js model holds and what each of its nodes costs. */
import { analyse, type CostReport, type LayerCost } from '../../cost/analyse.js';
import { parseShape } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { formatBytes, formatCount, formatScaled, renderKeyValues, renderTable, type Column } from '../table.js';
import { dimsText, loadModelFile, type ModelFile } from './onnx_file.js';

/** Op types (or layer classes) of the model with their counts, most frequent first ("Conv x52, Relu x35"). */
function opHistogram(model: ModelFile): [string, number][] {
  const counts = new Map<string, number>();
  for (const op of model.opTypes) counts.set(op, (counts.get(op) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The NHWC input shape to analyse: the file's dims (NCHW or NHWC; symbolic batch = 1) or --input HxWxC. */
function analysisShape(model: ModelFile, given: [number, number, number] | undefined): number[] | string {
  if (model.inputs.length !== 1) return `the model has ${model.inputs.length} inputs; cost analysis runs single-input models`;
  const dims = model.inputs[0].dims;
  if (given !== undefined) {
    const batch = dims !== null && typeof dims[0] === 'number' ? dims[0] : 1;
    return [batch, ...given];
  }
  if (dims === null || dims.length !== 4) return `the input is ${dimsText(dims)}, not a 4-D ${model.layout} image batch`;
  const [n, c, h, w] = model.layout === 'NCHW' ? dims : [dims[0], dims[3], dims[1], dims[2]];
  if (typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number')
    return `the input ${dimsText(dims)} has symbolic or unknown sizes; give them with --input HxWxC`;
  return [typeof n === 'number' ? n : 1, h, w, c];
}

const shape = (s: readonly number[]): string => (s.length > 1 ? s.slice(1) : s).join('x');

function table(report: CostReport, color: boolean): string {
  type Row = LayerCost | (CostReport['totals'] & { label: string });
  const columns: Column<Row>[] = [
    { header: 'node', value: (r) => ('label' in r ? r.label : r.name === '' ? '(model)' : r.name) },
    { header: 'kind', value: (r) => ('kind' in r ? r.kind : '') },
    { header: 'output', value: (r) => ('outputShape' in r ? shape(r.outputShape) : shape(report.output)), align: 'right' },
    { header: 'params', value: (r) => r.params },
    { header: 'MACs (M)', value: (r) => r.macs, format: (n) => (n === 0 ? '0' : (n / 1e6).toFixed(3)) },
    { header: 'bytes', value: (r) => r.bytes, format: formatBytes },
  ];
  return renderTable(columns, report.layers, { color, footer: [{ ...report.totals, label: 'total' }] });
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'what an ONNX or TF.js model holds (inputs, outputs, ops) and its cost per node',
  description: 'Imports an ONNX file, or a TF.js model.json (layers or graph model, weight shards next to it), as sepconv ' +
    'would run it and prints what the file says about itself (producer and opset, or TF.js format and converter), its ' +
    'inputs and outputs (in the file\'s layout: NCHW for ONNX, NHWC for TF.js), the ops or layers it uses, and the cost ' +
    'analysis per node or layer (parameters, multiply-adds, bytes; see sepconv cost). Files that sepconv cannot import ' +
    'fail with the list of unsupported nodes or layers.',
  positionals: [{ name: 'model', description: 'an .onnx file or a TF.js model.json', required: true }],
  options: {
    input: { type: 'string', valueName: 'HxWxC', description: "input height x width x channels, for files whose input sizes are symbolic (default: the file's)" },
    json: { type: 'boolean', description: 'print one JSON object {file, producer, opset (or format, generatedBy, convertedBy), inputs, outputs, ops, cost}' },
  },
  examples: ['inspect mobilenet_v2.onnx', 'inspect model.onnx --input 224x224x3 --json', 'inspect web_model/model.json'],
  run(ctx) {
    const path = ctx.positionals[0]!;
    const inputText = ctx.string('input');
    const given = inputText === undefined ? undefined : parseShape(inputText, 'input');
    const model = loadModelFile(path);
    const shapeOrWhy = analysisShape(model, given);
    if (typeof shapeOrWhy === 'string' && given !== undefined) throw new UsageError(`--input cannot be used: ${shapeOrWhy}`);
    const report = typeof shapeOrWhy === 'string' ? null : analyse(model.module, shapeOrWhy);
    const ops = opHistogram(model);
    if (ctx.flag('json')) {
      const out = {
        file: path, ...model.about, inputs: model.inputs, outputs: model.outputs,
        [model.unit]: model.opTypes.length, ops: Object.fromEntries(ops),
        cost: report === null ? null : { input: report.input, output: report.output, layers: report.layers, totals: report.totals },
      };
      ctx.io.stdout.write(JSON.stringify(out, null, 2) + '\n');
      return;
    }
    const pairs: [string, string][] = [
      ...Object.entries(model.about).map(([k, v]): [string, string] => [k, v === '' ? '(not recorded)' : String(v)]),
      ...model.inputs.map((i): [string, string] => [`input ${i.name}`, dimsText(i.dims)]),
      ...model.outputs.map((o): [string, string] => [`output ${o.name}`, dimsText(o.dims)]),
      [model.unit, `${model.opTypes.length}: ${ops.map(([op, n]) => `${op} x${n}`).join(', ')}`],
    ];
    ctx.io.stdout.write(`${path}\n${renderKeyValues(pairs, ctx.color)}\n`);
    if (report === null) {
      ctx.io.stdout.write(`\nno cost analysis: ${shapeOrWhy as string}\n`);
      return;
    }
    const t = report.totals;
    ctx.io.stdout.write(`\ncost for input ${report.input.join('x')} (NHWC), per batch, fp32 bytes\n\n${table(report, ctx.color)}\n` +
      renderKeyValues([
        ['params', `${formatCount(t.params)} (${formatScaled(t.params)})`],
        ['MACs', `${formatCount(t.macs)} (${formatScaled(t.macs)})`],
        ['bytes', formatBytes(t.bytes)],
      ], ctx.color));
  },
};
