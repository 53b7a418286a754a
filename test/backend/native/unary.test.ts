/** The native backend, at every instruction set the CPU runs, against the js reference: ../kernel_suite/unary.ts. */
import { unarySuite } from '../kernel_suite/unary.js';
import { nativeIsaTargets } from './harness.js';

for (const target of nativeIsaTargets) unarySuite(target);
