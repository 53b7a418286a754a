/**
 * sepconv: depthwise-separable CNNs for JavaScript. This entry point is platform-neutral (Node and browsers through a
 * bundler); file readers and writers are in `sepconv/node`.
 */
export * from './errors.js';
export { Tensor, shapeSize, shapeToString, type Shape } from './tensor/tensor.js';
export { noGrad, isGradEnabled } from './tensor/autograd.js';
export { tidy, keep, memory, type MemoryInfo } from './tensor/memory.js';
export { Random, manualSeed } from './tensor/random.js';
export { traceOps, inScope, currentScope, setNumericsCheck, type OpEvent } from './tensor/trace.js';
export * as ops from './ops/index.js';
export { setBackend, getBackend, listBackends, registerBackend } from './backend/registry.js';
export type { Backend, Kernels, ConvGeometry, PoolGeometry, UnaryKind } from './backend/kernels.js';
export * as nn from './nn/index.js';
export { Module } from './nn/module.js';
export * as models from './models/index.js';
export { buildModel, modelNames, separabilize } from './models/index.js';
export { analyse, opCostKind, type CostReport } from './cost/analyse.js';
export { compareConv, type ConvComparison } from './cost/compare.js';
export { SGD, Adam, AdamW, RMSprop, Optimizer, clipGradNorm, type OptimizerState } from './train/optimizer.js';
export { constant, cosineWithWarmup, stepDecay, oneCycle, type Schedule } from './train/schedule.js';
export { ModelEMA } from './train/ema.js';
export { recomputeBatchNormStats } from './train/bn_stats.js';
export { ClassificationMetrics, topK } from './train/metrics.js';
export { fit, evaluate, restoreTraining, type FitOptions, type FitResult, type EpochInfo, type StepInfo, type EvalResult } from './train/trainer.js';
export { encodeCheckpoint, decodeCheckpoint, type Checkpoint } from './train/checkpoint_codec.js';
export {
  modelFromConfig, modelFromCheckpointBytes, makeOptimizer, makeSchedule, channelStats, type RunConfig, type TrainedModel,
} from './train/run_config.js';
export { DataLoader, type DataLoaderOptions, type Batch } from './data/dataloader.js';
export { ImageDataset, type Dataset, type DatasetSplit } from './data/dataset.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors_codec.js';
export * as onnx from './io/onnx/index.js';
export { importOnnx, exportOnnx } from './io/onnx/index.js';
export { readNpy, writeNpy, npyToTensor, tensorToNpy } from './io/npy.js';
export { initWasmBackend, type WasmSource } from './backend/wasm/index.js';
export { initBackend, type BackendChoice } from './backend/select.js';
export * as tfjs from './io/tfjs/index.js';
export { loadTfjsModel, TfjsModel } from './io/tfjs/index.js';
export { compile, InferencePlan, type CompileOptions, type PlanReport, type StepProfile } from './plan/index.js';
