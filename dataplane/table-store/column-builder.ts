// Growable column storage for the batch being filled, one builder per data type. Values are
// checked by the caller (cells.ts) before they reach set(); nothing here allocates per row
// except a dictionary entry for a string the batch has not seen yet.
import { Buffer } from 'node:buffer';
import type { CellValue, ColumnVector, DataType } from './types.js';

/** Whether 64-bit integers are stored low word first, so a number can be written as two 32-bit halves. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Accounted cost of one dictionary entry beyond its UTF-8 bytes: the slot in the dictionary
 * array and the header of the JavaScript string (approximately V8's).
 */
export const DICT_ENTRY_OVERHEAD_BYTES = 24;

/** Bytes of typed-array storage per row for a column of `type`. */
export function widthOf(type: DataType): number {
  switch (type) {
    case 'boolean':
      return 1;
    case 'string':
    case 'uint128':
      return 4;
    case 'int64':
    case 'time64ns':
    case 'float64':
      return 8;
  }
}

/** Accounted bytes of a dictionary string. */
export function dictEntryBytes(value: string): number {
  return Buffer.byteLength(value, 'utf8') + DICT_ENTRY_OVERHEAD_BYTES;
}

export interface ColumnBuilder {
  /**
   * Writes an already checked value at `index` (below the capacity). Returns the bytes it
   * added beyond the fixed width: a new dictionary string's cost, else 0.
   */
  set(index: number, value: CellValue): number;
  /** Undoes the last set() at `index`, which must be the highest index written. */
  unset(index: number): void;
  /** Moves the rows into storage of `capacity` rows. */
  grow(capacity: number, length: number): void;
  /** The first `length` rows, sharing storage: valid while no row below `length` is rewritten. */
  view(length: number): ColumnVector;
  /** The first `length` rows in storage of exactly that size; the builder is not used afterwards. */
  seal(length: number): ColumnVector;
}

export function createColumnBuilder(type: DataType, capacity: number): ColumnBuilder {
  switch (type) {
    case 'int64':
    case 'time64ns':
      return new Int64Builder(type, capacity);
    case 'float64':
      return new Float64Builder(capacity);
    case 'boolean':
      return new BooleanBuilder(capacity);
    case 'string':
    case 'uint128':
      return new DictBuilder(type, capacity);
  }
}

const TWO_32 = 4294967296;

class Int64Builder implements ColumnBuilder {
  private values: BigInt64Array;
  /** Views of the same buffer as 32-bit words, to store a safe-integer number without a BigInt. */
  private low: Uint32Array;
  private high: Int32Array;

  constructor(
    private readonly type: 'int64' | 'time64ns',
    capacity: number,
  ) {
    this.values = new BigInt64Array(capacity);
    this.low = new Uint32Array(this.values.buffer);
    this.high = new Int32Array(this.values.buffer);
  }

  set(index: number, value: CellValue): number {
    if (typeof value === 'number' && LITTLE_ENDIAN && Number.isSafeInteger(value)) {
      const high = Math.floor(value / TWO_32);
      this.low[2 * index] = value - high * TWO_32;
      this.high[2 * index + 1] = high;
    } else {
      this.values[index] = typeof value === 'bigint' ? value : BigInt(value as number);
    }
    return 0;
  }

  unset(): void {}

  grow(capacity: number, length: number): void {
    const values = new BigInt64Array(capacity);
    values.set(this.values.subarray(0, length));
    this.values = values;
    this.low = new Uint32Array(values.buffer);
    this.high = new Int32Array(values.buffer);
  }

  view(length: number): ColumnVector {
    return { type: this.type, values: this.values.subarray(0, length) };
  }

  seal(length: number): ColumnVector {
    return { type: this.type, values: length === this.values.length ? this.values : this.values.slice(0, length) };
  }
}

class Float64Builder implements ColumnBuilder {
  private values: Float64Array;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  set(index: number, value: CellValue): number {
    this.values[index] = value as number;
    return 0;
  }

  unset(): void {}

  grow(capacity: number, length: number): void {
    const values = new Float64Array(capacity);
    values.set(this.values.subarray(0, length));
    this.values = values;
  }

  view(length: number): ColumnVector {
    return { type: 'float64', values: this.values.subarray(0, length) };
  }

  seal(length: number): ColumnVector {
    return { type: 'float64', values: length === this.values.length ? this.values : this.values.slice(0, length) };
  }
}

class BooleanBuilder implements ColumnBuilder {
  private values: Uint8Array;

  constructor(capacity: number) {
    this.values = new Uint8Array(capacity);
  }

  set(index: number, value: CellValue): number {
    this.values[index] = value === true ? 1 : 0;
    return 0;
  }

  unset(): void {}

  grow(capacity: number, length: number): void {
    const values = new Uint8Array(capacity);
    values.set(this.values.subarray(0, length));
    this.values = values;
  }

  view(length: number): ColumnVector {
    return { type: 'boolean', values: this.values.subarray(0, length) };
  }

  seal(length: number): ColumnVector {
    return { type: 'boolean', values: length === this.values.length ? this.values : this.values.slice(0, length) };
  }
}

/** Per-batch dictionary: each distinct string once, rows hold its code. */
class DictBuilder implements ColumnBuilder {
  private codes: Uint32Array;
  private readonly dict: string[] = [];
  private readonly index = new Map<string, number>();
  /** Whether the last set() added a dictionary entry (what unset() must take back). */
  private lastAdded = false;

  constructor(
    private readonly type: 'string' | 'uint128',
    capacity: number,
  ) {
    this.codes = new Uint32Array(capacity);
  }

  set(index: number, value: CellValue): number {
    const text = value as string;
    let code = this.index.get(text);
    if (code !== undefined) {
      this.codes[index] = code;
      this.lastAdded = false;
      return 0;
    }
    code = this.dict.length;
    this.dict.push(text);
    this.index.set(text, code);
    this.codes[index] = code;
    this.lastAdded = true;
    return dictEntryBytes(text);
  }

  unset(): void {
    if (!this.lastAdded) return;
    this.index.delete(this.dict.pop()!);
    this.lastAdded = false;
  }

  grow(capacity: number, length: number): void {
    const codes = new Uint32Array(capacity);
    codes.set(this.codes.subarray(0, length));
    this.codes = codes;
  }

  view(length: number): ColumnVector {
    // The dictionary is copied: later rows add entries to this builder's array.
    return { type: this.type, codes: this.codes.subarray(0, length), dict: this.dict.slice() };
  }

  seal(length: number): ColumnVector {
    return { type: this.type, codes: length === this.codes.length ? this.codes : this.codes.slice(0, length), dict: this.dict };
  }
}
