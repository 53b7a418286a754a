/** Fully connected layers and plain matrix products (both run the backend's matmul kernel). */
import { ShapeError } from '../errors.js';
import { shapeToString, type Tensor } from '../tensor/tensor.js';
import { checkBias, gemmOp } from './gemm.js';

/**
 * y [N, out] = x [N, in] · w [in, out] + bias [out]. The weight is stored [in, out] (the transpose of PyTorch's
 * `nn.Linear.weight`, like Keras' `Dense` kernel). Records 'linear' with attrs {m: N, k: in, n: out}.
 */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null = null): Tensor {
  if (x.rank !== 2)
    throw new ShapeError(`linear: input must be 2-D [N, in_features], got shape ${shapeToString(x.shape)}; ` +
      'flatten NHWC activations first (e.g. ops.flatten or globalAvgPool2d)');
  if (w.rank !== 2)
    throw new ShapeError(`linear: weight must be 2-D [in_features, out_features], got shape ${shapeToString(w.shape)}`);
  const [batch, inFeatures] = x.shape;
  const [wIn, outFeatures] = w.shape;
  if (inFeatures !== wIn)
    throw new ShapeError(`linear: input ${shapeToString(x.shape)} has ${inFeatures} features but the weight ` +
      `${shapeToString(w.shape)} expects ${wIn}; the weight must be [in_features, out_features] = [${inFeatures}, ${outFeatures}]`);
  checkBias('linear', bias, outFeatures, 'output features');
  return gemmOp('linear', x, w, bias, batch, inFeatures, outFeatures, [batch, outFeatures]);
}

/** c [M, N] = a [M, K] · b [K, N]. Records 'matmul' with attrs {m, k, n}. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2)
    throw new ShapeError(`matmul: both operands must be 2-D matrices, got ${shapeToString(a.shape)} and ${shapeToString(b.shape)}`);
  const [m, k] = a.shape;
  const [kb, n] = b.shape;
  if (k !== kb)
    throw new ShapeError(`matmul: inner dimensions differ: ${shapeToString(a.shape)} · ${shapeToString(b.shape)} ` +
      `(a has ${k} columns, b has ${kb} rows); they must be equal`);
  return gemmOp('matmul', a, b, null, m, k, n, [m, n]);
}
