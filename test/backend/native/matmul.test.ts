/** The native backend, at every instruction set the CPU runs, against the js reference: ../kernel_suite/matmul.ts. */
import { matmulSuite } from '../kernel_suite/matmul.js';
import { nativeIsaTargets } from './harness.js';

for (const target of nativeIsaTargets) matmulSuite(target);
