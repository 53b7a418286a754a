/**
 * Live training progress. On a terminal: one line redrawn in place (bar, step, loss, accuracy, images/s, ETA). Elsewhere
 * (CI, logs, pipes): a plain line every `plainEvery` of the epoch, so logs stay readable and short.
 */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  label: string;
  step: number;
  total: number;
  /** Name -> already formatted value, e.g. { loss: '0.431', acc: '91.2%' }. */
  fields: Record<string, string>;
  imagesPerSecond: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

export class ProgressBar {
  private readonly tty: boolean;
  private lastPlainFraction = -1;
  private lastDraw = 0;
  private startedAt = performance.now();
  private drawn = false;

  constructor(private readonly out: ProgressStream, private readonly plainEvery = 0.25) {
    this.tty = out.isTTY === true;
  }

  /** Call at the start of each epoch (resets the ETA clock). */
  start(): void {
    this.startedAt = performance.now();
    this.lastPlainFraction = -1;
  }

  update(p: ProgressState): void {
    const fraction = p.total > 0 ? p.step / p.total : 1;
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
    const fields = Object.entries(p.fields).map(([k, v]) => `${k} ${v}`).join('  ');
    const stats = `${fields}  ${Math.round(p.imagesPerSecond)} img/s`;
    if (this.tty) {
      const now = performance.now();
      if (now - this.lastDraw < 80 && p.step < p.total) return;
      this.lastDraw = now;
      const counter = `${String(p.step).padStart(String(p.total).length)}/${p.total}`;
      const tail = ` ${counter}  ${stats}  ETA ${formatDuration(eta)}`;
      const width = Math.max(10, Math.min(30, (this.out.columns ?? 100) - p.label.length - tail.length - 4));
      const filled = Math.round(fraction * width);
      this.out.write(`\r\x1b[2K${p.label} ${'█'.repeat(filled)}${'░'.repeat(width - filled)}${tail}`);
      this.drawn = true;
      return;
    }
    const bucket = Math.floor(fraction / this.plainEvery);
    if (bucket > this.lastPlainFraction && p.step > 0) {
      this.lastPlainFraction = bucket;
      this.out.write(`${p.label} step ${p.step}/${p.total}  ${stats}  elapsed ${formatDuration(elapsed)}\n`);
    }
  }

  /** Ends the in-place line before other output. */
  done(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
