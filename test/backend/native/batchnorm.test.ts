/** The native backend, at every instruction set the CPU runs, against the js reference: ../kernel_suite/batchnorm.ts. */
import { batchNormSuite } from '../kernel_suite/batchnorm.js';
import { nativeIsaTargets } from './harness.js';

for (const target of nativeIsaTargets) batchNormSuite(target);
