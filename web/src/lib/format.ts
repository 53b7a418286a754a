/** Number formatting for the page: exact counts with thousands separators, compact counts, times and ratios. */

const exact = new Intl.NumberFormat('en-US');

/** 1234567 -> "1,234,567". */
export function formatInt(n: number): string {
  return exact.format(n);
}

/** 1234567 -> "1.23 M"; below 10,000 the exact count. */
export function formatCompact(n: number): string {
  const a = Math.abs(n);
  for (const [scale, suffix] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']] as const)
    if (a >= scale && a >= 1e4) return `${(n / scale).toPrecision(3)} ${suffix}`;
  return formatInt(n);
}

/** Milliseconds with a sensible number of digits: 0.123 ms, 12.3 ms, 1,234 ms. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${formatInt(Math.round(ms))} ms`;
}

/** 0.1234 -> "12.3%". */
export function formatPercent(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}%`;
}

/** A bytes count as KB / MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
