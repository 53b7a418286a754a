/**
 * Closed-form costs of one standard convolution against its depthwise-separable replacement (a K×K depthwise conv
 * that does the striding, then a 1×1 pointwise conv on the strided output), the comparison the MobileNet paper
 * makes in its section 3.1. Counting conventions are those of analyse.ts (see its TSDoc and docs/cost.md):
 * MACs exclude the bias; `params` excludes it and `paramsWithBias` includes it; bytes are fp32 and count the input
 * activations and weights read (no bias, as in MobileNets where batch norm follows every conv) and the output written.
 */
import { ArgumentError } from '../errors.js';
import { resolvePadding, windowOutput } from '../ops/padding.js';

const BYTES_PER_VALUE = 4;

export interface CompareConvOptions {
  /** Square kernel size K. */
  k: number;
  cin: number;
  cout: number;
  /** Input height and width. */
  h: number;
  w: number;
  stride?: number;
  /** 'same' (default): output = ceil(input / stride); 'valid'; or symmetric zero padding on every side. */
  padding?: 'same' | 'valid' | number;
}

/** The cost of one layer (or, for `separable`, the depthwise and pointwise layers together). */
export interface LayerCount {
  /** Weights only. */
  params: number;
  /** Weights plus one bias per output channel of each conv. */
  paramsWithBias: number;
  /** Multiply-adds for one image, bias excluded. */
  macs: number;
  /** 2 × MACs. */
  flops: number;
  /** fp32 input activations + weights read. */
  bytesRead: number;
  /** fp32 output activations written. */
  bytesWritten: number;
  bytes: number;
  /** [H, W, C] of the output. */
  outputShape: [number, number, number];
}

export interface ConvComparison {
  options: Required<CompareConvOptions>;
  outH: number;
  outW: number;
  standard: LayerCount;
  depthwise: LayerCount;
  pointwise: LayerCount;
  /** depthwise + pointwise; the intermediate activation is counted as written once and read once. */
  separable: LayerCount;
  /** separable / standard, computed from the counts, and the paper's closed form 1/C_out + 1/K². */
  ratio: { macs: number; params: number; paramsWithBias: number; bytes: number; formula: number };
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new ArgumentError(`compareConv: ${name} must be a positive integer, got ${value}`);
}

function layer(params: number, biases: number, macs: number, inputValues: number, outputShape: [number, number, number]): LayerCount {
  const bytesRead = BYTES_PER_VALUE * (inputValues + params);
  const bytesWritten = BYTES_PER_VALUE * outputShape[0] * outputShape[1] * outputShape[2];
  return { params, paramsWithBias: params + biases, macs, flops: 2 * macs, bytesRead, bytesWritten, bytes: bytesRead + bytesWritten, outputShape };
}

/**
 * Standard K×K conv C_in -> C_out versus depthwise K×K (stride s) + pointwise 1×1, for one H×W×C_in image.
 *
 * standard MACs = K²·C_in·C_out·OH·OW; depthwise = K²·C_in·OH·OW; pointwise = C_in·C_out·OH·OW. Because the
 * depthwise conv strides, both paths produce OH×OW and the MAC ratio is exactly 1/C_out + 1/K² at any stride and
 * padding; the weight ratio (bias excluded) is the same expression, while bytes and biased weights differ.
 */
export function compareConv(options: CompareConvOptions): ConvComparison {
  const opts: Required<CompareConvOptions> = { stride: 1, padding: 'same', ...options };
  const { k, cin, cout, h, w, stride, padding } = opts;
  for (const [name, value] of Object.entries({ k, cin, cout, h, w, stride })) positiveInteger(name, value);
  if (padding !== 'same' && padding !== 'valid' && !(Number.isInteger(padding) && padding >= 0))
    throw new ArgumentError(`compareConv: padding must be 'same', 'valid' or a non-negative integer, got ${JSON.stringify(padding)}`);
  const pads = resolvePadding(padding, h, w, k, k, stride, stride, 1, 1, 'compareConv');
  const outH = windowOutput(h, pads.top, pads.bottom, k, stride, 1, 'compareConv', 'height');
  const outW = windowOutput(w, pads.left, pads.right, k, stride, 1, 'compareConv', 'width');
  const positions = outH * outW;
  const inputValues = h * w * cin;

  const standard = layer(k * k * cin * cout, cout, k * k * cin * cout * positions, inputValues, [outH, outW, cout]);
  const depthwise = layer(k * k * cin, cin, k * k * cin * positions, inputValues, [outH, outW, cin]);
  const pointwise = layer(cin * cout, cout, cin * cout * positions, positions * cin, [outH, outW, cout]);
  const separable: LayerCount = {
    params: depthwise.params + pointwise.params,
    paramsWithBias: depthwise.paramsWithBias + pointwise.paramsWithBias,
    macs: depthwise.macs + pointwise.macs,
    flops: depthwise.flops + pointwise.flops,
    bytesRead: depthwise.bytesRead + pointwise.bytesRead,
    bytesWritten: depthwise.bytesWritten + pointwise.bytesWritten,
    bytes: depthwise.bytes + pointwise.bytes,
    outputShape: [outH, outW, cout],
  };
  return {
    options: opts,
    outH,
    outW,
    standard,
    depthwise,
    pointwise,
    separable,
    ratio: {
      macs: separable.macs / standard.macs,
      params: separable.params / standard.params,
      paramsWithBias: separable.paramsWithBias / standard.paramsWithBias,
      bytes: separable.bytes / standard.bytes,
      formula: 1 / cout + 1 / (k * k),
    },
  };
}
