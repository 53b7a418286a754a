/**
 * A small MobileNetV2-style TF.js graph model for the web page tests, written as tfjs-converter writes a SavedModel
 * (see test/io/tfjs/graph_builder.ts) and split into several weight shards the way large models are.
 */
import { A, convAttrs, GraphBuilder } from '../io/tfjs/graph_builder.js';
import { shard, type SavedModel } from '../io/tfjs/tfjs_fixtures.js';

/** The attributes of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul for `ops` (BiasAdd, then an activation). */
const fused = (...ops: string[]) => ({ fused_ops: A.strs(ops), num_args: A.i(1), epsilon: A.f(0) });

/**
 * Input [-1, height, width, 3]: a stride-2 fused conv (BiasAdd, Relu6), a fused depthwise conv, a pointwise Conv2D
 * with BiasAdd and Relu6, Mean over H and W, a fused MatMul to `classes` and Softmax, in weight shards of at most
 * `shardBytes`.
 */
export function mobilenetGraphModel(o: { height: number; width: number; classes: number; shardBytes: number }): SavedModel {
  const g = new GraphBuilder(1);
  const p = 'MobilenetV2';
  const input = g.placeholder('input', [-1, o.height, o.width, 3]);
  const stem = g.n(`${p}/Conv/Conv2D`, '_FusedConv2D', [input, g.c(`${p}/Conv/filter`, [3, 3, 3, 8]), g.c(`${p}/Conv/bias`, [8])],
    { ...convAttrs(2, 'SAME'), ...fused('BiasAdd', 'Relu6') });
  const dw = g.n(`${p}/expanded_conv/depthwise`, 'FusedDepthwiseConv2dNative',
    [stem, g.c(`${p}/expanded_conv/depthwise/filter`, [3, 3, 8, 1]), g.c(`${p}/expanded_conv/depthwise/bias`, [8])],
    { ...convAttrs(1, 'SAME'), ...fused('BiasAdd', 'Relu6') });
  const pw = g.n(`${p}/expanded_conv/project/Conv2D`, 'Conv2D', [dw, g.c(`${p}/expanded_conv/project/filter`, [1, 1, 8, 16])], convAttrs(1, 'VALID'));
  const bias = g.n(`${p}/expanded_conv/project/BiasAdd`, 'BiasAdd', [pw, g.c(`${p}/expanded_conv/project/bias`, [16])], { data_format: A.s('NHWC') });
  const relu = g.n(`${p}/expanded_conv/project/Relu6`, 'Relu6', [bias]);
  const mean = g.n(`${p}/Logits/AvgPool`, 'Mean', [relu, g.c(`${p}/Logits/axes`, [2], [1, 2], 'int32')], { keep_dims: A.b(false), Tidx: A.int });
  const logits = g.n(`${p}/Logits/MatMul`, '_FusedMatMul', [mean, g.c(`${p}/Logits/weights`, [16, o.classes]), g.c(`${p}/Logits/bias`, [o.classes])],
    { transpose_a: A.b(false), transpose_b: A.b(false), ...fused('BiasAdd') });
  g.n('Identity', 'Identity', [g.n(`${p}/Predictions/Softmax`, 'Softmax', [logits])]);
  const saved = g.files();
  const weights = shard(saved.artifacts.weightData as ArrayBuffer, o.shardBytes);
  const manifest = saved.json['weightsManifest'] as { paths: string[] }[];
  manifest[0].paths = [...weights.keys()];
  return { ...saved, weights };
}
