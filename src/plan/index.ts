/**
 * Compiled inference plans: `compile(model, [N, H, W, C], { backend })` folds, fuses and plans a model once, and
 * `plan.run(x)` runs it without allocating. Backends plug in a `PlanExecutor`.
 */
export { compile, InferencePlan, type CompileOptions, type StepProfile } from './compile.js';
export { registerPlanExecutor, planBackends, type PlanExecutor, type LoadedPlan, type StepTiming, type Program, type ExecutorOptions } from './executor.js';
export { formatReport, type PlanReport, type StepReport, type FallbackNote } from './report.js';
export type { FusionRecord } from './fusions.js';
export { FUSION_KINDS, type FusionKind, type Step, type Activation, type Epilogue, type PlanValue } from './ir.js';
export type { MemoryPlan } from './memory_plan.js';
