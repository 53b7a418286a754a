/**
 * Element-wise ops that ONNX graphs need and src/ops lacks: clip with any bounds (relu and relu6 cover the common
 * ones) and HardSigmoid with any slope and offset (ops.hardSigmoid is the PyTorch one, alpha 1/6 and beta 1/2).
 * Both record their parameters, so an imported model that uses them exports again.
 */
import { record } from '../../tensor/autograd.js';
import { Tensor } from '../../tensor/tensor.js';

/** min(max(x, lo), hi) element-wise. The gradient passes where lo <= x <= hi (PyTorch's clamp convention). */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  const xd = x.data;
  const y = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) y[i] = Math.min(Math.max(xd[i], lo), hi);
  return record(new Tensor(y, x.shape), 'clip', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = xd[i] >= lo && xd[i] <= hi ? g[i] : 0;
    return [gx];
  }, { min: lo, max: hi });
}

/** ONNX HardSigmoid: max(0, min(1, alpha x + beta)). The gradient is alpha inside the linear piece. */
export function hardSigmoidAffine(x: Tensor, alpha: number, beta: number): Tensor {
  const xd = x.data;
  const y = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) y[i] = Math.min(Math.max(alpha * xd[i] + beta, 0), 1);
  return record(new Tensor(y, x.shape), 'hardSigmoidAffine', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) {
      const v = alpha * xd[i] + beta;
      gx[i] = v > 0 && v < 1 ? alpha * g[i] : 0;
    }
    return [gx];
  }, { alpha, beta });
}
