/**
 * Load-time checks of an ONNX file and its graph: recognising files that are not ONNX at all, and ordering the
 * nodes so that each runs after its inputs exist (rejecting dangling inputs, values produced twice, and cycles).
 */
import { FormatError } from '../../errors.js';
import type { GraphProto, NodeProto } from './proto.js';

const SIGNATURES: readonly [bytes: readonly number[], what: string][] = [
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (a PyTorch .pt/.pth checkpoint or a Keras .keras file?)'],
  [[0x89, 0x48, 0x44, 0x46], 'an HDF5 file (a Keras .h5 model?)'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'a NumPy .npy file'],
  [[0x80], 'a Python pickle'],
  [[0x1f, 0x8b], 'a gzip archive'],
];

/**
 * Throws a FormatError if `bytes` is obviously not an ONNX model (empty, JSON, an image, a ZIP...). An ONNX file
 * starts with a protobuf field key; these formats start with bytes no ONNX writer produces there.
 */
export function checkLooksLikeOnnx(bytes: Uint8Array): void {
  if (bytes.byteLength === 0) throw new FormatError('ONNX: the file is empty');
  for (const [sig, what] of SIGNATURES)
    if (sig.every((b, i) => bytes[i] === b))
      throw new FormatError(`ONNX: this is ${what}, not an ONNX model; export the model to .onnx first`);
  const first = String.fromCharCode(bytes[0]);
  if (first === '{' || first === '[')
    throw new FormatError('ONNX: this looks like a JSON file (a TF.js model.json?), not an ONNX model');
}

/**
 * The nodes in an order where every input is produced before it is read (Kahn's algorithm, stable: ties keep file
 * order). `available` names the values that exist before any node runs (graph inputs, initializers). Throws a
 * FormatError for an input nothing produces, a value produced twice, or a cycle.
 */
export function topologicalOrder(graph: GraphProto, available: ReadonlySet<string>): NodeProto[] {
  const nodes = graph.node;
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const out of n.output) {
      if (out === '') continue;
      if (available.has(out) || producer.has(out)) {
        const first = producer.has(out) ? `node ${describe(nodes[producer.get(out)!])}` : 'a graph input or initializer';
        throw new FormatError(`ONNX graph: value "${out}" is produced twice (by ${first} and by node ${describe(n)}); ` +
          'each value must have exactly one producer');
      }
      producer.set(out, i);
    }
  });
  const pending = new Array<number>(nodes.length).fill(0);
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const name of new Set(n.input)) {
      if (name === '' || available.has(name)) continue;
      const p = producer.get(name);
      if (p === undefined)
        throw new FormatError(`ONNX graph: node ${describe(n)} reads "${name}", which is no graph input, initializer or ` +
          'node output (a dangling input); the file is incomplete or was edited wrongly');
      pending[i]++;
      consumers[p].push(i);
    }
  });
  const order: NodeProto[] = [];
  // A min-heap would be faster for huge graphs; file order is usually already topological, so this queue stays short.
  const ready = nodes.map((_, i) => i).filter((i) => pending[i] === 0);
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(nodes[i]);
    for (const c of consumers[i]) if (--pending[c] === 0) insertSorted(ready, c);
  }
  if (order.length < nodes.length) {
    const stuck = nodes.filter((_, i) => pending[i] > 0).slice(0, 5).map(describe);
    throw new FormatError(`ONNX graph: the nodes contain a cycle (${nodes.length - order.length} nodes can never run, e.g. ` +
      `${stuck.join(', ')}); an ONNX graph must be acyclic`);
  }
  for (const out of graph.output)
    if (!available.has(out.name) && !producer.has(out.name))
      throw new FormatError(`ONNX graph: output "${out.name}" is produced by no node and is no input or initializer`);
  return order;
}

function insertSorted(list: number[], v: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1] > v) i--;
  list.splice(i, 0, v);
}

/** `'name' (OpType)` for error messages; unnamed nodes go by their first output. */
export function describe(n: NodeProto): string {
  return `'${n.name === '' ? n.output[0] ?? '?' : n.name}' (${n.op_type})`;
}
