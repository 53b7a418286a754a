import type { Kernels } from '../kernels.js';
export const matmulKernels = {} as Pick<Kernels, 'matmul'>;
