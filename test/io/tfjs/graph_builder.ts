/**
 * Writes TF.js graph models as tfjs-converter does (GraphDef nodes with AttrValue JSON, Const values in the weights
 * manifest), for the graph-model import, fuzz and web page tests.
 */
import { graphModelFiles, randomValues, type Quantization, type SavedModel } from './tfjs_fixtures.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** AttrValue JSON as tfjs-converter writes it. */
export const A = {
  s: (v: string) => ({ s: b64(v) }),
  i: (v: number) => ({ i: String(v) }),
  f: (v: number) => ({ f: v }),
  b: (v: boolean) => ({ b: v }),
  ints: (v: number[]) => ({ list: { i: v.map(String) } }),
  strs: (v: string[]) => ({ list: { s: v.map(b64) } }),
  float: { type: 'DT_FLOAT' },
  int: { type: 'DT_INT32' },
  shape: (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

/** The attributes of an NHWC Conv2D / DepthwiseConv2dNative (and their fused forms) with square strides. */
export const convAttrs = (strides: number, padding: string) => ({
  strides: A.ints([1, strides, strides, 1]), padding: A.s(padding), data_format: A.s('NHWC'), dilations: A.ints([1, 1, 1, 1]),
  explicit_paddings: { list: {} },
});

interface ConstSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: number[];
}

/** Builds nodes and consts together: `c()` adds a Const node with its value, `n()` an op node. */
export class GraphBuilder {
  readonly nodes: object[] = [];
  readonly consts: ConstSpec[] = [];
  private seed: number;

  /** Random consts are seeded `firstSeed`, `firstSeed + 1`, ... in the order they are added. */
  constructor(firstSeed = 100) {
    this.seed = firstSeed;
  }

  placeholder(name: string, dims: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: A.float, shape: A.shape(dims) } });
    return name;
  }

  /** A Const node: `values`, or seeded uniform values in [-scale, scale]. */
  c(name: string, shape: number[], values?: number[], dtype: 'float32' | 'int32' = 'float32', scale = 0.5): string {
    const size = shape.reduce((p, d) => p * d, 1);
    this.consts.push({ name, shape, dtype, values: values ?? randomValues(size, this.seed++, scale) });
    this.nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32', tensorShape: A.shape(shape).shape } }, dtype: dtype === 'float32' ? A.float : A.int } });
    return name;
  }

  n(name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: A.float, ...attr }, device: '/device:CPU:0' });
    return name;
  }

  files(o: { quantize?: Quantization; signature?: object } = {}): SavedModel {
    const saved = graphModelFiles(this.nodes, this.consts, o);
    if (o.signature !== undefined) {
      saved.json['signature'] = o.signature;
      saved.artifacts.signature = o.signature;
    }
    return saved;
  }
}
