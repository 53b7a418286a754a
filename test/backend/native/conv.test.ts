/** The native backend, at every instruction set the CPU runs, against the js reference: ../kernel_suite/conv.ts. */
import { convSuite } from '../kernel_suite/conv.js';
import { nativeIsaTargets } from './harness.js';

for (const target of nativeIsaTargets) convSuite(target);
