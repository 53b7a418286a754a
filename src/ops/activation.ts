/**
 * Activations. All but prelu run on the backend's `unary` / `unaryBackward` kernels. Gradients at kinks follow
 * PyTorch: relu'(0) = 0, relu6' and hardSigmoid' are 0 at the ends of their linear pieces, hardSwish'(-3) = -1/2 and
 * hardSwish'(3) = 3/2, leakyRelu'(0) = prelu'(0) = slope.
 */
import { ArgumentError, ShapeError } from '../errors.js';
import type { UnaryKind } from '../backend/kernels.js';
import { kernel } from '../backend/registry.js';
import { record } from '../tensor/autograd.js';
import { Tensor, shapeToString } from '../tensor/tensor.js';

function unaryOp(kind: UnaryKind, x: Tensor, alpha = 0): Tensor {
  const xd = x.data;
  const backward = kernel('unaryBackward');
  const out = new Tensor(kernel('unary')(kind, xd, alpha), x.shape);
  return record(out, kind, [x], (g) => [backward(kind, xd, g, alpha)], kind === 'leakyRelu' ? { alpha } : undefined);
}

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return unaryOp('relu', x);
}

/** min(max(x, 0), 6) (MobileNet V1/V2). */
export function relu6(x: Tensor): Tensor {
  return unaryOp('relu6', x);
}

/** relu6(x + 3) / 6 (PyTorch / MobileNetV3 convention, not Keras' old 0.2x + 0.5). */
export function hardSigmoid(x: Tensor): Tensor {
  return unaryOp('hardSigmoid', x);
}

/** x * hardSigmoid(x) (MobileNetV3). */
export function hardSwish(x: Tensor): Tensor {
  return unaryOp('hardSwish', x);
}

/** 1 / (1 + exp(-x)), computed without overflow for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  return unaryOp('sigmoid', x);
}

/** x * sigmoid(x) (EfficientNet). */
export function swish(x: Tensor): Tensor {
  return unaryOp('swish', x);
}

/** Alias of {@link swish} under PyTorch's name. */
export const silu = swish;

export function tanh(x: Tensor): Tensor {
  return unaryOp('tanh', x);
}

/** x for x > 0, alpha * x otherwise. */
export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha))
    throw new ArgumentError(`leakyRelu: alpha must be a finite number, got ${alpha}`);
  return unaryOp('leakyRelu', x, alpha);
}

/**
 * Parametric ReLU: x for x > 0, slope * x otherwise, with a learnable slope of shape [C] (one per channel, the last
 * axis of x, as NHWC) or [1] (shared). Gradients flow to both x and slope.
 */
export function prelu(x: Tensor, slope: Tensor): Tensor {
  if (x.rank < 1) throw new ShapeError('prelu: x must have at least one axis (channels last), got a scalar');
  const c = x.shape[x.rank - 1];
  if (slope.rank !== 1 || (slope.shape[0] !== c && slope.shape[0] !== 1))
    throw new ShapeError(`prelu: slope has shape ${shapeToString(slope.shape)}, expected [${c}] (one per channel of the last ` +
      `axis of x ${shapeToString(x.shape)}) or [1] (shared)`);
  const xd = x.data;
  const sd = slope.data;
  const shared = sd.length === 1;
  const y = new Float32Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i];
    y[i] = v > 0 ? v : sd[shared ? 0 : i % c] * v;
  }
  return record(new Tensor(y, x.shape), 'prelu', [x, slope], (g) => {
    const gx = new Float32Array(xd.length);
    const gs = new Float64Array(sd.length);
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      const s = shared ? 0 : i % c;
      if (v > 0) gx[i] = g[i];
      else {
        gx[i] = sd[s] * g[i];
        gs[s] += g[i] * v;
      }
    }
    return [gx, Float32Array.from(gs)];
  });
}
