// Which JavaScript values a column of each data type accepts. Checked for a whole row before
// any of it is written, so a bad row never leaves part of itself behind.
import type { DataType } from './types.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** 2^63 as a double: integers in [-2^63, 2^63) fit an int64. */
const INT64_BOUND = 2 ** 63;

/** True when `value` can be stored in a column of `type` (numbers convert for int64 and time64ns). */
export function cellFits(type: DataType, value: unknown): boolean {
  switch (type) {
    case 'int64':
    case 'time64ns':
      if (typeof value === 'bigint') return value >= INT64_MIN && value <= INT64_MAX;
      return typeof value === 'number' && Number.isInteger(value) && value >= -INT64_BOUND && value < INT64_BOUND;
    case 'float64':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
    case 'uint128':
      return typeof value === 'string';
  }
}

/** What a column of `type` accepts, for error messages. */
export function expectedValue(type: DataType): string {
  switch (type) {
    case 'int64':
    case 'time64ns':
      return `${type} (a bigint, or an integer number, in the signed 64-bit range)`;
    case 'float64':
      return 'float64 (a number)';
    case 'boolean':
      return 'boolean (true or false)';
    case 'string':
      return 'string';
    case 'uint128':
      return 'uint128 (a string in its canonical text form, e.g. a upid "tgid:startTicks")';
  }
}
