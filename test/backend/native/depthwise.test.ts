/** The native backend, at every instruction set the CPU runs, against the js reference: ../kernel_suite/depthwise.ts. */
import { depthwiseSuite } from '../kernel_suite/depthwise.js';
import { nativeIsaTargets } from './harness.js';

for (const target of nativeIsaTargets) depthwiseSuite(target);
