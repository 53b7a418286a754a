/** The `js` reference backend: plain loops, obviously correct, the oracle for every faster backend. */
import type { Backend, Kernels } from '../kernels.js';
import { batchNormKernels } from './batchnorm.js';
import { convKernels } from './conv.js';
import { matmulKernels } from './matmul.js';
import { poolKernels } from './pool.js';
import { unaryKernels } from './unary.js';

const kernels: Kernels = { ...convKernels, ...matmulKernels, ...unaryKernels, ...poolKernels, ...batchNormKernels };

export const jsBackend: Backend & { kernels: Kernels } = { name: 'js', kernels };
