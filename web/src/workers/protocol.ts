/** Messages between the page and its model worker (explorer profiles, Run-tab inference, the TF.js comparison). */
import type { ModelInfo, ModelSource, Normalization } from '../lib/model_source.js';
import type { ModelProfile } from '../lib/profile.js';
import type { RgbaPixels } from '../lib/preprocess.js';

export type BackendChoice = 'wasm' | 'js';

export interface ExploreRequest {
  type: 'explore';
  source: ModelSource;
  /** Cache key of the source: the worker reuses the model it loaded last for the same key. */
  key: string;
  /** Side of the timed input (costs are for the model's own input size). */
  timeSide: number;
  backend: BackendChoice;
}

export interface RunRequest {
  type: 'run';
  source: ModelSource;
  key: string;
  image: RgbaPixels;
  /** For models whose file does not store one (ONNX, TF.js); checkpoints use their own. */
  normalize: Normalization;
  backend: BackendChoice;
  /** Also run the model converted to TF.js on its wasm backend. */
  tfjs: boolean;
}

export type ModelRequest = ExploreRequest | RunRequest;

export interface ExploreResult {
  info: ModelInfo;
  profile: ModelProfile;
  backend: string;
}

export interface Prediction {
  index: number;
  name: string;
  probability: number;
}

export interface TfjsRun {
  /** Present when the comparison ran. */
  top?: Prediction[];
  latency?: Latency;
  /** Largest absolute difference between the two runs' probabilities. */
  maxDifference?: number;
  /** Why the comparison did not run (unsupported layer, TF.js failed to load, ...). */
  error?: string;
  backend?: string;
}

export interface Latency {
  /** First run (includes one-off work such as weight packing and compilation). */
  firstMs: number;
  /** Median of the later runs. */
  medianMs: number;
  runs: number;
}

export interface RunResult {
  info: ModelInfo;
  input: [number, number, number];
  top: Prediction[];
  probabilities: number[];
  latency: Latency;
  backend: string;
  /** The backend asked for was not available (e.g. the wasm file failed to load): why. */
  backendNote?: string;
  tfjs?: TfjsRun;
}

export type ModelResponse =
  | { id: number; ok: true; result: ExploreResult | RunResult }
  | { id: number; ok: false; error: string }
  | { id: number; progress: string };
