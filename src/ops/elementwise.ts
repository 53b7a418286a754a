/** Element-wise arithmetic with broadcasting, and scalar variants. */
import { record } from '../tensor/autograd.js';
import { Tensor, shapeSize } from '../tensor/tensor.js';
import { broadcastIndex, broadcastShapes, isChannelGate, reduceToShape } from './broadcast.js';

type BinaryFn = (a: number, b: number) => number;

interface BinaryResult {
  out: Tensor;
  /** The operands' data, captured now so that backward works even if an input is disposed meanwhile. */
  ad: Float32Array;
  bd: Float32Array;
  ia: Int32Array | null;
  ib: Int32Array | null;
}

function binary(op: string, a: Tensor, b: Tensor, f: BinaryFn): BinaryResult {
  const shape = broadcastShapes(a.shape, b.shape, op);
  const n = shapeSize(shape);
  const y = new Float32Array(n);
  const ad = a.data;
  const bd = b.data;
  const ia = a.size === n ? null : broadcastIndex(a.shape, shape);
  const ib = b.size === n ? null : broadcastIndex(b.shape, shape);
  for (let k = 0; k < n; k++) y[k] = f(ad[ia === null ? k : ia[k]], bd[ib === null ? k : ib[k]]);
  return { out: new Tensor(y, shape), ad, bd, ia, ib };
}

function gather(data: Float32Array, idx: Int32Array | null, n: number): Float32Array {
  if (idx === null) return data;
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = data[idx[k]];
  return out;
}

/** a + b, broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  const { out } = binary('add', a, b, (x, y) => x + y);
  return record(out, 'add', [a, b], (g) => [reduceToShape(g, out.shape, a.shape), reduceToShape(g, out.shape, b.shape)]);
}

/** a - b, broadcasting. */
export function sub(a: Tensor, b: Tensor): Tensor {
  const { out } = binary('sub', a, b, (x, y) => x - y);
  return record(out, 'sub', [a, b], (g) => {
    const nb = new Float32Array(g.length);
    for (let k = 0; k < g.length; k++) nb[k] = -g[k];
    return [reduceToShape(g, out.shape, a.shape), reduceToShape(nb, out.shape, b.shape)];
  });
}

/** One operand's gradient at one element, from the output gradient and both operands' values there. */
type OperandGrad = (g: number, a: number, b: number) => number;

/**
 * A broadcasting binary op whose gradients depend on the operands' values (unlike add and sub): the operands are
 * broadcast to the output's shape, `gradA` and `gradB` applied per element, and each sum reduced back to its shape.
 */
function binaryWithOperandGrads(op: string, a: Tensor, b: Tensor, f: BinaryFn, gradA: OperandGrad, gradB: OperandGrad): Tensor {
  const { out, ad, bd, ia, ib } = binary(op, a, b, f);
  return record(out, op, [a, b], (g) => {
    const n = g.length;
    const av = gather(ad, ia, n);
    const bv = gather(bd, ib, n);
    const ga = new Float32Array(n);
    const gb = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      ga[k] = gradA(g[k], av[k], bv[k]);
      gb[k] = gradB(g[k], av[k], bv[k]);
    }
    return [reduceToShape(ga, out.shape, a.shape), reduceToShape(gb, out.shape, b.shape)];
  });
}

/** a * b, broadcasting (e.g. x [N,H,W,C] * gate [N,1,1,C] in squeeze-and-excitation). */
export function mul(a: Tensor, b: Tensor): Tensor {
  if (isChannelGate(a.shape, b.shape)) return gateChannels(a, b, false);
  if (isChannelGate(b.shape, a.shape)) return gateChannels(b, a, true);
  return binaryWithOperandGrads('mul', a, b, (x, y) => x * y, (g, _x, y) => g * y, (g, x) => g * x);
}

/**
 * mul's squeeze-and-excitation case, x [N, H, W, C] * gate [N, 1, 1, C], in plain loops: the general broadcast
 * path's per-element index maps and closures made SE units cost more than the convolutions around them in training.
 * `swapped` keeps the caller's operand order (gate * x) in the recorded op and its gradients.
 */
function gateChannels(x: Tensor, gate: Tensor, swapped: boolean): Tensor {
  const [batch, h, w, c] = x.shape;
  const plane = h * w * c;
  const xd = x.data;
  const gd = gate.data;
  const y = new Float32Array(x.size);
  for (let n = 0; n < batch; n++)
    for (let p = n * plane, end = p + plane; p < end; p += c)
      for (let k = 0; k < c; k++) y[p + k] = xd[p + k] * gd[n * c + k];
  const out = new Tensor(y, x.shape);
  return record(out, 'mul', swapped ? [gate, x] : [x, gate], (g) => {
    const gx = new Float32Array(x.size);
    const gg = new Float32Array(gate.size);
    for (let n = 0; n < batch; n++)
      for (let p = n * plane, end = p + plane; p < end; p += c)
        for (let k = 0; k < c; k++) {
          gx[p + k] = g[p + k] * gd[n * c + k];
          gg[n * c + k] += g[p + k] * xd[p + k];
        }
    return swapped ? [gg, gx] : [gx, gg];
  });
}

/** a / b, broadcasting. */
export function div(a: Tensor, b: Tensor): Tensor {
  return binaryWithOperandGrads('div', a, b, (x, y) => x / y, (g, _x, y) => g / y, (g, x, y) => (-g * x) / (y * y));
}

/** x * s + t for scalars s and t. */
export function affineScalar(x: Tensor, s: number, t = 0): Tensor {
  const xd = x.data;
  const y = new Float32Array(x.size);
  for (let k = 0; k < y.length; k++) y[k] = xd[k] * s + t;
  return record(new Tensor(y, x.shape), 'affineScalar', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let k = 0; k < g.length; k++) gx[k] = g[k] * s;
    return [gx];
  }, { s, t });
}

export function mulScalar(x: Tensor, s: number): Tensor {
  return affineScalar(x, s, 0);
}

export function addScalar(x: Tensor, t: number): Tensor {
  return affineScalar(x, 1, t);
}

export function neg(x: Tensor): Tensor {
  return affineScalar(x, -1, 0);
}

/** x * x, element-wise. */
export function square(x: Tensor): Tensor {
  const xd = x.data;
  const y = new Float32Array(x.size);
  for (let k = 0; k < y.length; k++) y[k] = xd[k] * xd[k];
  return record(new Tensor(y, x.shape), 'square', [x], (g) => {
    const gx = new Float32Array(g.length);
    for (let k = 0; k < g.length; k++) gx[k] = 2 * xd[k] * g[k];
    return [gx];
  });
}
