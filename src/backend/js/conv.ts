import type { Kernels } from '../kernels.js';
export const convKernels = {} as Pick<Kernels, 'conv2d' | 'conv2dBackwardInput' | 'conv2dBackwardFilter' | 'depthwiseConv2d' | 'depthwiseConv2dBackwardInput' | 'depthwiseConv2dBackwardFilter'>;
