import type { Kernels } from '../kernels.js';
export const poolKernels = {} as Pick<Kernels, 'maxPool2d' | 'maxPool2dBackward' | 'avgPool2d' | 'avgPool2dBackward'>;
