/** The native backend, at every instruction set the CPU runs, against the js reference: ../kernel_suite/pool.ts. */
import { poolSuite } from '../kernel_suite/pool.js';
import { nativeIsaTargets } from './harness.js';

for (const target of nativeIsaTargets) poolSuite(target);
