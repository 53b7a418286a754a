/**
 * Reading dataset files that may be gzip-compressed (`.gz`), without ever allocating more than the file can hold:
 * deflate compresses at most 1032:1, so a compressed file of n bytes justifies at most ~1032 n bytes of output, and a
 * header that claims more is rejected before any large allocation.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { basename } from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { ArgumentError, FormatError } from '../errors.js';

/** Deflate's worst-case expansion (258-byte matches coded in 2 bits), plus room for the gzip framing. */
const MAX_DEFLATE_RATIO = 1032;

function isGzip(path: string): boolean {
  return path.endsWith('.gz');
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (e) {
    throw new ArgumentError(`${path}: cannot read the file (${(e as Error).message})`);
  }
}

/** The most bytes `path` can decode to: its size, or the deflate bound for `.gz`. */
export function maxDecodedSize(path: string): number {
  const size = fileSize(path);
  return isGzip(path) ? size * MAX_DEFLATE_RATIO + 1024 : size;
}

function gunzipError(path: string, e: unknown): FormatError {
  const err = e as NodeJS.ErrnoException;
  return new FormatError(`${basename(path)}: not a valid gzip file (${err.message}); ` +
    'decompress it with gunzip to check it, or re-download it');
}

/**
 * The first `n` decoded bytes of `path` (fewer if the content is shorter). For `.gz`, decompresses growing
 * prefixes of the file until `n` bytes come out, so a header can be checked without decompressing the rest.
 */
export function readHead(path: string, n: number): Uint8Array {
  const size = fileSize(path);
  const fd = openSync(path, 'r');
  try {
    if (!isGzip(path)) {
      const head = new Uint8Array(Math.min(n, size));
      readSync(fd, head, 0, head.length, 0);
      return head;
    }
    for (let prefix = 4096; ; prefix *= 4) {
      const compressed = new Uint8Array(Math.min(prefix, size));
      readSync(fd, compressed, 0, compressed.length, 0);
      let out: Uint8Array;
      try {
        out = gunzipSync(compressed, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      } catch (e) {
        throw gunzipError(path, e);
      }
      if (out.length >= n || compressed.length === size) return out.subarray(0, Math.min(n, out.length));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The whole decoded content of `path`, which must be exactly `expectedSize` bytes when given (a header has already
 * said how large the content is and that size was checked against {@link maxDecodedSize}).
 */
export function readDecoded(path: string, expectedSize?: number): Uint8Array {
  const name = basename(path);
  if (!isGzip(path)) {
    const size = fileSize(path);
    if (expectedSize !== undefined && size !== expectedSize)
      throw new FormatError(`${name}: the file has ${size} bytes but its header says ${expectedSize}` +
        (size < expectedSize ? ' (truncated: re-download or re-extract it)' : ' (trailing bytes after the data)'));
    return new Uint8Array(readFileSync(path));
  }
  const limit = expectedSize ?? maxDecodedSize(path);
  let out: Uint8Array;
  try {
    out = gunzipSync(readFileSync(path), { maxOutputLength: Math.min(Math.max(1, limit), bufferConstants.MAX_LENGTH) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new FormatError(`${name}: decompresses to more than the ${limit} bytes its header says (trailing bytes after the data)`);
    throw gunzipError(path, e);
  }
  if (expectedSize !== undefined && out.length !== expectedSize)
    throw new FormatError(`${name}: decompresses to ${out.length} bytes but its header says ${expectedSize} ` +
      '(truncated: re-download or re-extract it)');
  return out;
}
