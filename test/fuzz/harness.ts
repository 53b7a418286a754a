/**
 * Property-based fuzzing of file readers with fast-check: start from valid files, mutate them (truncation, flipped
 * bytes, lying integer fields, inserted/deleted/duplicated ranges) or build hostile ones directly, and check every
 * case ends in a typed sepconv error with a readable message or in a valid result; never another exception, a
 * hang, an allocation out of proportion to the input, or a new key on a built-in prototype.
 *
 * SEPCONV_FUZZ_RUNS sets the cases per reader (default {@link DEFAULT_RUNS}); SEPCONV_FUZZ_SEED a seed to replay
 * (or 'random' for a fresh one; the default is a fixed seed per reader, so CI is reproducible).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SepconvError } from '../../src/errors.js';

/** Cases per reader in CI: all readers together stay well under a minute on two cores. */
export const DEFAULT_RUNS = 2000;

/** A case that takes this long is a hang (typical cases take well under 10 ms on files of a few KB). */
const HANG_MS = 2000;

/**
 * Errors must say what went wrong, not dump the input: every line is short, and only errors that list several
 * problems (one per line, as the model importers do) run to more than one line.
 */
const MAX_LINE_LENGTH = 1000;
const MAX_MESSAGE_LENGTH = 10_000;

/** Cases per reader, from SEPCONV_FUZZ_RUNS. */
export function fuzzRuns(): number {
  const text = process.env.SEPCONV_FUZZ_RUNS;
  if (text === undefined || text === '') return DEFAULT_RUNS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SEPCONV_FUZZ_RUNS must be a positive integer, got '${text}'`);
  return n;
}

function fuzzSeed(reader: string): number {
  const text = process.env.SEPCONV_FUZZ_SEED;
  if (text === 'random') return (Math.random() * 2 ** 31) | 0;
  if (text !== undefined && text !== '') return Number(text) | 0;
  let h = 0;
  for (const ch of reader) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

// ---- mutations ----

/** One edit of a file; positions are taken modulo the length, and most land in the first 64 bytes (the headers). */
export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'int'; at: number; width: 2 | 4 | 8; littleEndian: boolean; value: bigint }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; times: number }
  | { kind: 'append'; bytes: Uint8Array };

const position = fc.oneof(fc.nat({ max: 63 }), fc.nat({ max: 1 << 20 }));

/** Integers that break size arithmetic: 0, sign and width boundaries, the largest safe and 64-bit values. */
const interestingInt = fc.oneof(
  fc.constantFrom(0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
    0x100000000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.bigInt({ min: 0n, max: 4096n }),
);

const smallBytes = fc.uint8Array({ minLength: 1, maxLength: 32 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant('int' as const), at: position, width: fc.constantFrom(2 as const, 4 as const, 8 as const),
    littleEndian: fc.boolean(), value: interestingInt }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: smallBytes }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 64 }),
    times: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: smallBytes }),
);

/** Applies one mutation, returning a new array. */
export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  const at = m.kind === 'append' ? n : m.at % (n + 1);
  const splice = (cut: number, insert: Uint8Array) => {
    const out = new Uint8Array(n - cut + insert.length);
    out.set(bytes.subarray(0, at));
    out.set(insert, at);
    out.set(bytes.subarray(at + cut), at + insert.length);
    return out;
  };
  switch (m.kind) {
    case 'truncate':
      return bytes.slice(0, at);
    case 'flip':
    case 'set': {
      if (at === n) return bytes.slice();
      const out = bytes.slice();
      out[at] = m.kind === 'flip' ? out[at] ^ m.mask : m.value;
      return out;
    }
    case 'int': {
      const out = bytes.slice();
      const field = new Uint8Array(8);
      new DataView(field.buffer).setBigUint64(0, BigInt.asUintN(64, m.value), m.littleEndian);
      // The low `width` bytes of the value, in the chosen byte order.
      const part = m.littleEndian ? field.subarray(0, m.width) : field.subarray(8 - m.width);
      out.set(part.subarray(0, Math.max(0, n - at)), at);
      return out;
    }
    case 'insert':
    case 'append':
      return splice(0, m.bytes);
    case 'delete':
      return splice(Math.min(m.length, n - at), new Uint8Array(0));
    case 'duplicate': {
      const piece = bytes.slice(at, at + m.length);
      const repeated = new Uint8Array(piece.length * m.times);
      for (let k = 0; k < m.times; k++) repeated.set(piece, k * piece.length);
      return splice(0, repeated);
    }
  }
}

/** One case: the bytes to read and the index of the seed file they came from (negative for generated inputs). */
export interface FuzzInput {
  seed: number;
  bytes: Uint8Array;
}

/** Copies of the seed files after one to four mutations. */
export function mutatedSeeds(seeds: readonly Uint8Array[]): fc.Arbitrary<FuzzInput> {
  return fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([seed, ms]) => ({ seed, bytes: ms.reduce(mutate, seeds[seed]) }));
}

// ---- the check ----

/** What one reader is fuzzed with. */
export interface FuzzTarget {
  /** Shown in the report, e.g. 'safetensors'. */
  name: string;
  /** Valid files; each must read without error (checked first). */
  seeds: readonly Uint8Array[];
  /** Reads one input; returns normally for a valid file and throws for a bad one. */
  read(input: FuzzInput): void;
  /** Hostile inputs built directly (lying headers, deep nesting, `__proto__` keys), mixed in with the mutations. */
  generated?: fc.Arbitrary<FuzzInput>;
  /**
   * The most bytes reading `input` may allocate (array buffers); default 1 MB plus 16 bytes per input byte. Readers
   * of compressed data (PNG, gzip) justify more per byte, up to their own configured limits.
   */
  budget?(input: FuzzInput): number;
}

/** What a fuzz run saw. */
export interface FuzzReport {
  name: string;
  runs: number;
  valid: number;
  errors: number;
  seed: number;
}

function prototypeKeys(): string[] {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) =>
    Reflect.ownKeys(p).map(String).sort().join(','));
}

function defaultBudget(input: FuzzInput): number {
  return (1 << 20) + 16 * input.bytes.length;
}

/** Runs one case and throws (with the reason) if it breaks a rule; returns whether the input was accepted. */
function checkCase(target: FuzzTarget, input: FuzzInput, protoBefore: string[]): boolean {
  const memBefore = process.memoryUsage().arrayBuffers;
  const start = performance.now();
  let accepted = true;
  try {
    target.read(input);
  } catch (e) {
    if (!(e instanceof SepconvError))
      throw new Error(`${target.name}: threw ${(e as Error)?.constructor?.name ?? typeof e} instead of a SepconvError: ` +
        `${(e as Error)?.message ?? String(e)}`, { cause: e });
    const message = e.message;
    const longestLine = Math.max(...message.split('\n').map((l) => l.length));
    assert.ok(message.length > 0 && message.length <= MAX_MESSAGE_LENGTH && longestLine <= MAX_LINE_LENGTH &&
      !message.includes('[object Object]'),
      `${target.name}: unreadable ${e.name} message (${message.length} chars, longest line ${longestLine}): ${message.slice(0, 300)}`);
    accepted = false;
  }
  const elapsed = performance.now() - start;
  const grown = process.memoryUsage().arrayBuffers - memBefore;
  assert.ok(elapsed < HANG_MS, `${target.name}: one case took ${elapsed.toFixed(0)} ms (hang guard ${HANG_MS} ms)`);
  const budget = (target.budget ?? defaultBudget)(input);
  assert.ok(grown <= budget,
    `${target.name}: reading ${input.bytes.length} bytes grew array buffers by ${grown} bytes (budget ${budget})`);
  assert.deepEqual(prototypeKeys(), protoBefore, `${target.name}: a built-in prototype gained or lost keys`);
  return accepted;
}

/** The shrunk counterexample is saved to a file and the error says how to replay the run. */
function failure(name: string, seed: number, details: fc.RunDetails<[FuzzInput]>): Error {
  const input = details.counterexample?.[0];
  const file = join(tmpdir(), `sepconv-fuzz-${name.replace(/[^A-Za-z0-9]+/g, '_')}.bin`);
  if (input !== undefined) writeFileSync(file, input.bytes);
  const cause = details.errorInstance;
  return new Error(`fuzz ${name} failed after ${details.numRuns} cases: ${cause instanceof Error ? cause.message : String(cause)}\n` +
    (input === undefined ? '' : `counterexample (seed file ${input.seed}, ${input.bytes.length} bytes) saved to ${file}\n`) +
    `replay with SEPCONV_FUZZ_SEED=${seed} SEPCONV_FUZZ_RUNS=${details.numRuns}`, { cause });
}

/**
 * Fuzzes one reader for {@link fuzzRuns} cases: each seed first (must be valid), then mutated seeds and generated
 * inputs. Fails with fast-check's shrunk counterexample and the seed to replay it.
 */
export function fuzzReader(target: FuzzTarget): FuzzReport {
  const protoBefore = prototypeKeys();
  target.seeds.forEach((bytes, seed) =>
    assert.ok(checkCase(target, { seed, bytes }, protoBefore), `${target.name}: seed file ${seed} must be valid`));
  const runs = fuzzRuns();
  const seed = fuzzSeed(target.name);
  const inputs = target.generated === undefined ? mutatedSeeds(target.seeds)
    : fc.oneof({ arbitrary: mutatedSeeds(target.seeds), weight: 3 }, { arbitrary: target.generated, weight: 1 });
  let valid = 0;
  let errors = 0;
  const details = fc.check(fc.property(inputs, (input) => {
    if (checkCase(target, input, protoBefore)) valid++;
    else errors++;
  }), { numRuns: runs, seed });
  if (details.failed) throw failure(target.name, seed, details);
  const report = { name: target.name, runs, valid, errors, seed };
  // The counts are part of the test output (issue #8 asks how many cases each reader ran).
  console.log(`fuzz ${target.name}: ${runs} cases (${valid} valid, ${errors} typed errors), seed ${seed}`);
  return report;
}
