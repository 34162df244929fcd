// Group keys → dense group ids, for the hash aggregate and the hash join.
//
// Each key column maps its values to dense column ids: a dictionary column resolves each
// dictionary entry once (cached per dictionary, so a dictionary shared by many batches is
// resolved once), small non-negative integers go through a direct table, other values through
// a Map (with a check of the previous row first: time bins and sorted keys come in runs).
// Several key columns fold pairwise: (id0, id1) → id01, (id01, id2) → id012, ...; each fold is
// a flat table indexed a·dimB + b while the ids are small, an open-addressing hash otherwise.
// Nothing allocates per row.
import type { ColumnVector, DataType, DictVector } from '../../table-store/types.js';
import { boolVec, dictVec, floatVec, int32Pairs, intVec } from '../udf/values.js';

const ABSENT = -1;

function growI32(a: Int32Array, n: number, fill = 0): Int32Array {
  if (n <= a.length) return a;
  const next = new Int32Array(Math.max(n, a.length * 2, 16));
  next.set(a);
  if (fill !== 0) next.fill(fill, a.length);
  return next;
}

interface ColumnKeys {
  readonly size: number;
  /** out[i] = column id of row i; inserting new values, or ABSENT for unknown ones when !insert. */
  ids(vec: ColumnVector, n: number, out: Int32Array, insert: boolean): void;
  /** Values of column ids ids[0..k). */
  vector(ids: Int32Array, k: number): ColumnVector;
  bytes(): number;
}

class DictKeys implements ColumnKeys {
  private readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  private chars = 0;
  private lastDict: readonly string[] | undefined;
  private remap: Int32Array = new Int32Array(0);
  private remapInsert = false;

  constructor(private readonly type: 'string' | 'uint128') {}

  get size(): number {
    return this.values.length;
  }

  private resolve(s: string, insert: boolean): number {
    let id = this.index.get(s);
    if (id === undefined) {
      if (!insert) return ABSENT;
      id = this.values.length;
      this.values.push(s);
      this.index.set(s, id);
      this.chars += s.length;
    }
    return id;
  }

  ids(vec: ColumnVector, n: number, out: Int32Array, insert: boolean): void {
    const { codes, dict } = vec as DictVector;
    // -2 = not resolved yet for this dictionary; ABSENT is a resolved miss (lookup only).
    if (dict !== this.lastDict || insert !== this.remapInsert) {
      this.lastDict = dict;
      this.remapInsert = insert;
      this.remap = new Int32Array(dict.length).fill(-2);
    } else if (this.remap.length < dict.length) {
      const next = new Int32Array(dict.length).fill(-2);
      next.set(this.remap);
      this.remap = next;
    }
    const remap = this.remap;
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      let r = remap[c]!;
      if (r === -2) {
        r = this.resolve(dict[c]!, insert);
        remap[c] = r;
      }
      out[i] = r;
    }
  }

  vector(ids: Int32Array, k: number): ColumnVector {
    return dictVec(new Uint32Array(ids.buffer, ids.byteOffset, k).slice(), this.values, this.type);
  }

  bytes(): number {
    return 2 * this.chars + 72 * this.values.length + this.remap.byteLength;
  }
}

const SMALL = 1 << 16;

class IntKeys implements ColumnKeys {
  private values: BigInt64Array = new BigInt64Array(16);
  private n = 0;
  private small: Int32Array | undefined;
  private readonly big = new Map<bigint, number>();

  constructor(private readonly type: 'int64' | 'time64ns') {}

  get size(): number {
    return this.n;
  }

  private add(v: bigint): number {
    if (this.n === this.values.length) {
      const next = new BigInt64Array(this.n * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.n] = v;
    return this.n++;
  }

  ids(vec: ColumnVector, n: number, out: Int32Array, insert: boolean): void {
    const vals = (vec as { values: BigInt64Array }).values;
    const p = int32Pairs(vals);
    const small = (this.small ??= new Int32Array(SMALL).fill(ABSENT));
    let lastLo = 0;
    let lastHi = 0;
    let lastR = -2;
    for (let i = 0; i < n; i++) {
      const lo = p[2 * i]!;
      const hi = p[2 * i + 1]!;
      let r: number;
      if (hi === 0 && lo >= 0 && lo < SMALL) {
        r = small[lo]!;
        if (r === ABSENT && insert) small[lo] = r = this.add(BigInt(lo));
      } else if (lo === lastLo && hi === lastHi && lastR !== -2) {
        r = lastR;
      } else {
        const v = vals[i]!;
        r = this.big.get(v) ?? ABSENT;
        if (r === ABSENT && insert) {
          r = this.add(v);
          this.big.set(v, r);
        }
        lastLo = lo;
        lastHi = hi;
        lastR = r;
      }
      out[i] = r;
    }
  }

  vector(ids: Int32Array, k: number): ColumnVector {
    const r = new BigInt64Array(k);
    for (let i = 0; i < k; i++) r[i] = this.values[ids[i]!]!;
    return intVec(r, this.type);
  }

  bytes(): number {
    return this.values.byteLength + (this.small ? this.small.byteLength : 0) + 80 * this.big.size;
  }
}

class FloatKeys implements ColumnKeys {
  private values: Float64Array = new Float64Array(16);
  private n = 0;
  private readonly index = new Map<number, number>();

  get size(): number {
    return this.n;
  }

  ids(vec: ColumnVector, n: number, out: Int32Array, insert: boolean): void {
    const vals = (vec as { values: Float64Array }).values;
    let last = NaN;
    let lastR = -2;
    for (let i = 0; i < n; i++) {
      const v = vals[i]!;
      if (v === last && lastR !== -2) {
        out[i] = lastR;
        continue;
      }
      let r = this.index.get(v) ?? ABSENT;
      if (r === ABSENT && insert) {
        if (this.n === this.values.length) {
          const next = new Float64Array(this.n * 2);
          next.set(this.values);
          this.values = next;
        }
        r = this.n++;
        this.values[r] = v;
        this.index.set(v, r);
      }
      last = v;
      lastR = r;
      out[i] = r;
    }
  }

  vector(ids: Int32Array, k: number): ColumnVector {
    const r = new Float64Array(k);
    for (let i = 0; i < k; i++) r[i] = this.values[ids[i]!]!;
    return floatVec(r);
  }

  bytes(): number {
    return this.values.byteLength + 80 * this.index.size;
  }
}

/** false/true get ids in order of first appearance. */
class BoolKeys implements ColumnKeys {
  private readonly idOf = Int32Array.of(ABSENT, ABSENT);
  private readonly values: number[] = [];

  get size(): number {
    return this.values.length;
  }

  ids(vec: ColumnVector, n: number, out: Int32Array, insert: boolean): void {
    const v = (vec as { values: Uint8Array }).values;
    const idOf = this.idOf;
    for (let i = 0; i < n; i++) {
      const x = v[i]!;
      let r = idOf[x]!;
      if (r === ABSENT && insert) {
        idOf[x] = r = this.values.length;
        this.values.push(x);
      }
      out[i] = r;
    }
  }

  vector(ids: Int32Array, k: number): ColumnVector {
    const r = new Uint8Array(k);
    for (let i = 0; i < k; i++) r[i] = this.values[ids[i]!]!;
    return boolVec(r);
  }

  bytes(): number {
    return 0;
  }
}

function columnKeys(type: DataType): ColumnKeys {
  switch (type) {
    case 'string':
    case 'uint128':
      return new DictKeys(type);
    case 'int64':
    case 'time64ns':
      return new IntKeys(type);
    case 'float64':
      return new FloatKeys();
    case 'boolean':
      return new BoolKeys();
  }
}

/** Largest flat (a, b) table, in cells. */
const DENSE_MAX = 1 << 20;

/** (a, b) → dense id. */
class PairTable {
  /** The pair of each id. */
  a: Int32Array = new Int32Array(16);
  b: Int32Array = new Int32Array(16);
  size = 0;
  private hkeys: Int32Array = new Int32Array(64).fill(-1); // id stored per slot
  private mask = 63;
  private dense: Int32Array | undefined;
  private dimA = 0;
  private dimB = 0;
  private denseOff = false;

  private hash(x: number, y: number): number {
    return Math.imul(x ^ Math.imul(y, 0x85ebca77), 0x9e3779b1) >>> 0;
  }

  private find(x: number, y: number): number {
    const keys = this.hkeys;
    for (let s = this.hash(x, y) & this.mask; ; s = (s + 1) & this.mask) {
      const id = keys[s]!;
      if (id < 0 || (this.a[id] === x && this.b[id] === y)) return id;
    }
  }

  private insert(x: number, y: number): number {
    const id = this.size++;
    this.a = growI32(this.a, this.size);
    this.b = growI32(this.b, this.size);
    this.a[id] = x;
    this.b[id] = y;
    if (2 * this.size > this.mask) this.rehash();
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const keys = this.hkeys;
    let s = this.hash(this.a[id]!, this.b[id]!) & this.mask;
    while (keys[s]! >= 0) s = (s + 1) & this.mask;
    keys[s] = id;
  }

  private rehash(): void {
    this.hkeys = new Int32Array(2 * (this.mask + 1)).fill(-1);
    this.mask = this.hkeys.length - 1;
    for (let id = 0; id < this.size; id++) this.place(id);
  }

  /** Sizes the flat table for ids below maxA, maxB; false when it would be too large. */
  private denseFor(maxA: number, maxB: number): boolean {
    if (this.denseOff) return false;
    if (this.dense && maxA <= this.dimA && maxB <= this.dimB) return true;
    const dimA = Math.max(maxA, 2 * this.dimA, 8);
    const dimB = Math.max(maxB, 2 * this.dimB, 4);
    if (dimA * dimB > DENSE_MAX) {
      this.denseOff = true;
      this.dense = undefined;
      return false;
    }
    const d = new Int32Array(dimA * dimB).fill(-1);
    for (let id = 0; id < this.size; id++) d[this.a[id]! * dimB + this.b[id]!] = id;
    this.dense = d;
    this.dimA = dimA;
    this.dimB = dimB;
    return true;
  }

  /** out[i] = id of (A[i], B[i]); every A[i] < boundA and B[i] < boundB (or ABSENT). */
  map(A: Int32Array, B: Int32Array, n: number, out: Int32Array, insert: boolean, boundA: number, boundB: number): void {
    if (this.denseFor(boundA, boundB)) {
      const d = this.dense!;
      const dimB = this.dimB;
      for (let i = 0; i < n; i++) {
        const x = A[i]!;
        const y = B[i]!;
        if (x < 0 || y < 0) {
          out[i] = ABSENT;
          continue;
        }
        const cell = x * dimB + y;
        let r = d[cell]!;
        if (r < 0 && insert) d[cell] = r = this.insert(x, y);
        out[i] = r;
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const x = A[i]!;
      const y = B[i]!;
      if (x < 0 || y < 0) {
        out[i] = ABSENT;
        continue;
      }
      let r = this.find(x, y);
      if (r < 0 && insert) r = this.insert(x, y);
      out[i] = r;
    }
  }

  bytes(): number {
    return this.a.byteLength + this.b.byteLength + this.hkeys.byteLength + (this.dense ? this.dense.byteLength : 0);
  }
}

/** The key columns of a group-by or a join side, interned into dense group ids. */
export class GroupKeys {
  private readonly cols: ColumnKeys[];
  private readonly pairs: PairTable[] = [];
  private colIds: Int32Array[] = [];
  private ungrouped = 0;

  constructor(readonly types: readonly DataType[]) {
    this.cols = types.map(columnKeys);
    for (let i = 1; i < types.length; i++) this.pairs.push(new PairTable());
  }

  /** The number of groups. */
  get size(): number {
    if (this.cols.length === 0) return this.ungrouped;
    if (this.cols.length === 1) return this.cols[0]!.size;
    return this.pairs[this.pairs.length - 1]!.size;
  }

  /** out[i] = group of row i, creating groups (insert) or ABSENT (-1) for unknown keys. */
  groups(keys: readonly ColumnVector[], n: number, out: Int32Array, insert: boolean): void {
    const k = this.cols.length;
    if (k === 0) {
      if (n > 0 && insert) this.ungrouped = 1;
      out.fill(this.ungrouped === 1 ? 0 : ABSENT, 0, n);
      return;
    }
    if (k === 1) {
      this.cols[0]!.ids(keys[0]!, n, out, insert);
      return;
    }
    while (this.colIds.length < 2) this.colIds.push(new Int32Array(0));
    if (this.colIds[0]!.length < n) this.colIds = this.colIds.map(() => new Int32Array(n));
    const [acc, next] = this.colIds as [Int32Array, Int32Array];
    this.cols[0]!.ids(keys[0]!, n, acc, insert);
    for (let c = 1; c < k; c++) {
      this.cols[c]!.ids(keys[c]!, n, next, insert);
      // Ids are below the size of what produced them: no pass over the rows for the bounds.
      const boundA = c === 1 ? this.cols[0]!.size : this.pairs[c - 2]!.size;
      this.pairs[c - 1]!.map(acc, next, n, c === k - 1 ? out : acc, insert, boundA, this.cols[c]!.size);
    }
  }

  /** The key columns of groups [from, to), in key order. */
  keyVectors(from: number, to: number): ColumnVector[] {
    const k = this.cols.length;
    if (k === 0) return [];
    const len = to - from;
    const ids = new Int32Array(len);
    for (let i = 0; i < len; i++) ids[i] = from + i;
    if (k === 1) return [this.cols[0]!.vector(ids, len)];
    const out: ColumnVector[] = new Array<ColumnVector>(k);
    // Walk the folds backwards: table c-1 holds (ids up to c-1, id of column c).
    for (let c = k - 1; c >= 1; c--) {
      const t = this.pairs[c - 1]!;
      const col = new Int32Array(len);
      for (let i = 0; i < len; i++) {
        col[i] = t.b[ids[i]!]!;
        ids[i] = t.a[ids[i]!]!;
      }
      out[c] = this.cols[c]!.vector(col, len);
    }
    out[0] = this.cols[0]!.vector(ids, len);
    return out;
  }

  bytes(): number {
    let b = 0;
    for (const c of this.cols) b += c.bytes();
    for (const p of this.pairs) b += p.bytes();
    return b;
  }
}
