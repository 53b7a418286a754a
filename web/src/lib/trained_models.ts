/**
 * Models trained on the Train tab, kept as checkpoint bytes (the format `sepconv train` writes) so the Run tab can
 * load them like a dropped file, and visitors can download them for `sepconv predict`.
 */

export interface TrainedModel {
  /** 'standard' or 'separable'. */
  id: string;
  label: string;
  fileName: string;
  bytes: ArrayBuffer;
}

const models = new Map<string, TrainedModel>();
const listeners = new Set<() => void>();

/** Adds or replaces a trained model and tells the listeners. */
export function putTrainedModel(m: TrainedModel): void {
  models.set(m.id, m);
  for (const l of listeners) l();
}

export function trainedModels(): TrainedModel[] {
  return [...models.values()];
}

/** Calls `listener` whenever the list changes. */
export function onTrainedModelsChanged(listener: () => void): void {
  listeners.add(listener);
}
