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
