/**
 * ONNX import and export. `importOnnx(bytes)` gives an nn Module running the graph with sepconv ops (NHWC inside);
 * `exportOnnx(model, inputShape)` writes any sepconv model as an NCHW ONNX file. The builders and the encoder write
 * ONNX files by hand; the decoder reads them into plain objects.
 */
export { importOnnx, OnnxModel, SUPPORTED_ONNX_OPS, MIN_IMPORT_OPSET, type OnnxValueInfo, type OnnxLayout } from './import.js';
export { exportOnnx, type ExportOptions } from './export.js';
export { EXPORTABLE_OPS } from './export_ops.js';
export {
  attr, floatTensor, int64Tensor, node, valueInfo, graph, model, irVersionFor, MIN_OPSET, MAX_OPSET,
  type AttrValue, type GraphSpec,
} from './builder.js';
export { encodeModel, encodeTensor } from './encode.js';
export {
  decodeModel, decodeTensor, tensorToFloat32, tensorToInt64, DataType, AttributeType,
  type ModelProto, type GraphProto, type NodeProto, type TensorProto, type AttributeProto, type ValueInfoProto,
} from './proto.js';
