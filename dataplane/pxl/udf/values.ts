// Values the function library works on: a column vector of a batch, or one constant (a
// literal argument, or the result of a call whose arguments are all constants). Constants are
// never broadcast to full vectors inside the library; the executor broadcasts only where an
// operator must output a column.
//
// Inner loops read a constant through a length-1 typed array and index `i & mask`, with mask
// 0 for a constant and -1 for a vector, so one loop serves vector∘vector, vector∘constant and
// constant∘vector without branches.
import { endianness } from 'node:os';
import type { BooleanVector, CellValue, ColumnVector, DataType, DictVector, Float64Vector, Int64Vector } from '../../table-store/types.js';

if (endianness() !== 'LE') throw new Error('the PxL executor reads int64 columns as little-endian int32 pairs; this machine is big-endian');

export interface Scalar {
  readonly scalar: true;
  readonly type: DataType;
  readonly value: CellValue;
}

export type Value = ColumnVector | Scalar;

export const isScalar = (v: Value): v is Scalar => 'scalar' in v;

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
const TWO32 = 4294967296;
const TWO63 = 2 ** 63;

/** A constant of a type, its value normalised to the representation of that type. */
export function scalar(type: DataType, value: CellValue): Scalar {
  return { scalar: true, type, value: normalizeCell(type, value) };
}

export function normalizeCell(type: DataType, value: CellValue): CellValue {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? value : Boolean(value);
    case 'int64':
    case 'time64ns':
      return typeof value === 'bigint' ? BigInt.asIntN(64, value) : toInt64(Number(value));
    case 'float64':
      return Number(value);
    case 'string':
    case 'uint128':
      return String(value);
  }
}

/** The value every type uses where Pixie's null-free model needs "nothing": false, 0, 0.0, ''. */
export function zeroCell(type: DataType): CellValue {
  switch (type) {
    case 'boolean':
      return false;
    case 'int64':
    case 'time64ns':
      return 0n;
    case 'float64':
      return 0;
    case 'string':
    case 'uint128':
      return '';
  }
}

/** A float to int64: truncation toward zero, NaN → 0, out of range → clamped. */
export function toInt64(x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  if (x >= TWO63) return INT64_MAX;
  if (x < -TWO63) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

/** The int32 halves of an int64 column, for reading values as doubles without BigInt. */
export function int32Pairs(values: BigInt64Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length * 2);
}

/** int64 values → float64 (correctly rounded; exact below 2^53). */
export function int64ToFloat64(values: BigInt64Array, n: number): Float64Array {
  const p = int32Pairs(values);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = p[2 * i + 1]! * TWO32 + (p[2 * i]! >>> 0);
  return out;
}

// ---- typed access with the constant mask ----

export interface Arr<T> {
  readonly a: T;
  readonly m: number;
}

export function ints(v: Value): Arr<BigInt64Array> {
  if (isScalar(v)) return { a: BigInt64Array.of(v.value as bigint), m: 0 };
  return { a: (v as Int64Vector).values, m: -1 };
}

export function floats(v: Value, n: number): Arr<Float64Array> {
  if (isScalar(v)) return { a: Float64Array.of(typeof v.value === 'bigint' ? Number(v.value) : (v.value as number)), m: 0 };
  if (v.type === 'float64') return { a: v.values, m: -1 };
  if (v.type === 'int64' || v.type === 'time64ns') return { a: int64ToFloat64(v.values, n), m: -1 };
  throw new TypeError(`expected a numeric column, got ${v.type}`);
}

export function bools(v: Value): Arr<Uint8Array> {
  if (isScalar(v)) return { a: Uint8Array.of(v.value ? 1 : 0), m: 0 };
  return { a: (v as BooleanVector).values, m: -1 };
}

export interface DictArr {
  readonly codes: Uint32Array;
  readonly dict: readonly string[];
  readonly m: number;
}

const ZERO_CODE = new Uint32Array(1);

export function strs(v: Value): DictArr {
  if (isScalar(v)) return { codes: ZERO_CODE, dict: [v.value as string], m: 0 };
  const d = v as DictVector;
  return { codes: d.codes, dict: d.dict, m: -1 };
}

export const allScalar = (args: readonly Value[]): boolean => args.every(isScalar);

/** The number of rows a call computes: 1 when every argument is a constant. */
export const rowsFor = (args: readonly Value[], n: number): number => (allScalar(args) ? 1 : n);

// ---- results ----

/** Wraps a computed vector; a length-1 result of all-constant arguments becomes a constant. */
export function result(type: DataType, vec: ColumnVector, constant: boolean): Value {
  return constant ? { scalar: true, type, value: cellAt(vec, 0) } : vec;
}

export const boolVec = (values: Uint8Array): BooleanVector => ({ type: 'boolean', values });
export const intVec = (values: BigInt64Array, type: 'int64' | 'time64ns' = 'int64'): Int64Vector => ({ type, values });
export const floatVec = (values: Float64Array): Float64Vector => ({ type: 'float64', values });
export const dictVec = (codes: Uint32Array, dict: readonly string[], type: 'string' | 'uint128' = 'string'): DictVector => ({ type, codes, dict });

export function cellAt(vec: ColumnVector, i: number): CellValue {
  switch (vec.type) {
    case 'boolean':
      return vec.values[i] === 1;
    case 'int64':
    case 'time64ns':
      return vec.values[i]!;
    case 'float64':
      return vec.values[i]!;
    case 'string':
    case 'uint128':
      return vec.dict[vec.codes[i]!]!;
  }
}

/** A constant as a full vector of n rows (strings: one dictionary entry, all codes 0). */
export function broadcast(v: Scalar, n: number): ColumnVector {
  switch (v.type) {
    case 'boolean':
      return boolVec(new Uint8Array(n).fill(v.value ? 1 : 0));
    case 'int64':
    case 'time64ns':
      return intVec(new BigInt64Array(n).fill(v.value as bigint), v.type);
    case 'float64':
      return floatVec(new Float64Array(n).fill(v.value as number));
    case 'string':
    case 'uint128':
      return dictVec(new Uint32Array(n), [v.value as string], v.type);
  }
}

export function toVector(v: Value, n: number): ColumnVector {
  return isScalar(v) ? broadcast(v, n) : v;
}

/** A vector of n zero values of a type (outer-join padding). */
export function zeroVector(type: DataType, n: number): ColumnVector {
  return broadcast(scalar(type, zeroCell(type)), n);
}

/** Builds a vector from cell values (tests, merges of small results). */
export function vectorOf(type: DataType, cells: readonly CellValue[]): ColumnVector {
  const n = cells.length;
  switch (type) {
    case 'boolean':
      return boolVec(Uint8Array.from(cells, (c) => (c ? 1 : 0)));
    case 'int64':
    case 'time64ns': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = normalizeCell(type, cells[i]!) as bigint;
      return intVec(out, type);
    }
    case 'float64':
      return floatVec(Float64Array.from(cells, (c) => Number(c)));
    case 'string':
    case 'uint128': {
      const b = new DictBuilder();
      const codes = new Uint32Array(n);
      for (let i = 0; i < n; i++) codes[i] = b.code(String(cells[i]));
      return dictVec(codes, b.dict, type);
    }
  }
}

/** Interns strings into a dictionary as rows produce them. */
export class DictBuilder {
  readonly dict: string[] = [];
  private readonly index = new Map<string, number>();

  code(s: string): number {
    let c = this.index.get(s);
    if (c === undefined) {
      c = this.dict.length;
      this.dict.push(s);
      this.index.set(s, c);
    }
    return c;
  }
}

/** Rows `sel[0..k)` of a vector. Dictionary vectors keep their dictionary. */
export function gather(vec: ColumnVector, sel: Uint32Array, k: number): ColumnVector {
  switch (vec.type) {
    case 'boolean': {
      const src = vec.values;
      const out = new Uint8Array(k);
      for (let i = 0; i < k; i++) out[i] = src[sel[i]!]!;
      return boolVec(out);
    }
    case 'int64':
    case 'time64ns': {
      const src = vec.values;
      const out = new BigInt64Array(k);
      for (let i = 0; i < k; i++) out[i] = src[sel[i]!]!;
      return intVec(out, vec.type);
    }
    case 'float64': {
      const src = vec.values;
      const out = new Float64Array(k);
      for (let i = 0; i < k; i++) out[i] = src[sel[i]!]!;
      return floatVec(out);
    }
    case 'string':
    case 'uint128': {
      const src = vec.codes;
      const out = new Uint32Array(k);
      for (let i = 0; i < k; i++) out[i] = src[sel[i]!]!;
      return dictVec(out, vec.dict, vec.type);
    }
  }
}

/** Rows [start, end) of a vector as views (no copy). */
export function sliceVector(vec: ColumnVector, start: number, end: number): ColumnVector {
  switch (vec.type) {
    case 'boolean':
      return boolVec(vec.values.subarray(start, end));
    case 'int64':
    case 'time64ns':
      return intVec(vec.values.subarray(start, end), vec.type);
    case 'float64':
      return floatVec(vec.values.subarray(start, end));
    case 'string':
    case 'uint128':
      return dictVec(vec.codes.subarray(start, end), vec.dict, vec.type);
  }
}

/**
 * A dictionary vector whose dictionary holds only the entries its first n rows use, in first
 * use order. Used before per-entry work when a batch references a small part of a large
 * (shared) dictionary.
 */
export function compactDict(vec: DictVector, n: number): DictVector {
  const codes = new Uint32Array(n);
  const dict: string[] = [];
  const src = vec.codes;
  if (vec.dict.length <= 16 * n) {
    const remap = new Int32Array(vec.dict.length).fill(-1);
    for (let i = 0; i < n; i++) {
      const c = src[i]!;
      let r = remap[c]!;
      if (r < 0) {
        r = dict.length;
        remap[c] = r;
        dict.push(vec.dict[c]!);
      }
      codes[i] = r;
    }
  } else {
    const remap = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const c = src[i]!;
      let r = remap.get(c);
      if (r === undefined) {
        r = dict.length;
        remap.set(c, r);
        dict.push(vec.dict[c]!);
      }
      codes[i] = r;
    }
  }
  return dictVec(codes, dict, vec.type);
}

/** Estimated bytes a vector of n rows holds (dictionary strings at 2 bytes a character + overhead). */
export function vectorBytes(vec: ColumnVector, n: number, countDict = true): number {
  switch (vec.type) {
    case 'boolean':
      return n;
    case 'int64':
    case 'time64ns':
    case 'float64':
      return 8 * n;
    case 'string':
    case 'uint128':
      return 4 * n + (countDict ? dictBytes(vec.dict) : 0);
  }
}

export function dictBytes(dict: readonly string[]): number {
  let b = 16 * dict.length;
  for (const s of dict) b += 2 * s.length;
  return b;
}
