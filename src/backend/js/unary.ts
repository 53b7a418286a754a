/**
 * Reference element-wise activations and their derivatives (as functions of the input x).
 *
 * Derivatives at kinks follow PyTorch, so that gradients match it bit for bit in spirit:
 * relu'(0) = 0; relu6' is 1 only on the open interval (0, 6); hardSigmoid' is 1/6 only on (-3, 3);
 * hardSwish' is 0 for x < -3, x/3 + 1/2 on [-3, 3] and 1 for x > 3; leakyRelu'(0) = alpha (1 only for x > 0).
 */
import type { Kernels, UnaryKind } from '../kernels.js';

type Scalar = (x: number, alpha: number) => number;

/** Logistic function without overflow: exp is only ever taken of a non-positive number. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const relu6 = (x: number): number => Math.min(Math.max(x, 0), 6);

const forward: Record<UnaryKind, Scalar> = {
  relu: (x) => (x > 0 ? x : 0),
  relu6,
  hardSigmoid: (x) => relu6(x + 3) / 6,
  hardSwish: (x) => (x * relu6(x + 3)) / 6,
  sigmoid,
  swish: (x) => x * sigmoid(x),
  tanh: (x) => Math.tanh(x),
  leakyRelu: (x, alpha) => (x > 0 ? x : alpha * x),
};

const derivative: Record<UnaryKind, Scalar> = {
  relu: (x) => (x > 0 ? 1 : 0),
  relu6: (x) => (x > 0 && x < 6 ? 1 : 0),
  hardSigmoid: (x) => (x > -3 && x < 3 ? 1 / 6 : 0),
  hardSwish: (x) => (x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1),
  sigmoid: (x) => {
    const s = sigmoid(x);
    return s * (1 - s);
  },
  // d/dx x*s(x) = s + x*s*(1-s)
  swish: (x) => {
    const s = sigmoid(x);
    return s * (1 + x * (1 - s));
  },
  tanh: (x) => {
    const t = Math.tanh(x);
    return 1 - t * t;
  },
  leakyRelu: (x, alpha) => (x > 0 ? 1 : alpha),
};

export const unaryKernels: Pick<Kernels, 'unary' | 'unaryBackward'> = {
  unary(kind, x, alpha) {
    const f = forward[kind];
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = f(x[i], alpha);
    return y;
  },
  unaryBackward(kind, x, dy, alpha) {
    const df = derivative[kind];
    const dx = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) dx[i] = dy[i] * df(x[i], alpha);
    return dx;
  },
};
