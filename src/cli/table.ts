/**
 * Aligned plain-text tables for the CLI, and the number formats they use. Numbers are right-aligned, text is
 * left-aligned; colour (bold headers and totals, dim rules) is used only when asked, which the commands do only
 * when stdout is a terminal and NO_COLOR is unset (https://no-color.org).
 */

/** 1234567 -> "1,234,567" (integers; other numbers keep up to `digits` decimals). */
export function formatCount(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  const fixed = Math.abs(n).toFixed(digits);
  const [whole, fraction] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (n < 0 ? '-' : '') + grouped + (fraction !== undefined ? `.${fraction}` : '');
}

const SCALES: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];

/** 569_355_000 -> "569.36M": decimal (SI) suffixes K, M, G, T with `digits` decimals; below 1000 the plain value. */
export function formatScaled(n: number, digits = 2): string {
  const a = Math.abs(n);
  for (const [scale, suffix] of SCALES) if (a >= scale) return `${(n / scale).toFixed(digits)}${suffix}`;
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

/** Bytes with decimal units: 4_200_000 -> "4.20 MB". */
export function formatBytes(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)} MB`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** 0.4567 -> "45.7%". */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** Whether to colour output written to `stream`: only on a terminal, and never when NO_COLOR is set. */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

export type Cell = string | number;

export interface Column<R> {
  header: string;
  /** The cell for a row; numbers are formatted with `format` (default: thousands separators) and right-aligned. */
  value: (row: R) => Cell;
  format?: (n: number) => string;
  /** Overrides the default (right for numbers, left for text). */
  align?: 'left' | 'right';
}

export interface TableOptions<R> {
  /** Rows printed after a rule, in bold when coloured (totals). */
  footer?: R[];
  color?: boolean;
  /** Spaces between columns. */
  gap?: number;
}

const bold = (s: string): string => `\x1b[1m${s}\x1b[22m`;
const dim = (s: string): string => `\x1b[2m${s}\x1b[22m`;

interface RenderedCell {
  text: string;
  right: boolean;
}

function renderCell<R>(column: Column<R>, row: R): RenderedCell {
  const v = column.value(row);
  const text = typeof v === 'number' ? (column.format ?? formatCount)(v) : v;
  return { text, right: column.align !== undefined ? column.align === 'right' : typeof v === 'number' };
}

/** Renders `rows` (then `footer`) under a header line; returns the lines joined with '\n', with a trailing newline. */
export function renderTable<R>(columns: readonly Column<R>[], rows: readonly R[], options: TableOptions<R> = {}): string {
  const { footer = [], color = false, gap = 2 } = options;
  const body = rows.map((r) => columns.map((c) => renderCell(c, r)));
  const foot = footer.map((r) => columns.map((c) => renderCell(c, r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...[...body, ...foot].map((cells) => cells[i].text.length)));
  const header: RenderedCell[] = columns.map((c, i) => ({ text: c.header, right: body[0]?.[i].right ?? c.align === 'right' }));
  const line = (cells: RenderedCell[]): string =>
    cells.map((cell, i) => (cell.right ? cell.text.padStart(widths[i]) : cell.text.padEnd(widths[i]))).join(' '.repeat(gap)).trimEnd();
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1));
  const out = [color ? bold(line(header)) : line(header), color ? dim(rule) : rule, ...body.map(line)];
  if (foot.length > 0) {
    out.push(color ? dim(rule) : rule);
    for (const cells of foot) out.push(color ? bold(line(cells)) : line(cells));
  }
  return out.join('\n') + '\n';
}

/** "key: value" lines with the values aligned. */
export function renderKeyValues(pairs: readonly [string, string][], color = false): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${color ? bold((k + ':').padEnd(width + 1)) : (k + ':').padEnd(width + 1)}  ${v}`).join('\n') + '\n';
}
