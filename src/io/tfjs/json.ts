/**
 * Reading untrusted model.json safely: parsing rejects prototype-pollution keys and absurd nesting, and small
 * typed accessors turn a missing or mistyped field into a FormatError that names where it is in the file.
 */
import { FormatError, previewValue } from '../../errors.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** Keys that would reach Object.prototype if the parsed object were ever merged into another one. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Far deeper than any Keras config nests; deeper input is an attack or a broken file. */
const MAX_DEPTH = 200;

function checkTree(value: unknown, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new FormatError(`TF.js model.json: nested more than ${MAX_DEPTH} levels deep at ${path}; not a model file`);
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkTree(v, `${path}[${i}]`, depth + 1));
    return;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key))
      throw new FormatError(`TF.js model.json: key "${key}" at ${path} is not allowed (it could alter object prototypes); ` +
        'the file was crafted or corrupted');
    checkTree((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
  }
}

/**
 * Parses model.json text (or checks an already parsed object) and returns it as a JSON object. Throws a FormatError
 * for text that is not JSON, JSON that is not an object, forbidden keys (`__proto__`, `constructor`, `prototype`)
 * and nesting deeper than 200 levels.
 */
export function parseModelJson(json: unknown): JsonObject {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new FormatError(`TF.js model.json is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new FormatError(`TF.js model.json must hold a JSON object, got ${previewValue(value)}`);
  checkTree(value, '$', 0);
  return value as JsonObject;
}

export function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Typed access to one JSON object, with `where` (e.g. "layer 'conv1' config") in every error. */
export class JsonFields {
  private readonly seen = new Set<string>();

  constructor(readonly obj: JsonObject, readonly where: string) {}

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key) && this.obj[key] !== null;
  }

  /** The raw value (undefined if absent), marking the key as understood. */
  raw(key: string): Json | undefined {
    this.seen.add(key);
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  fail(key: string, expected: string): never {
    throw new FormatError(`${this.where}: "${key}" must be ${expected}, got ${previewValue(this.raw(key))}`);
  }

  string(key: string, fallback?: string): string {
    const v = this.raw(key);
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }

  number(key: string, fallback?: number): number {
    const v = this.raw(key);
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    return typeof v === 'number' && Number.isFinite(v) ? v : this.fail(key, 'a finite number');
  }

  /** A number, or null when absent or null. */
  optionalNumber(key: string): number | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    return typeof v === 'number' && Number.isFinite(v) ? v : this.fail(key, 'a finite number or null');
  }

  boolean(key: string, fallback?: boolean): boolean {
    const v = this.raw(key);
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    return typeof v === 'boolean' ? v : this.fail(key, 'true or false');
  }

  /** An integer, or a list of `n` integers (a single integer is repeated, as Keras' normalize_tuple does). */
  ints(key: string, n: number, fallback?: number[]): number[] {
    const v = this.raw(key);
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    const list = typeof v === 'number' ? new Array<number>(n).fill(v) : v;
    if (!Array.isArray(list) || list.length !== n || !list.every((x) => typeof x === 'number' && Number.isInteger(x)))
      return this.fail(key, n === 1 ? 'an integer' : `an integer or a list of ${n} integers`);
    return list as number[];
  }

  object(key: string): JsonObject {
    const v = this.raw(key);
    return isObject(v) ? v : this.fail(key, 'an object');
  }

  array(key: string): Json[] {
    const v = this.raw(key);
    return Array.isArray(v) ? v : this.fail(key, 'a list');
  }

  /** A string that must be one of `allowed` (compared case-insensitively, as TF attributes and Keras configs vary). */
  choice<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const v = this.string(key, fallback);
    const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (hit === undefined) throw new FormatError(`${this.where}: ${key} "${v}" is not supported (supported: ${allowed.join(', ')})`);
    return hit;
  }

  /** Keys present but never read. */
  unread(): string[] {
    return Object.keys(this.obj).filter((k) => !this.seen.has(k));
  }
}
