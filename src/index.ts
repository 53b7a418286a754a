export * from './errors.js';
export { Tensor, shapeSize, shapeToString, type Shape } from './tensor/tensor.js';
export { noGrad, isGradEnabled } from './tensor/autograd.js';
export { tidy, keep, memory } from './tensor/memory.js';
export { Random, manualSeed } from './tensor/random.js';
export * as ops from './ops/index.js';
export { setBackend, getBackend, listBackends, registerBackend } from './backend/registry.js';
export type { Backend, Kernels, ConvGeometry, PoolGeometry, UnaryKind } from './backend/kernels.js';
export { traceOps, inScope, currentScope, setNumericsCheck, type OpEvent } from './tensor/trace.js';
