// Times as scripts write them ('2024-05-01T12:00:00Z'; durations such as '-5m' parse with
// lib/duration.ts), and the start_time / end_time bounds of px.DataFrame.
import { parseDurationNs } from '../../../lib/duration.js';
import type { CellValue, DataType } from '../../table-store/types.js';

/** RFC 3339 text (a date alone, or without a zone, means UTC) → ns since the epoch. */
export function parseTimeText(text: string): bigint | undefined {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?\s*$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? '0')) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  let ns = BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    ns -= sign * offsetMin * 60_000_000_000n;
  }
  return ns;
}

/**
 * A start_time / end_time constant → an absolute bound in ns. Duration text and negative ints are
 * relative to `now` ('-5m' = five minutes before now); time text, times and non-negative ints are
 * absolute.
 */
export function timeBound(type: DataType, value: CellValue, now: bigint): { readonly ns: bigint } | { readonly error: string } {
  if (type === 'time64ns' && typeof value === 'bigint') return { ns: value };
  if (type === 'int64' && typeof value === 'bigint') return { ns: value < 0n ? now + value : value };
  if (type === 'string' && typeof value === 'string') {
    const d = parseDurationNs(value);
    if (d !== undefined) return { ns: now + d };
    const t = parseTimeText(value);
    if (t !== undefined) return { ns: t };
    if (/^\s*\d+\s*$/.test(value)) return { ns: BigInt(value.trim()) };
    return { error: `'${value}' is neither a duration such as '-5m' nor a time such as '2024-05-01T12:00:00Z'` };
  }
  return { error: `expected a duration text such as '-5m', a time, or nanoseconds; got a ${type}` };
}
