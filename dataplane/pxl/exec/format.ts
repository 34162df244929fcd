// Result tables as text for the CLI: aligned columns (`--format table`) or JSON lines
// (`--format json`, one object per row).
import type { ColumnSchema } from '../../table-store/types.js';
import type { CellValue } from '../../table-store/types.js';
import type { ResultTable } from './results.js';

export interface TableFormatOptions {
  /** Render durations, bytes and percents for people (default true); raw values otherwise. */
  readonly humanize?: boolean;
  /** Widest a column gets; longer text is cut with '…' (default 64). */
  readonly maxWidth?: number;
}

/** ns since the epoch → RFC 3339 with nanoseconds. */
export function formatTime(ns: bigint): string {
  const ms = ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n);
  const sub = ns - ms * 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // ...SS.mmmZ
  return `${iso.slice(0, -1)}${sub.toString().padStart(6, '0')}Z`;
}

function formatFloat(x: number): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e15) return x.toFixed(6).replace(/\.?0+$/, '');
  return x.toPrecision(6);
}

const DURATION_UNITS: readonly [number, string][] = [
  [3_600e9, 'h'],
  [60e9, 'min'],
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
];

function formatDuration(ns: number): string {
  const a = Math.abs(ns);
  for (const [size, unit] of DURATION_UNITS) if (a >= size) return `${(ns / size).toFixed(2)} ${unit}`;
  return `${ns} ns`;
}

function formatBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${b} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** One cell as display text. */
export function formatCell(value: CellValue, column: ColumnSchema, humanize = true): string {
  if (column.type === 'time64ns') return formatTime(value as bigint);
  if (humanize && (typeof value === 'bigint' || typeof value === 'number')) {
    const n = Number(value);
    if (column.semantic === 'duration_ns') return formatDuration(n);
    if (column.semantic === 'bytes') return formatBytes(n);
    if (column.semantic === 'percent') return `${(n * 100).toFixed(1)}%`;
  }
  if (typeof value === 'number') return formatFloat(value);
  if (typeof value === 'string') return value.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return String(value);
}

const rightAligned = (c: ColumnSchema): boolean => c.type === 'int64' || c.type === 'float64';

/** The table as aligned text: its name, a header, the rows, and a row count. */
export function formatTable(table: ResultTable, opts: TableFormatOptions = {}): string {
  const humanize = opts.humanize ?? true;
  const maxWidth = Math.max(4, opts.maxWidth ?? 64);
  const cut = (s: string) => (s.length > maxWidth ? s.slice(0, maxWidth - 1) + '…' : s);
  const cols = table.relation;
  const cells = table.rows.map((row) => row.map((v, j) => cut(formatCell(v, cols[j]!, humanize))));
  const widths = cols.map((c, j) => cells.reduce((w, r) => Math.max(w, r[j]!.length), cut(c.name).length));
  const line = (values: readonly string[]) =>
    values
      .map((v, j) => (rightAligned(cols[j]!) ? v.padStart(widths[j]!) : v.padEnd(widths[j]!)))
      .join('  ')
      .trimEnd();
  const out = [table.name, line(cols.map((c) => cut(c.name))), ...cells.map(line)];
  const n = table.rows.length;
  out.push(`(${n} row${n === 1 ? '' : 's'}${table.truncated ? ', truncated at the result-row limit' : ''})`);
  return out.join('\n') + '\n';
}

function jsonValue(v: CellValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  return JSON.stringify(v);
}

/**
 * One JSON object per row: {"_table": name, column: value, ...}. int64 and time64ns (ns since
 * the epoch) are written as exact integers, which may exceed what a double holds; non-finite
 * floats become null.
 */
export function formatJsonLines(table: ResultTable): string {
  const keys = table.relation.map((c) => JSON.stringify(c.name));
  const head = `{"_table":${JSON.stringify(table.name)}`;
  let out = '';
  for (const row of table.rows) {
    let line = head;
    for (let j = 0; j < keys.length; j++) line += `,${keys[j]}:${jsonValue(row[j]!)}`;
    out += line + '}\n';
  }
  return out;
}
