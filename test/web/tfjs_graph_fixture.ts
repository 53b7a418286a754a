/**
 * A small MobileNetV2-style TF.js graph model for the web page tests, written as tfjs-converter writes a SavedModel
 * (GraphDef nodes with AttrValue JSON, Const values in the weights manifest; see test/io/tfjs/graph_model.test.ts)
 * and split into several weight shards the way large models are.
 */
import { graphModelFiles, randomValues, shard, type SavedModel } from '../io/tfjs/tfjs_fixtures.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const strs = (v: string[]) => ({ list: { s: v.map(b64) } });
const shapeAttr = (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } });
const float = { type: 'DT_FLOAT' };
const conv = (stride: number, padding: string) => ({
  strides: ints([1, stride, stride, 1]), padding: { s: b64(padding) }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]),
});
/** The attributes of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul for `ops` (BiasAdd, then an activation). */
const fused = (...ops: string[]) => ({ fused_ops: strs(ops), num_args: { i: '1' }, epsilon: { f: 0 } });

type Const = { name: string; shape: number[]; dtype: 'float32' | 'int32'; values: number[] };

/**
 * Input [-1, height, width, 3]: a stride-2 fused conv (BiasAdd, Relu6), a fused depthwise conv, a pointwise Conv2D
 * with BiasAdd and Relu6, Mean over H and W, a fused MatMul to `classes` and Softmax, in weight shards of at most
 * `shardBytes`.
 */
export function mobilenetGraphModel(o: { height: number; width: number; classes: number; shardBytes: number }): SavedModel {
  const consts: Const[] = [];
  const nodes: object[] = [{ name: 'input', op: 'Placeholder', attr: { dtype: float, shape: shapeAttr([-1, o.height, o.width, 3]) } }];
  /** A Const node: seeded float weights, or the given int32 values. */
  const c = (name: string, shape: number[], intValues?: number[]): string => {
    const dtype = intValues === undefined ? 'float32' : 'int32';
    const tfType = intValues === undefined ? 'DT_FLOAT' : 'DT_INT32';
    consts.push({ name, shape, dtype, values: intValues ?? randomValues(shape.reduce((p, d) => p * d, 1), consts.length + 1, 0.5) });
    nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: tfType, tensorShape: shapeAttr(shape).shape } }, dtype: { type: tfType } } });
    return name;
  };
  const n = (name: string, op: string, input: string[], attr: object = {}): string => {
    nodes.push({ name, op, input, attr: { T: float, ...attr } });
    return name;
  };
  const p = 'MobilenetV2';
  const stem = n(`${p}/Conv/Conv2D`, '_FusedConv2D', ['input', c(`${p}/Conv/filter`, [3, 3, 3, 8]), c(`${p}/Conv/bias`, [8])],
    { ...conv(2, 'SAME'), ...fused('BiasAdd', 'Relu6') });
  const dw = n(`${p}/expanded_conv/depthwise`, 'FusedDepthwiseConv2dNative',
    [stem, c(`${p}/expanded_conv/depthwise/filter`, [3, 3, 8, 1]), c(`${p}/expanded_conv/depthwise/bias`, [8])], { ...conv(1, 'SAME'), ...fused('BiasAdd', 'Relu6') });
  const pw = n(`${p}/expanded_conv/project/Conv2D`, 'Conv2D', [dw, c(`${p}/expanded_conv/project/filter`, [1, 1, 8, 16])], conv(1, 'VALID'));
  const bias = n(`${p}/expanded_conv/project/BiasAdd`, 'BiasAdd', [pw, c(`${p}/expanded_conv/project/bias`, [16])], { data_format: { s: b64('NHWC') } });
  const relu = n(`${p}/expanded_conv/project/Relu6`, 'Relu6', [bias]);
  const mean = n(`${p}/Logits/AvgPool`, 'Mean', [relu, c(`${p}/Logits/axes`, [2], [1, 2])], { keep_dims: { b: false }, Tidx: { type: 'DT_INT32' } });
  const logits = n(`${p}/Logits/MatMul`, '_FusedMatMul', [mean, c(`${p}/Logits/weights`, [16, o.classes]), c(`${p}/Logits/bias`, [o.classes])],
    { transpose_a: { b: false }, transpose_b: { b: false }, ...fused('BiasAdd') });
  n('Identity', 'Identity', [n(`${p}/Predictions/Softmax`, 'Softmax', [logits])]);
  const saved = graphModelFiles(nodes, consts);
  const weights = shard(saved.artifacts.weightData as ArrayBuffer, o.shardBytes);
  const manifest = saved.json['weightsManifest'] as { paths: string[] }[];
  manifest[0].paths = [...weights.keys()];
  return { ...saved, weights };
}
