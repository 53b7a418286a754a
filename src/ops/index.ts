/** All ops, forward and backward. Each checks shapes, records itself for autograd and calls a backend kernel. */
export * from './elementwise.js';
export * from './reduce.js';
export * from './shape.js';
export * from './conv.js';
export * from './linear.js';
export * from './activation.js';
export * from './pool.js';
export * from './batchnorm.js';
export * from './softmax.js';
export * from './dropout.js';
export { type Padding } from './padding.js';
