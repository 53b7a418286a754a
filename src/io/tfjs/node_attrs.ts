/**
 * Typed access to the attributes of a GraphDef node as tfjs-converter writes them in model.json (the JSON form of
 * TensorFlow's AttrValue): strings base64 in `s`, integers in `i` (as strings, being int64), floats in `f`, lists
 * in `list.{i,f,s}`, dtypes in `type`, shapes in `shape.dim[].size`. As with ONNX attributes, every attribute a node
 * carries must be read by its importer or be known to be inert, so that nothing is silently ignored.
 */
import { FormatError, previewValue } from '../../errors.js';
import { isObject, type Json, type JsonObject } from './json.js';

/** Attributes that never change what a node computes (types, device hints, bookkeeping). */
const INERT = new Set(['T', 'TArgs', 'Tidx', 'Tshape', 'Tpaddings', 'Tdim', 'TI', 'Tperm', 'N', 'U', 'use_cudnn_on_gpu', '_class', '_output_shapes',
  '_has_manual_control_dependencies', 'grad_a', 'grad_b', 'exponential_avg_factor']);

function decodeBase64(text: string): string {
  try {
    return atob(text);
  } catch {
    throw new FormatError(`"${text.slice(0, 40)}" is not base64`);
  }
}

function int(v: Json, what: string): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new FormatError(`${what} must be an integer, got ${previewValue(v)}`);
  return n;
}

/** TF DataType enum names and numbers of the dtypes sepconv meets in graph models. */
const DTYPES: Record<string, string> = { DT_FLOAT: 'float32', '1': 'float32', DT_INT32: 'int32', '3': 'int32', DT_INT64: 'int64', '9': 'int64', DT_BOOL: 'bool', '10': 'bool' };

export class NodeAttrs {
  private readonly attrs: JsonObject;
  private readonly seen = new Set<string>();

  constructor(attr: Json | undefined) {
    if (attr !== undefined && attr !== null && !isObject(attr)) throw new FormatError(`attr must be an object, got ${previewValue(attr)}`);
    this.attrs = attr ?? {};
  }

  private get(name: string): JsonObject | undefined {
    this.seen.add(name);
    const v = Object.hasOwn(this.attrs, name) ? this.attrs[name] : undefined;
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) throw new FormatError(`attribute ${name} must be an AttrValue object, got ${previewValue(v)}`);
    return v;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.attrs, name);
  }

  string(name: string, fallback?: string): string {
    const a = this.get(name);
    if (a === undefined || a['s'] === undefined) {
      if (fallback === undefined) throw new FormatError(`required attribute ${name} is missing`);
      return fallback;
    }
    const s = a['s'];
    if (typeof s === 'string') return decodeBase64(s);
    if (Array.isArray(s) && s.every((c) => typeof c === 'number')) return String.fromCharCode(...(s as number[]));
    throw new FormatError(`attribute ${name} must be a string, got ${previewValue(s)}`);
  }

  int(name: string, fallback?: number): number {
    const a = this.get(name);
    if (a === undefined || a['i'] === undefined) {
      if (fallback === undefined) throw new FormatError(`required attribute ${name} is missing`);
      return fallback;
    }
    return int(a['i'], `attribute ${name}`);
  }

  float(name: string, fallback?: number): number {
    const a = this.get(name);
    if (a === undefined || a['f'] === undefined) {
      if (fallback === undefined) throw new FormatError(`required attribute ${name} is missing`);
      return fallback;
    }
    const f = a['f'];
    if (typeof f !== 'number') throw new FormatError(`attribute ${name} must be a number, got ${previewValue(f)}`);
    return f;
  }

  bool(name: string, fallback: boolean): boolean {
    const b = this.get(name)?.['b'];
    if (b === undefined) return fallback;
    if (typeof b !== 'boolean') throw new FormatError(`attribute ${name} must be true or false, got ${previewValue(b)}`);
    return b;
  }

  private list(name: string): JsonObject | undefined {
    const a = this.get(name);
    if (a === undefined) return undefined;
    const l = a['list'] ?? {};
    if (!isObject(l)) throw new FormatError(`attribute ${name} must be a list, got ${previewValue(l)}`);
    return l;
  }

  ints(name: string, fallback?: number[]): number[] {
    const l = this.list(name);
    if (l === undefined) {
      if (fallback === undefined) throw new FormatError(`required attribute ${name} is missing`);
      return fallback;
    }
    const v = l['i'] ?? [];
    if (!Array.isArray(v)) throw new FormatError(`attribute ${name} must be a list of integers, got ${previewValue(v)}`);
    return v.map((x) => int(x, `attribute ${name}`));
  }

  strings(name: string): string[] {
    const v = this.list(name)?.['s'] ?? [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new FormatError(`attribute ${name} must be a list of strings`);
    return (v as string[]).map(decodeBase64);
  }

  /** The dtype in a `type` attribute ('float32', 'int32', ...), or `fallback` when absent. */
  dtype(name: string, fallback?: string): string {
    const t = this.get(name)?.['type'];
    if (t === undefined) {
      if (fallback === undefined) throw new FormatError(`required attribute ${name} is missing`);
      return fallback;
    }
    // Own keys only ('constructor' must not find Object's), and a non-string type shown as JSON, not [object Object].
    const key = String(typeof t === 'object' ? '' : t);
    return Object.hasOwn(DTYPES, key) ? DTYPES[key] : typeof t === 'string' ? t : previewValue(t);
  }

  /** A `shape` attribute: dims with -1 (unknown) as null; null for an unknown rank or an absent attribute. */
  shape(name: string): (number | null)[] | null {
    const s = this.get(name)?.['shape'];
    if (s === undefined || !isObject(s) || s['unknownRank'] === true) return null;
    const dims = s['dim'] ?? [];
    if (!Array.isArray(dims)) throw new FormatError(`attribute ${name} has a malformed shape ${previewValue(s)}`);
    return dims.map((d) => {
      const size = isObject(d) ? int(d['size'] ?? '0', `attribute ${name} dim`) : NaN;
      if (Number.isNaN(size) || size < -1) throw new FormatError(`attribute ${name} has a malformed dim ${previewValue(d)}`);
      return size === -1 ? null : size;
    });
  }

  /** Marks attributes that cannot change the result for this node (e.g. `epsilon` of a fused conv without BN). */
  ignore(...names: string[]): void {
    for (const n of names) this.seen.add(n);
  }

  /** A string attribute that must be one of `allowed` (case-insensitive). */
  choice<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const v = this.string(name, fallback);
    const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (hit === undefined) throw new FormatError(`${name}="${v}" is not supported (supported: ${allowed.join(', ')})`);
    return hit;
  }

  /** Attributes neither read nor inert. */
  unread(): string[] {
    return Object.keys(this.attrs).filter((k) => !this.seen.has(k) && !INERT.has(k));
  }
}
