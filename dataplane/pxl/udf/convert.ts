// Conversions between types, and time functions (bin, parse_duration, parse_time).
import { parseDurationNs } from '../../../lib/duration.js';
import { UdfError } from './context.js';
import { impl, type ScalarFn, type ScalarImpl } from './impl.js';
import { rowwise } from './rowwise.js';
import { allScalar, floatVec, int64ToFloat64, ints, intVec, isScalar, result, type Value } from './values.js';

/** Same int64 values under another type (time64ns ↔ int64): no copy. */
function retype(to: 'int64' | 'time64ns'): ScalarFn {
  return (args) => {
    const v = args[0]!;
    if (isScalar(v)) return { scalar: true, type: to, value: v.value };
    return intVec((v as { values: BigInt64Array }).values, to);
  };
}

const toFloat: ScalarFn = (args, n) => {
  const v = args[0]!;
  if (isScalar(v)) return { scalar: true, type: 'float64', value: Number(v.value as bigint) };
  return floatVec(int64ToFloat64((v as { values: BigInt64Array }).values, n));
};

const INTEGER = /^\s*[+-]?\d+\s*$/;
const FLOAT = /^\s*[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)\s*$/i;

export function atoi(s: string): bigint {
  return INTEGER.test(s) ? BigInt.asIntN(64, BigInt(s.trim())) : 0n;
}

export function atof(s: string): number {
  if (!FLOAT.test(s)) return NaN;
  const t = s.trim().toLowerCase();
  if (t.endsWith('nan')) return NaN;
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}

/**
 * bin(t, width): the largest multiple of width that is ≤ t (floor, also for negative t); a
 * width ≤ 0 leaves t unchanged. Rows in time order fall in runs of one bin, so each row first
 * checks the previous row's bin before dividing.
 */
function bin(type: 'int64' | 'time64ns'): ScalarFn {
  return (args: readonly Value[], n) => {
    const c = allScalar(args);
    const k = c ? 1 : n;
    const { a: t, m: mt } = ints(args[0]!);
    const { a: w, m: mw } = ints(args[1]!);
    const r = new BigInt64Array(k);
    let lo = 1n;
    let hi = 0n;
    let lastW = 0n;
    for (let i = 0; i < k; i++) {
      const x = t[i & mt]!;
      const width = w[i & mw]!;
      if (width <= 0n) {
        r[i] = x;
        continue;
      }
      if (width !== lastW || x < lo || x >= hi) {
        const rem = x % width;
        lo = rem < 0n ? x - rem - width : x - rem;
        hi = lo + width;
        lastW = width;
      }
      r[i] = lo;
    }
    return result(type, intVec(r, type), c);
  };
}

/** Pixie's duration text → ns (lib/duration.ts: "-5m", "30s", "1h30m", "1.5s", "250ms"). */
export function parseDuration(text: string): bigint {
  const ns = parseDurationNs(text);
  if (ns === undefined) throw new UdfError('bad_argument', `'${text}' is not a duration; write it like -5m, 30s, 1h30m or 250ms`);
  return ns;
}

/** RFC 3339 / ISO 8601 date-time ("2024-05-01T12:00:00.123456789Z", "+02:00" offsets, a date alone) → ns since the epoch. */
export function parseTime(text: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) throw new UdfError('bad_argument', `'${text}' is not an RFC 3339 time; write it like 2024-05-01T12:00:00Z`);
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (Number.isNaN(ms) || Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60) {
    throw new UdfError('bad_argument', `'${text}' is not a valid time`);
  }
  let ns = BigInt(ms) * 1_000_000n + (frac ? BigInt(frac.padEnd(9, '0')) : 0n);
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    ns -= sign * offsetMin * 60_000_000_000n;
  }
  return ns;
}

export const CONVERT_FUNCTIONS: Record<string, ScalarImpl[]> = {
  int64_to_string: [impl(['int64'], 'string', rowwise('int64_to_string', 'string', ([x]) => String(x)))],
  float64_to_string: [impl(['float64'], 'string', rowwise('float64_to_string', 'string', ([x]) => String(x)))],
  time_to_int64: [impl(['time64ns'], 'int64', retype('int64'))],
  int64_to_time: [impl(['int64'], 'time64ns', retype('time64ns'))],
  int64_to_float64: [impl(['int64'], 'float64', toFloat)],
  atoi: [impl(['string'], 'int64', rowwise('atoi', 'int64', ([s]) => atoi(s as string)))],
  atof: [impl(['string'], 'float64', rowwise('atof', 'float64', ([s]) => atof(s as string)))],
  bin: [impl(['time64ns', 'int64'], 'time64ns', bin('time64ns')), impl(['int64', 'int64'], 'int64', bin('int64'))],
  parse_duration: [impl(['string'], 'int64', rowwise('parse_duration', 'int64', ([s]) => parseDuration(s as string)))],
  parse_time: [impl(['string'], 'time64ns', rowwise('parse_time', 'time64ns', ([s]) => parseTime(s as string)))],
};
