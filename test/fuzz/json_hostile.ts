/** JSON texts that attack parsers and the code behind them: prototype keys, deep nesting, wrong types, huge numbers. */
import fc from 'fast-check';

/** Keys that pollute or shadow prototypes when copied with plain assignment. */
export const prototypeKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf');

/** Arrays or objects nested up to 100,000 deep (JSON.parse copes; recursive code such as JSON.stringify may not). */
export const deeplyNested: fc.Arbitrary<string> = fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.boolean())
  .map(([depth, arrays]) => (arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '0' + '}'.repeat(depth)));

/** Numbers around the edges of safe integers, sizes and sign. */
export const hostileNumber = fc.constantFrom('-1', '0', '1', '1.5', '-0', '1e308', '1e400', '9007199254740993',
  '4294967296', '18446744073709551615', '2147483648', 'NaN', 'null', 'true', '"1"');

/** A JSON object text from [key, value text] pairs (built by hand, so '__proto__' stays an ordinary key). */
export function jsonObject(pairs: readonly (readonly [string, string])[]): string {
  return '{' + pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',') + '}';
}

/** Any JSON value as text, including prototype keys at any level. */
export const anyJson: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.array(fc.tuple(prototypeKey, fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }).map((pairs) =>
    jsonObject(pairs.map(([k, v]) => [k, JSON.stringify(v)]))),
  deeplyNested,
  hostileNumber,
);

/** Paths (keys and indices) to every value in a JSON tree, root first. */
export function jsonPaths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => jsonPaths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) jsonPaths(v, [...prefix, k], out);
  return out;
}

const HOLE = '\u0000sepconv-fuzz\u0000';

/**
 * `value` as JSON text with the value at `path` replaced by the raw JSON text `replacement` or, when `key` is given
 * and the target is an object, with `key: replacement` added to it (raw text, so deep nesting and '__proto__'
 * keys reach the parser exactly as written).
 */
export function jsonEdited(value: unknown, path: readonly (string | number)[], replacement: string, key?: string): string {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  if (path.length === 0 && key === undefined) return replacement;
  let parent = copy as Record<string | number, unknown>;
  for (const p of path.slice(0, key === undefined ? -1 : path.length)) parent = parent[p] as Record<string | number, unknown>;
  if (key === undefined) parent[path[path.length - 1]] = HOLE;
  else if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) parent[HOLE] = HOLE;
  else return JSON.stringify(copy);
  const hole = JSON.stringify(HOLE);
  const text = JSON.stringify(copy);
  return key === undefined ? text.replace(hole, replacement) : text.replace(`${hole}:${hole}`, `${JSON.stringify(key)}:${replacement}`);
}
