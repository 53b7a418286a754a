/**
 * Explainer: one standard convolution against its depthwise-separable replacement. The visitor sets K, C_in, C_out,
 * H, W and stride; the drawings show what one filter of each kind reads, and the counts come from sepconv's
 * `compareConv` (the cost analyser's closed form), updating as the numbers change.
 */
import { h, messageBox, setChildren, uniqueId } from '../lib/dom.js';
import { errorMessage } from '../lib/errors.js';
import { formatCompact, formatInt } from '../lib/format.js';
import { compareConv, type ConvComparison } from '../lib/sepconv.js';
import { drawFilter, type FilterKind } from './explainer_drawing.js';

interface FieldSpec {
  key: 'k' | 'cin' | 'cout' | 'h' | 'w' | 'stride';
  label: string;
  help: string;
  value: number;
  max: number;
}

const FIELDS: readonly FieldSpec[] = [
  { key: 'k', label: 'Kernel K', help: 'K×K window', value: 3, max: 15 },
  { key: 'cin', label: 'C_in', help: 'input channels', value: 32, max: 4096 },
  { key: 'cout', label: 'C_out', help: 'output channels', value: 64, max: 4096 },
  { key: 'h', label: 'H', help: 'input height', value: 56, max: 2048 },
  { key: 'w', label: 'W', help: 'input width', value: 56, max: 2048 },
  { key: 'stride', label: 'Stride', help: '1 keeps the size', value: 1, max: 8 },
];

type Values = Record<FieldSpec['key'], number>;

function stat(label: string, value: string, sub: string, testId: string, exact: number): HTMLElement {
  return h('div', { class: 'stat' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', 'data-testid': testId, 'data-value': exact }, value),
    h('div', { class: 'sub' }, sub));
}

function panel(kind: FilterKind, title: string, c: ConvComparison): HTMLElement {
  const layer = c[kind];
  const { k, cin, cout, h: H, w: W } = c.options;
  return h('div', { class: 'card drawing', 'data-kind': kind },
    h('h3', {}, h('span', { class: `swatch sw-${kind}`, 'aria-hidden': 'true' }), title),
    drawFilter({ kind, k, cin, cout, h: H, w: W, outH: c.outH, outW: c.outW }),
    h('dl', { class: 'numbers' },
      h('dt', {}, 'multiply-adds'), h('dd', { 'data-testid': `${kind}-macs`, 'data-value': layer.macs }, formatInt(layer.macs)),
      h('dt', {}, 'weights'), h('dd', { 'data-testid': `${kind}-params`, 'data-value': layer.params }, formatInt(layer.params)),
      h('dt', {}, 'with bias'), h('dd', { 'data-testid': `${kind}-params-bias`, 'data-value': layer.paramsWithBias }, formatInt(layer.paramsWithBias)),
      h('dt', {}, 'output'), h('dd', {}, layer.outputShape.join('×'))));
}

function comparisonBars(c: ConvComparison): HTMLElement {
  const row = (name: string, what: 'macs' | 'params') => {
    const std = c.standard[what];
    const dw = c.depthwise[what] / std;
    const pw = c.pointwise[what] / std;
    return h('div', { class: 'bar-row', style: 'grid-template-columns: 80px minmax(0,1fr) 56px' },
      h('span', { class: 'name' }, name),
      h('div', { class: 'bar-track', style: 'height: 18px', role: 'img', 'aria-label': `${name}: separable is ${(100 * (dw + pw)).toFixed(1)}% of standard` },
        h('div', { style: `display:flex;height:100%;width:100%` },
          h('div', { style: `width:${(100 * dw).toFixed(2)}%;background:var(--depthwise)` }),
          h('div', { style: `width:${(100 * pw).toFixed(2)}%;background:var(--pointwise)` }))),
      h('span', { class: 'pct' }, `${(100 * (dw + pw)).toFixed(1)}%`));
  };
  return h('div', { class: 'bars' }, h('div', { class: 'hint', style: 'margin:0' }, 'Separable cost as a share of the standard layer (full bar = standard):'),
    row('MACs', 'macs'), row('Weights', 'params'));
}

function summary(c: ConvComparison): HTMLElement {
  const { k, cout } = c.options;
  const r = c.ratio;
  return h('div', { class: 'card' },
    h('h3', {}, 'Standard versus depthwise + pointwise'),
    h('div', { class: 'stats' },
      stat('Standard MACs', formatCompact(c.standard.macs), `${formatInt(c.standard.params)} weights`, 'standard-macs-total', c.standard.macs),
      stat('Separable MACs', formatCompact(c.separable.macs), `${formatInt(c.separable.params)} weights (dw + pw)`, 'separable-macs', c.separable.macs),
      h('div', { class: 'stat big' },
        h('div', { class: 'label' }, 'Saving'),
        h('div', { class: 'value', 'data-testid': 'speedup', 'data-value': 1 / r.macs }, `${(1 / r.macs).toFixed(1)}× fewer`),
        h('div', { class: 'sub' }, 'multiply-adds and weights'))),
    h('p', { class: 'formula' },
      'separable / standard = 1/C_out + 1/K² = ',
      `1/${cout} + 1/${k * k} = `,
      h('span', { class: 'big', 'data-testid': 'ratio-formula', 'data-value': r.formula }, r.formula.toFixed(4)),
      h('br'),
      h('small', {}, 'counted: MACs ratio ', h('b', { 'data-testid': 'ratio-macs', 'data-value': r.macs }, r.macs.toFixed(4)),
        ', weights ratio ', h('b', { 'data-testid': 'ratio-params', 'data-value': r.params }, r.params.toFixed(4)),
        ` (the depthwise conv strides, so both paths make ${c.outH}×${c.outW}×${cout}).`)),
    comparisonBars(c),
    h('div', { class: 'legend' },
      h('span', {}, h('span', { class: 'swatch sw-depthwise' }), 'depthwise share'),
      h('span', {}, h('span', { class: 'swatch sw-pointwise' }), 'pointwise share')));
}

export function mountExplainer(section: HTMLElement): void {
  const inputs = new Map<FieldSpec['key'], HTMLInputElement>();
  const fields = FIELDS.map((f) => {
    const id = uniqueId(`ex-${f.key}`);
    const input = h('input', { id, type: 'number', min: 1, max: f.max, step: 1, value: f.value, inputmode: 'numeric', 'aria-describedby': `${id}-help`, 'data-testid': `input-${f.key}` });
    inputs.set(f.key, input);
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), input, h('small', { id: `${id}-help` }, f.help));
  });
  const results = h('div', { 'aria-live': 'polite' });
  section.append(
    h('h2', { id: 'h-explainer' }, 'Why separable convolutions are cheap'),
    h('p', { class: 'lead' },
      'A standard convolution mixes space and channels in one step: each of its C_out filters reads a K×K window across all ' +
      'C_in channels. MobileNet splits that into a depthwise convolution (one K×K filter per channel, space only) and a ' +
      '1×1 pointwise convolution (channels only). Change the layer and watch the cost.'),
    h('div', { class: 'card' }, h('h3', {}, 'The layer'), h('div', { class: 'controls' }, fields)),
    results);

  const read = (): Values | string => {
    const values = {} as Values;
    for (const f of FIELDS) {
      const input = inputs.get(f.key)!;
      const v = Number(input.value);
      const ok = input.value.trim() !== '' && Number.isInteger(v) && v >= 1 && v <= f.max;
      input.setAttribute('aria-invalid', String(!ok));
      if (!ok) return `${f.label} must be a whole number from 1 to ${f.max} (got '${input.value}')`;
      values[f.key] = v;
    }
    return values;
  };

  const update = (): void => {
    const values = read();
    if (typeof values === 'string') {
      setChildren(results, messageBox(values));
      return;
    }
    let c: ConvComparison;
    try {
      c = compareConv({ ...values, padding: 'same' });
    } catch (err) {
      setChildren(results, messageBox(errorMessage(err)));
      return;
    }
    setChildren(results,
      summary(c),
      h('div', { class: 'grid three' },
        panel('standard', `Standard ${c.options.k}×${c.options.k}`, c),
        panel('depthwise', `Depthwise ${c.options.k}×${c.options.k}`, c),
        panel('pointwise', 'Pointwise 1×1', c)),
      h('p', { class: 'hint' }, `Counts from sepconv's compareConv, 'same' padding (output ${c.outH}×${c.outW}), one image, bias excluded from MACs. ` +
        'Drawings are schematic: channel depth is on a log scale.'));
  };
  for (const input of inputs.values()) input.addEventListener('input', update);
  update();
}
