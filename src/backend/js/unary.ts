import type { Kernels } from '../kernels.js';
export const unaryKernels = {} as Pick<Kernels, 'unary' | 'unaryBackward'>;
