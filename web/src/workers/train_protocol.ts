/** Messages between the Train tab and a training worker (one worker per model, so the two train side by side). */

export type Twin = 'standard' | 'separable';

export interface TrainSettings {
  twin: Twin;
  /** small_cnn's first-stage channels (8 or 16). */
  width: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  /** Absolute URL of digits.bin. */
  digitsUrl: string;
}

export type TrainCommand = { type: 'start'; settings: TrainSettings } | { type: 'stop' };

export type TrainEvent =
  | { type: 'ready'; params: number; macs: number; backend: string; trainImages: number; testImages: number; stepsPerEpoch: number }
  | {
    type: 'step'; epoch: number; step: number; globalStep: number; loss: number;
    /** Running accuracy of the epoch so far, and of this step's batch alone. */
    accuracy: number; batchAccuracy: number; imagesPerSecond: number;
  }
  | { type: 'epoch'; epoch: number; trainLoss: number; trainTop1: number; testLoss: number; testTop1: number; seconds: number }
  | { type: 'done'; completed: boolean; testTop1: number; testLoss: number; checkpoint: ArrayBuffer; fileName: string; steps: number }
  | { type: 'error'; message: string };
