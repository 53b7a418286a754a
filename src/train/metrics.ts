/** Classification metrics from logits [N, C] and integer labels. */
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** Indices of the k largest logits of row `row`, best first. */
export function topK(logits: Float32Array, numClasses: number, row: number, k: number): number[] {
  const scores = logits.subarray(row * numClasses, (row + 1) * numClasses);
  return [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b).slice(0, k);
}

/** Running top-1 / top-5 accuracy, mean loss and confusion matrix over an epoch. */
export class ClassificationMetrics {
  private seen = 0;
  private top1 = 0;
  private top5 = 0;
  private lossSum = 0;
  readonly confusion: Int32Array;

  constructor(readonly numClasses: number) {
    this.confusion = new Int32Array(numClasses * numClasses);
  }

  /** Adds a batch; `loss` is the batch-mean loss. */
  update(logits: Tensor, labels: ArrayLike<number>, loss?: number): void {
    const [n, c] = logits.shape;
    if (logits.rank !== 2 || c !== this.numClasses || n !== labels.length)
      throw new ShapeError(`metrics: logits [${logits.shape.join(', ')}] do not match ${labels.length} labels and ${this.numClasses} classes`);
    const d = logits.data;
    for (let i = 0; i < n; i++) {
      const best = topK(d, c, i, Math.min(5, c));
      const label = labels[i];
      if (best[0] === label) this.top1++;
      if (best.includes(label)) this.top5++;
      this.confusion[label * c + best[0]]++;
    }
    if (loss !== undefined) this.lossSum += loss * n;
    this.seen += n;
  }

  get count(): number {
    return this.seen;
  }

  summary(): { loss: number; top1: number; top5: number; count: number } {
    const n = Math.max(1, this.seen);
    return { loss: this.lossSum / n, top1: this.top1 / n, top5: this.top5 / n, count: this.seen };
  }
}
