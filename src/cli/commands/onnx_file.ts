/**
 * Reading model files for the inspect and run commands: an ONNX file, or a TF.js model.json (layers or graph model)
 * with its weight shards next to it. A missing or unreadable file is a one-line CommandError.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { importOnnx, type OnnxModel } from '../../io/onnx/import.js';
import { loadTfjsModelFromFile } from '../../io/tfjs/file.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { CommandError } from '../output.js';

/** The bytes of `path`; `what` names the file in the error ("model", "input"). */
export function readInputFile(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CommandError(`cannot read the ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Runs `load`, putting the file name in front of FormatErrors. */
function withFileName<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof Error && err.name === 'FormatError') err.message = `${path}: ${err.message}`;
    throw err;
  }
}

/** Imports an ONNX file (FormatErrors from the importer pass through with the file name in front). */
export function loadOnnxFile(path: string): OnnxModel {
  const bytes = readInputFile(path, 'model');
  return withFileName(path, () => importOnnx(bytes));
}

/** An input or output as the file declares it: a string dim is symbolic, null unknown. */
export interface ModelValueInfo {
  name: string;
  dims: (number | string | null)[] | null;
}

/** A model file as inspect and run see it, whatever its format. */
export interface ModelFile {
  module: Module;
  /** Layout of 4-D inputs and outputs in the file: ONNX is NCHW, TF.js NHWC. */
  layout: 'NCHW' | 'NHWC';
  /** What the file says about itself, as JSON fields ({producer, opset} or {format, generatedBy, convertedBy}). */
  about: Record<string, string | number>;
  inputs: readonly ModelValueInfo[];
  outputs: readonly ModelValueInfo[];
  /** 'nodes' (ONNX, TF.js graph models) or 'layers' (TF.js layers models). */
  unit: 'nodes' | 'layers';
  /** ONNX op, TF op or Keras layer class of each node or layer. */
  opTypes: readonly string[];
  /** Runs the model on named inputs in the file's layout; outputs by name, in the file's layout. */
  run(feeds: Record<string, Tensor>): Record<string, Tensor>;
}

/**
 * Loads `path` as a model: a `.json` file is a TF.js model.json (its shards are read from the same folder), anything
 * else an ONNX file.
 */
export function loadModelFile(path: string): ModelFile {
  if (extname(path).toLowerCase() !== '.json') {
    const m = loadOnnxFile(path);
    return {
      module: m, layout: 'NCHW', about: { producer: m.producer, opset: m.opset }, inputs: m.inputs, outputs: m.outputs,
      unit: 'nodes', opTypes: m.opTypes, run: (feeds) => m.run(feeds),
    };
  }
  readInputFile(path, 'model');
  const m = withFileName(path, () => loadTfjsModelFromFile(path));
  return {
    module: m, layout: 'NHWC', about: { format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy },
    inputs: m.inputs.map((i) => ({ name: i.name, dims: i.shape })), outputs: m.outputs.map((o) => ({ name: o.name, dims: o.shape })),
    unit: m.format === 'layers-model' ? 'layers' : 'nodes', opTypes: m.opTypes, run: (feeds) => m.run(feeds),
  };
}

/** "[1, 3, 224, 224]"-style text of dims, '?' for unknown and the name for symbolic ones. */
export function dimsText(dims: readonly (number | string | null)[] | null): string {
  return dims === null ? '(unknown shape)' : `[${dims.map((d) => d ?? '?').join(', ')}]`;
}
