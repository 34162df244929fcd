// Aggregates (UDAs): count, sum, mean, min, max, any, quantiles. Each keeps its state in typed
// arrays indexed by a dense group id, so the hot loop is `state[gid[i]] op= value[i]`.
//
// States are mergeable: in partial mode an aggregate serializes each group's state as a string
// (one string column per aggregate), and in final mode it merges those strings. Formats:
//   count       decimal count                 "42"
//   sum         decimal (int) or double text  "1234", "12.5"
//   mean        "<sum> <count>" (sum as the shortest round-tripping double text)
//   min/max/any the value as text ('0'/'1' for booleans, decimal for int64/time64ns)
//   quantiles   base64 of the sketch's binary state (sketch.ts)
// Merging depends only on the aggregate and its result type, never on the partial's input type.
import type { ColumnVector, DataType, DictVector } from '../../table-store/types.js';
import { QuantileSketch } from './sketch.js';
import { boolVec, dictVec, floatVec, int32Pairs, INT64_MAX, INT64_MIN, intVec } from './values.js';

export interface Accumulator {
  /** Makes room for groups [0, groups). */
  grow(groups: number): void;
  /** Adds n rows; row i belongs to group gid[i]. */
  update(gid: Int32Array, n: number, input: ColumnVector): void;
  /** Merges n serialized partial states (final mode); row i into group gid[i]. */
  merge(gid: Int32Array, n: number, states: DictVector): void;
  /** Results of groups [from, to). */
  result(from: number, to: number): ColumnVector;
  /** Serialized states of groups [from, to). */
  states(from: number, to: number): string[];
  /** Estimated bytes of state. */
  bytes(): number;
}

const TWO32 = 4294967296;

function growF64(a: Float64Array, n: number, fill = 0): Float64Array {
  if (n <= a.length) return a;
  const next = new Float64Array(Math.max(n, a.length * 2, 16));
  next.set(a);
  if (fill !== 0) next.fill(fill, a.length);
  return next;
}

function growI64(a: BigInt64Array, n: number, fill = 0n): BigInt64Array {
  if (n <= a.length) return a;
  const next = new BigInt64Array(Math.max(n, a.length * 2, 16));
  next.set(a);
  if (fill !== 0n) next.fill(fill, a.length);
  return next;
}

function growU8(a: Uint8Array, n: number): Uint8Array {
  if (n <= a.length) return a;
  const next = new Uint8Array(Math.max(n, a.length * 2, 16));
  next.set(a);
  return next;
}

const stateText = (states: DictVector, i: number): string => states.dict[states.codes[i]!]!;

/** A column of strings, one per group, as a dictionary vector. */
function stringColumn(values: string[], type: 'string' | 'uint128' = 'string'): DictVector {
  const codes = new Uint32Array(values.length);
  for (let i = 0; i < codes.length; i++) codes[i] = i;
  return dictVec(codes, values, type);
}

class Count implements Accumulator {
  private c: Float64Array = new Float64Array(0);
  grow(g: number): void {
    this.c = growF64(this.c, g);
  }
  update(gid: Int32Array, n: number): void {
    const c = this.c;
    for (let i = 0; i < n; i++) c[gid[i]!]!++;
  }
  merge(gid: Int32Array, n: number, s: DictVector): void {
    for (let i = 0; i < n; i++) this.c[gid[i]!]! += Number(stateText(s, i));
  }
  result(from: number, to: number): ColumnVector {
    const r = new BigInt64Array(to - from);
    for (let g = from; g < to; g++) r[g - from] = BigInt(this.c[g]!);
    return intVec(r);
  }
  states(from: number, to: number): string[] {
    return Array.from(this.c.subarray(from, to), String);
  }
  bytes(): number {
    return this.c.byteLength;
  }
}

/** int64 sum (boolean: the number of trues), exact and wrapping like BigInt.asIntN(64). */
class IntSum implements Accumulator {
  private s: BigInt64Array = new BigInt64Array(0);
  grow(g: number): void {
    this.s = growI64(this.s, g);
  }
  update(gid: Int32Array, n: number, input: ColumnVector): void {
    const s = this.s;
    if (input.type === 'boolean') {
      const v = input.values;
      for (let i = 0; i < n; i++) if (v[i]) s[gid[i]!]! += 1n;
      return;
    }
    const v = (input as { values: BigInt64Array }).values;
    for (let i = 0; i < n; i++) s[gid[i]!]! += v[i]!;
  }
  merge(gid: Int32Array, n: number, st: DictVector): void {
    for (let i = 0; i < n; i++) this.s[gid[i]!]! += BigInt(stateText(st, i));
  }
  result(from: number, to: number): ColumnVector {
    return intVec(this.s.slice(from, to));
  }
  states(from: number, to: number): string[] {
    return Array.from(this.s.subarray(from, to), String);
  }
  bytes(): number {
    return this.s.byteLength;
  }
}

class FloatSum implements Accumulator {
  private s: Float64Array = new Float64Array(0);
  grow(g: number): void {
    this.s = growF64(this.s, g);
  }
  update(gid: Int32Array, n: number, input: ColumnVector): void {
    const s = this.s;
    const v = (input as { values: Float64Array }).values;
    for (let i = 0; i < n; i++) s[gid[i]!]! += v[i]!;
  }
  merge(gid: Int32Array, n: number, st: DictVector): void {
    for (let i = 0; i < n; i++) this.s[gid[i]!]! += Number(stateText(st, i));
  }
  result(from: number, to: number): ColumnVector {
    return floatVec(this.s.slice(from, to));
  }
  states(from: number, to: number): string[] {
    return Array.from(this.s.subarray(from, to), String);
  }
  bytes(): number {
    return this.s.byteLength;
  }
}

/** Mean as a double sum and a count; int64 inputs are read as int32 pairs (no BigInt per row). */
class Mean implements Accumulator {
  private s: Float64Array = new Float64Array(0);
  private c: Float64Array = new Float64Array(0);
  grow(g: number): void {
    this.s = growF64(this.s, g);
    this.c = growF64(this.c, g);
  }
  update(gid: Int32Array, n: number, input: ColumnVector): void {
    const s = this.s;
    const c = this.c;
    if (input.type === 'int64' || input.type === 'time64ns') {
      const p = int32Pairs(input.values);
      for (let i = 0; i < n; i++) {
        const g = gid[i]!;
        s[g]! += p[2 * i + 1]! * TWO32 + (p[2 * i]! >>> 0);
        c[g]!++;
      }
    } else {
      const v = (input as { values: Float64Array | Uint8Array }).values;
      for (let i = 0; i < n; i++) {
        const g = gid[i]!;
        s[g]! += v[i]!;
        c[g]!++;
      }
    }
  }
  merge(gid: Int32Array, n: number, st: DictVector): void {
    for (let i = 0; i < n; i++) {
      const text = stateText(st, i);
      const sp = text.indexOf(' ');
      const g = gid[i]!;
      this.s[g]! += Number(text.slice(0, sp));
      this.c[g]! += Number(text.slice(sp + 1));
    }
  }
  result(from: number, to: number): ColumnVector {
    const r = new Float64Array(to - from);
    for (let g = from; g < to; g++) r[g - from] = this.c[g]! === 0 ? 0 : this.s[g]! / this.c[g]!;
    return floatVec(r);
  }
  states(from: number, to: number): string[] {
    const out: string[] = [];
    for (let g = from; g < to; g++) out.push(`${this.s[g]} ${this.c[g]}`);
    return out;
  }
  bytes(): number {
    return this.s.byteLength + this.c.byteLength;
  }
}

class IntExtreme implements Accumulator {
  private v: BigInt64Array = new BigInt64Array(0);
  constructor(
    private readonly isMax: boolean,
    private readonly type: 'int64' | 'time64ns',
  ) {}
  grow(g: number): void {
    this.v = growI64(this.v, g, this.isMax ? INT64_MIN : INT64_MAX);
  }
  update(gid: Int32Array, n: number, input: ColumnVector): void {
    const acc = this.v;
    const v = (input as { values: BigInt64Array }).values;
    if (this.isMax) {
      for (let i = 0; i < n; i++) {
        const g = gid[i]!;
        const x = v[i]!;
        if (x > acc[g]!) acc[g] = x;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const g = gid[i]!;
        const x = v[i]!;
        if (x < acc[g]!) acc[g] = x;
      }
    }
  }
  merge(gid: Int32Array, n: number, st: DictVector): void {
    for (let i = 0; i < n; i++) {
      const g = gid[i]!;
      const x = BigInt(stateText(st, i));
      if (this.isMax ? x > this.v[g]! : x < this.v[g]!) this.v[g] = x;
    }
  }
  result(from: number, to: number): ColumnVector {
    return intVec(this.v.slice(from, to), this.type);
  }
  states(from: number, to: number): string[] {
    return Array.from(this.v.subarray(from, to), String);
  }
  bytes(): number {
    return this.v.byteLength;
  }
}

class FloatExtreme implements Accumulator {
  private v: Float64Array = new Float64Array(0);
  constructor(private readonly isMax: boolean) {}
  grow(g: number): void {
    this.v = growF64(this.v, g, this.isMax ? -Infinity : Infinity);
  }
  update(gid: Int32Array, n: number, input: ColumnVector): void {
    const acc = this.v;
    const v = (input as { values: Float64Array }).values;
    if (this.isMax) {
      for (let i = 0; i < n; i++) {
        const g = gid[i]!;
        if (v[i]! > acc[g]!) acc[g] = v[i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const g = gid[i]!;
        if (v[i]! < acc[g]!) acc[g] = v[i]!;
      }
    }
  }
  merge(gid: Int32Array, n: number, st: DictVector): void {
    for (let i = 0; i < n; i++) {
      const g = gid[i]!;
      const x = Number(stateText(st, i));
      if (this.isMax ? x > this.v[g]! : x < this.v[g]!) this.v[g] = x;
    }
  }
  result(from: number, to: number): ColumnVector {
    return floatVec(this.v.slice(from, to));
  }
  states(from: number, to: number): string[] {
    return Array.from(this.v.subarray(from, to), String);
  }
  bytes(): number {
    return this.v.byteLength;
  }
}

class StringExtreme implements Accumulator {
  private v: (string | undefined)[] = [];
  private chars = 0;
  constructor(
    private readonly isMax: boolean,
    private readonly type: 'string' | 'uint128',
  ) {}
  grow(g: number): void {
    while (this.v.length < g) this.v.push(undefined);
  }
  private take(g: number, x: string): void {
    const cur = this.v[g];
    if (cur === undefined || (this.isMax ? x > cur : x < cur)) {
      this.chars += x.length - (cur?.length ?? 0);
      this.v[g] = x;
    }
  }
  update(gid: Int32Array, n: number, input: ColumnVector): void {
    const { codes, dict } = input as DictVector;
    for (let i = 0; i < n; i++) this.take(gid[i]!, dict[codes[i]!]!);
  }
  merge(gid: Int32Array, n: number, st: DictVector): void {
    for (let i = 0; i < n; i++) this.take(gid[i]!, stateText(st, i));
  }
  result(from: number, to: number): ColumnVector {
    return stringColumn(this.states(from, to), this.type);
  }
  states(from: number, to: number): string[] {
    return this.v.slice(from, to).map((s) => s ?? '');
  }
  bytes(): number {
    return 24 * this.v.length + 2 * this.chars;
  }
}

/** The first value seen in each group. */
class AnyValue implements Accumulator {
  private seen: Uint8Array = new Uint8Array(0);
  private ints: BigInt64Array = new BigInt64Array(0);
  private floats: Float64Array = new Float64Array(0);
  private strs: string[] = [];
  private chars = 0;
  constructor(private readonly type: DataType) {}
  grow(g: number): void {
    this.seen = growU8(this.seen, g);
    if (this.type === 'int64' || this.type === 'time64ns') this.ints = growI64(this.ints, g);
    else if (this.type === 'string' || this.type === 'uint128') while (this.strs.length < g) this.strs.push('');
    else this.floats = growF64(this.floats, g);
  }
  update(gid: Int32Array, n: number, input: ColumnVector): void {
    const seen = this.seen;
    for (let i = 0; i < n; i++) {
      const g = gid[i]!;
      if (seen[g]) continue;
      seen[g] = 1;
      switch (input.type) {
        case 'int64':
        case 'time64ns':
          this.ints[g] = input.values[i]!;
          break;
        case 'string':
        case 'uint128':
          this.strs[g] = input.dict[input.codes[i]!]!;
          this.chars += this.strs[g]!.length;
          break;
        default:
          this.floats[g] = input.values[i]!;
      }
    }
  }
  merge(gid: Int32Array, n: number, st: DictVector): void {
    for (let i = 0; i < n; i++) {
      const g = gid[i]!;
      if (this.seen[g]) continue;
      this.seen[g] = 1;
      const t = stateText(st, i);
      if (this.type === 'int64' || this.type === 'time64ns') this.ints[g] = BigInt(t);
      else if (this.type === 'string' || this.type === 'uint128') {
        this.strs[g] = t;
        this.chars += t.length;
      } else this.floats[g] = Number(t);
    }
  }
  result(from: number, to: number): ColumnVector {
    switch (this.type) {
      case 'int64':
      case 'time64ns':
        return intVec(this.ints.slice(from, to), this.type);
      case 'string':
      case 'uint128':
        return stringColumn(this.strs.slice(from, to), this.type);
      case 'boolean':
        return boolVec(Uint8Array.from(this.floats.subarray(from, to)));
      default:
        return floatVec(this.floats.slice(from, to));
    }
  }
  states(from: number, to: number): string[] {
    switch (this.type) {
      case 'int64':
      case 'time64ns':
        return Array.from(this.ints.subarray(from, to), String);
      case 'string':
      case 'uint128':
        return this.strs.slice(from, to);
      default:
        return Array.from(this.floats.subarray(from, to), String);
    }
  }
  bytes(): number {
    return this.seen.byteLength + this.ints.byteLength + this.floats.byteLength + 24 * this.strs.length + 2 * this.chars;
  }
}

class Quantiles implements Accumulator {
  private sk: QuantileSketch[] = [];
  private readonly meter = { bytes: 0 };
  grow(g: number): void {
    while (this.sk.length < g) this.sk.push(new QuantileSketch(this.meter));
  }
  update(gid: Int32Array, n: number, input: ColumnVector): void {
    const sk = this.sk;
    if (input.type === 'int64' || input.type === 'time64ns') {
      const p = int32Pairs(input.values);
      for (let i = 0; i < n; i++) sk[gid[i]!]!.add(p[2 * i + 1]! * TWO32 + (p[2 * i]! >>> 0));
    } else {
      const v = (input as { values: Float64Array }).values;
      for (let i = 0; i < n; i++) sk[gid[i]!]!.add(v[i]!);
    }
  }
  merge(gid: Int32Array, n: number, st: DictVector): void {
    for (let i = 0; i < n; i++) this.sk[gid[i]!]!.merge(QuantileSketch.deserialize(stateText(st, i)));
  }
  result(from: number, to: number): ColumnVector {
    return stringColumn(this.sk.slice(from, to).map((s) => s.toJson()));
  }
  states(from: number, to: number): string[] {
    return this.sk.slice(from, to).map((s) => s.serialize());
  }
  bytes(): number {
    return 160 * this.sk.length + this.meter.bytes;
  }
}

export interface AggregateImpl {
  readonly arg: DataType;
  readonly returns: DataType;
  readonly create: () => Accumulator;
}

const ALL: readonly DataType[] = ['boolean', 'int64', 'uint128', 'float64', 'string', 'time64ns'];
const ORDERED: readonly DataType[] = ['int64', 'float64', 'time64ns', 'string'];

function extreme(isMax: boolean, t: DataType): () => Accumulator {
  if (t === 'int64' || t === 'time64ns') return () => new IntExtreme(isMax, t);
  if (t === 'float64') return () => new FloatExtreme(isMax);
  return () => new StringExtreme(isMax, t as 'string' | 'uint128');
}

export const AGGREGATE_IMPLS: Readonly<Record<string, readonly AggregateImpl[]>> = {
  count: ALL.map((t) => ({ arg: t, returns: 'int64', create: () => new Count() })),
  sum: [
    { arg: 'int64', returns: 'int64', create: () => new IntSum() },
    { arg: 'float64', returns: 'float64', create: () => new FloatSum() },
    { arg: 'boolean', returns: 'int64', create: () => new IntSum() },
  ],
  mean: (['int64', 'float64', 'boolean'] as const).map((t) => ({ arg: t, returns: 'float64', create: () => new Mean() })),
  min: ORDERED.map((t) => ({ arg: t, returns: t, create: extreme(false, t) })),
  max: ORDERED.map((t) => ({ arg: t, returns: t, create: extreme(true, t) })),
  quantiles: (['int64', 'float64'] as const).map((t) => ({ arg: t, returns: 'string', create: () => new Quantiles() })),
  any: ALL.map((t) => ({ arg: t, returns: t, create: () => new AnyValue(t) })),
};

/** The accumulator for rows of type `arg` (full and partial mode). */
export function aggregateFor(fn: string, arg: DataType): AggregateImpl | undefined {
  return AGGREGATE_IMPLS[fn]?.find((o) => o.arg === arg);
}

/** The accumulator that merges states of an aggregate with result type `returns` (final mode). */
export function mergerFor(fn: string, returns: DataType): AggregateImpl | undefined {
  return AGGREGATE_IMPLS[fn]?.find((o) => o.returns === returns);
}

/** What an aggregate gives for a group that saw no rows (an ungrouped aggregate over no rows). */
export function emptyResult(fn: string, type: DataType): ColumnVector {
  if (fn === 'quantiles') return stringColumn([new QuantileSketch().toJson()]);
  switch (type) {
    case 'boolean':
      return boolVec(new Uint8Array(1));
    case 'int64':
    case 'time64ns':
      return intVec(new BigInt64Array(1), type);
    case 'float64':
      return floatVec(new Float64Array(1));
    default:
      return stringColumn([''], type);
  }
}
