// Constant folding: a call whose arguments are all constants becomes a constant at compile time
// (so `px.now() - px.minutes(5)` is a plain time). Only functions whose result is unambiguous
// fold; the rest stay calls for the executor. int64 arithmetic wraps like the executor's.
import type { CellValue, DataType } from '../../table-store/types.js';
import { parseDurationNs } from '../../../lib/duration.js';
import { parseTimeText } from './time.js';

export type Folded = { readonly value: CellValue } | { readonly error: string } | undefined;

const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);
const num = (v: CellValue): number => (typeof v === 'bigint' ? Number(v) : Number(v));
const isInt = (t: DataType | undefined): boolean => t === 'int64' || t === 'time64ns';

function arithmetic(op: string, a: CellValue, b: CellValue, types: readonly DataType[], returns: DataType): Folded {
  if (returns === 'string' && typeof a === 'string' && typeof b === 'string') return op === 'add' ? { value: a + b } : undefined;
  const ints = isInt(types[0]) && isInt(types[1]) && typeof a === 'bigint' && typeof b === 'bigint';
  if (ints && returns !== 'float64') {
    switch (op) {
      case 'add':
        return { value: wrap(a + b) };
      case 'subtract':
        return { value: wrap(a - b) };
      case 'multiply':
        return { value: wrap(a * b) };
      case 'modulo':
        return b === 0n ? { error: 'modulo by zero' } : { value: a % b };
      default:
        return undefined;
    }
  }
  const x = num(a);
  const y = num(b);
  switch (op) {
    case 'add':
      return { value: x + y };
    case 'subtract':
      return { value: x - y };
    case 'multiply':
      return { value: x * y };
    case 'divide':
      return { value: x / y };
    case 'pow':
      return { value: Math.pow(x, y) };
    default:
      return undefined;
  }
}

function compare(op: string, a: CellValue, b: CellValue): boolean | undefined {
  let c: number;
  if (typeof a === 'bigint' && typeof b === 'bigint') c = a < b ? -1 : a > b ? 1 : 0;
  else if (typeof a === 'string' && typeof b === 'string') c = a < b ? -1 : a > b ? 1 : 0;
  else if (typeof a === 'boolean' && typeof b === 'boolean') c = Number(a) - Number(b);
  else {
    const x = num(a);
    const y = num(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return op === 'notEqual';
    c = x < y ? -1 : x > y ? 1 : 0;
  }
  switch (op) {
    case 'equal':
      return c === 0;
    case 'notEqual':
      return c !== 0;
    case 'lessThan':
      return c < 0;
    case 'lessThanEqual':
      return c <= 0;
    case 'greaterThan':
      return c > 0;
    case 'greaterThanEqual':
      return c >= 0;
    default:
      return undefined;
  }
}

function toInt(x: number): Folded {
  return Number.isFinite(x) && Math.abs(x) < 2 ** 63 ? { value: BigInt(x) } : undefined;
}

/** Folds `fn(args)` when every argument is a constant; undefined leaves the call in the plan. */
export function foldCall(fn: string, args: readonly CellValue[], types: readonly DataType[], returns: DataType): Folded {
  const [a, b, c] = args;
  if (a === undefined) return undefined;
  switch (fn) {
    case 'add':
    case 'subtract':
    case 'multiply':
    case 'divide':
    case 'modulo':
    case 'pow':
      return b === undefined ? undefined : arithmetic(fn, a, b, types, returns);
    case 'equal':
    case 'notEqual':
    case 'lessThan':
    case 'lessThanEqual':
    case 'greaterThan':
    case 'greaterThanEqual': {
      if (b === undefined) return undefined;
      const r = compare(fn, a, b);
      return r === undefined ? undefined : { value: r };
    }
    case 'logicalAnd':
      return { value: a === true && b === true };
    case 'logicalOr':
      return { value: a === true || b === true };
    case 'logicalNot':
    case 'invert':
      return { value: a !== true };
    case 'negate':
      return typeof a === 'bigint' ? { value: wrap(-a) } : { value: -num(a) };
    case 'abs':
      return typeof a === 'bigint' ? { value: wrap(a < 0n ? -a : a) } : { value: Math.abs(num(a)) };
    case 'floor':
      return typeof a === 'bigint' ? { value: a } : toInt(Math.floor(num(a)));
    case 'ceil':
      return typeof a === 'bigint' ? { value: a } : toInt(Math.ceil(num(a)));
    case 'select':
      return b === undefined || c === undefined ? undefined : { value: a === true ? b : c };
    case 'int64_to_float64':
      return { value: num(a) };
    case 'int64_to_string':
      return { value: String(a) };
    case 'time_to_int64':
    case 'int64_to_time':
      return { value: a };
    case 'contains':
      return typeof a === 'string' && typeof b === 'string' ? { value: a.includes(b) } : undefined;
    case 'parse_duration': {
      const d = typeof a === 'string' ? parseDurationNs(a) : undefined;
      return d === undefined ? { error: `'${String(a)}' is not a duration such as '-5m', '30s' or '1h30m'` } : { value: d };
    }
    case 'parse_time': {
      const t = typeof a === 'string' ? parseTimeText(a) : undefined;
      return t === undefined ? { error: `'${String(a)}' is not an RFC 3339 time such as '2024-05-01T12:00:00Z'` } : { value: t };
    }
    case 'bin':
      // Only non-negative times fold: the executor decides how negative values floor.
      return typeof a === 'bigint' && typeof b === 'bigint' && a >= 0n && b > 0n ? { value: a - (a % b) } : undefined;
    default:
      return undefined;
  }
}
