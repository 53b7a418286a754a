/**
 * Typed errors. Every message names what was wrong, where (layer, argument, file and byte offset) and how to fix it.
 */
export class SepconvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor has the wrong rank, size or channel count for an op or layer. */
export class ShapeError extends SepconvError {}

/** An argument is out of range or of the wrong kind (stride < 1, unknown padding mode, ...). */
export class ArgumentError extends SepconvError {}

/** A file or byte buffer is malformed (ONNX, safetensors, IDX, ...). */
export class FormatError extends SepconvError {}

/** A state dict does not match a module: missing, unexpected or mis-shaped tensors. */
export class StateDictError extends SepconvError {}

/** A NaN or Inf appeared where the numerics check was on. */
export class NumericsError extends SepconvError {}

/** A tensor was used after `dispose()` (or after the `tidy` scope that owned it ended). */
export class DisposedError extends SepconvError {}

const PREVIEW_CHARS = 60;

/**
 * A short rendering of an untrusted value (from a file or an argument) for error messages: JSON cut to 60
 * characters, so a hostile value cannot bloat the message; values JSON cannot show (nested too deep for
 * JSON.stringify's recursion, or cyclic) are described instead.
 */
export function previewValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}` : JSON.stringify(value) ?? String(value);
  } catch {
    return `${Array.isArray(value) ? 'an array' : 'an object'} too deeply nested (or cyclic) to show`;
  }
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 3)}...` : text;
}
