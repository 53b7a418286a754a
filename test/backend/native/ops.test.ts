/** Op-level runs on the native backend (values and gradients against js, finite differences): ../kernel_suite/ops.ts. */
import { opsSuite } from '../kernel_suite/ops.js';
import { nativeTarget } from './harness.js';

opsSuite(nativeTarget);
