/**
 * Recognises activations that exporters write out of primitives and replaces each subgraph by one fused node, so an
 * imported model runs (and is costed) as the single op it means:
 * - swish: `x * Sigmoid(x)`;
 * - hard-swish: `x * HardSigmoid(x)` (alpha 1/6), `x * Clip(x + 3, 0, 6) / 6` and its variants (division as a
 *   multiplication by 1/6, the division applied before or after the product).
 * Only subgraphs whose intermediate values nothing else reads are replaced; the rest runs as primitives, which gives
 * the same result.
 */
import { AttributeType, tensorToFloat32, type GraphProto, type NodeProto } from './proto.js';

/** Domain of the fused nodes (not an ONNX domain: they exist only between this pass and the importer). */
export const FUSED_DOMAIN = 'sepconv.fused';

const near = (v: number | undefined, want: number): boolean => v !== undefined && Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));

class Matcher {
  private readonly producer = new Map<string, NodeProto>();
  private readonly consumers = new Map<string, number>();
  private readonly scalars = new Map<string, number>();

  constructor(nodes: readonly NodeProto[], g: GraphProto, private readonly opset: number) {
    for (const n of nodes) {
      for (const o of n.output) this.producer.set(o, n);
      for (const i of n.input) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
      if (n.op_type === 'Constant' && n.domain === '') this.constantNode(n);
    }
    for (const o of g.output) this.consumers.set(o.name, (this.consumers.get(o.name) ?? 0) + 1);
    for (const t of g.initializer) {
      if (t.dims.reduce((a, b) => a * b, 1) !== 1) continue;
      try {
        this.scalars.set(t.name, tensorToFloat32(t)[0]);
      } catch {
        // Not numeric: cannot be one of the constants the patterns look for.
      }
    }
  }

  private constantNode(n: NodeProto): void {
    const a = n.attribute[0];
    if (n.attribute.length !== 1 || n.output.length !== 1) return;
    if (a.name === 'value_float') this.scalars.set(n.output[0], a.f);
    else if (a.name === 'value_int') this.scalars.set(n.output[0], a.i);
    else if (a.name === 'value' && a.type === AttributeType.TENSOR && a.t !== null && a.t.dims.reduce((p, d) => p * d, 1) === 1) {
      try {
        this.scalars.set(n.output[0], tensorToFloat32(a.t)[0]);
      } catch {
        // Not numeric.
      }
    }
  }

  /** The node producing `value` if it is `op` and `value` has no other reader; the nodes to remove collect in `used`. */
  private only(value: string, op: string, used: NodeProto[]): NodeProto | undefined {
    const n = this.producer.get(value);
    if (n === undefined || n.op_type !== op || n.domain !== '' || this.consumers.get(value) !== 1) return undefined;
    used.push(n);
    return n;
  }

  /** For a binary node, the operand other than the scalar constant `c` (either side), if one is. */
  private withScalar(n: NodeProto, c: number): string | undefined {
    if (near(this.scalars.get(n.input[1]), c)) return n.input[0];
    if (near(this.scalars.get(n.input[0]), c) && n.op_type !== 'Div' && n.op_type !== 'Sub') return n.input[1];
    return undefined;
  }

  private clipBounds(n: NodeProto): [number | undefined, number | undefined] {
    if (this.opset < 11) {
      const get = (name: string) => n.attribute.find((a) => a.name === name)?.f;
      return [get('min'), get('max')];
    }
    return [this.scalars.get(n.input[1] ?? ''), this.scalars.get(n.input[2] ?? '')];
  }

  /** x if `value` is relu6(x + 3), i.e. Clip(Add(x, 3), 0, 6). */
  private relu6Plus3(value: string, used: NodeProto[]): string | undefined {
    const clip = this.only(value, 'Clip', used);
    if (clip === undefined) return undefined;
    const [lo, hi] = this.clipBounds(clip);
    if (!near(lo, 0) || !near(hi, 6)) return undefined;
    const plus = this.only(clip.input[0], 'Add', used);
    return plus === undefined ? undefined : this.withScalar(plus, 3);
  }

  /** x if `value` is hardSigmoid(x): HardSigmoid(alpha 1/6, beta 1/2), or relu6(x + 3) divided by 6. */
  private hardSigmoidOf(value: string, used: NodeProto[]): string | undefined {
    const hs = this.only(value, 'HardSigmoid', used);
    if (hs !== undefined) {
      const attr = (name: string, fallback: number) => hs.attribute.find((a) => a.name === name)?.f ?? fallback;
      return near(attr('alpha', 0.2), 1 / 6) && near(attr('beta', 0.5), 0.5) ? hs.input[0] : undefined;
    }
    const scaled = this.divideBy6(value, used);
    return scaled === undefined ? undefined : this.relu6Plus3(scaled, used);
  }

  /** v if `value` is v / 6 or v * (1/6). */
  private divideBy6(value: string, used: NodeProto[]): string | undefined {
    const div = this.only(value, 'Div', used);
    if (div !== undefined) return this.withScalar(div, 6);
    const mul = this.only(value, 'Mul', used);
    return mul === undefined ? undefined : this.withScalar(mul, 1 / 6);
  }

  /** The fused node replacing the subgraph that ends in `n`, and the nodes it replaces. */
  match(n: NodeProto): { fused: NodeProto; replaced: NodeProto[] } | undefined {
    if (n.domain !== '' || n.output.length !== 1) return undefined;
    const make = (op: string, x: string, replaced: NodeProto[]) => ({
      fused: { op_type: op, domain: FUSED_DOMAIN, input: [x], output: [...n.output], name: n.name, attribute: [] },
      replaced,
    });
    if (n.op_type === 'Mul') {
      const [a, b] = n.input;
      for (const [x, other] of [[a, b], [b, a]]) {
        const used: NodeProto[] = [];
        if (this.only(other, 'Sigmoid', used)?.input[0] === x) return make('Swish', x, used);
        const hsUsed: NodeProto[] = [];
        if (this.hardSigmoidOf(other, hsUsed) === x) return make('HardSwish', x, hsUsed);
      }
    }
    // (x * relu6(x + 3)) / 6, with the division written as Div or Mul.
    const used: NodeProto[] = [];
    const product = n.op_type === 'Div' ? this.withScalar(n, 6) : n.op_type === 'Mul' ? this.withScalar(n, 1 / 6) : undefined;
    const mul = product === undefined ? undefined : this.only(product, 'Mul', used);
    if (mul === undefined) return undefined;
    const [a, b] = mul.input;
    for (const [x, other] of [[a, b], [b, a]]) {
      const inner: NodeProto[] = [];
      if (this.relu6Plus3(other, inner) === x) return make('HardSwish', x, [...used, ...inner]);
    }
    return undefined;
  }
}

/** `nodes` (in topological order) with recognised activation subgraphs replaced by fused nodes. */
export function fusePatterns(nodes: readonly NodeProto[], g: GraphProto, opset: number): NodeProto[] {
  const m = new Matcher(nodes, g, opset);
  const removed = new Set<NodeProto>();
  const replacement = new Map<NodeProto, NodeProto>();
  // Last node first, so that the largest pattern (the one ending latest) claims its nodes.
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (removed.has(n)) continue;
    const hit = m.match(n);
    if (hit === undefined || hit.replaced.some((r) => removed.has(r) || replacement.has(r))) continue;
    replacement.set(n, hit.fused);
    for (const r of hit.replaced) removed.add(r);
  }
  return nodes.filter((n) => !removed.has(n)).map((n) => replacement.get(n) ?? n);
}
