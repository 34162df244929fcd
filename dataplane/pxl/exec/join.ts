// Hash join (df.merge): inner, left, right, outer; one or more key columns.
//
// The side whose input finishes first becomes the build side: its batches are concatenated
// (dictionaries unified) and chained by key; batches of the other side that arrived meanwhile
// are probed then, later ones as they come. Each side usually comes from its own scan, so
// only the build side is held. Rows of a kept side without a match get zero values on the
// other side (Pixie's model has no nulls): 0, 0.0, false, '' and time 0.
import type { JoinNode, Relation } from '../plan.js';
import type { ColumnVector, DataType, DictVector, RowBatch } from '../../table-store/types.js';
import { boolVec, dictVec, floatVec, gather, intVec, vectorBytes } from '../udf/values.js';
import { ExecError } from './errors.js';
import { GroupKeys } from './keys.js';
import { Operator, type ExecContext } from './operator.js';

const LEFT = 0;
const RIGHT = 1;

const family = (t: DataType): string => (t === 'int64' || t === 'time64ns' ? 'int' : t === 'string' || t === 'uint128' ? 'dict' : t);

/** Columns of one side, concatenated over its batches; row -1 reads as the zero value. */
class Concatenated {
  readonly columns: ColumnVector[];

  constructor(types: readonly DataType[], batches: readonly RowBatch[], positions: readonly number[], total: number) {
    this.columns = positions.map((p, c) => concat(types[c]!, batches.map((b) => b.columns[p]!), batches.map((b) => b.length), total));
  }

  gather(c: number, rows: Int32Array, k: number): ColumnVector {
    const col = this.columns[c]!;
    switch (col.type) {
      case 'boolean': {
        const out = new Uint8Array(k);
        for (let i = 0; i < k; i++) out[i] = rows[i]! < 0 ? 0 : col.values[rows[i]!]!;
        return boolVec(out);
      }
      case 'int64':
      case 'time64ns': {
        const out = new BigInt64Array(k);
        for (let i = 0; i < k; i++) out[i] = rows[i]! < 0 ? 0n : col.values[rows[i]!]!;
        return intVec(out, col.type);
      }
      case 'float64': {
        const out = new Float64Array(k);
        for (let i = 0; i < k; i++) out[i] = rows[i]! < 0 ? 0 : col.values[rows[i]!]!;
        return floatVec(out);
      }
      default: {
        // The unified dictionary ends with '' (code dict.length - 1) for padding.
        const out = new Uint32Array(k);
        const pad = col.dict.length - 1;
        for (let i = 0; i < k; i++) out[i] = rows[i]! < 0 ? pad : col.codes[rows[i]!]!;
        return dictVec(out, col.dict, col.type);
      }
    }
  }

  bytes(n: number): number {
    let b = 0;
    for (const c of this.columns) b += vectorBytes(c, n);
    return b;
  }
}

function concat(type: DataType, parts: readonly ColumnVector[], lengths: readonly number[], total: number): ColumnVector {
  switch (type) {
    case 'boolean':
    case 'float64':
    case 'int64':
    case 'time64ns': {
      const out = type === 'boolean' ? new Uint8Array(total) : type === 'float64' ? new Float64Array(total) : new BigInt64Array(total);
      let at = 0;
      parts.forEach((p, i) => {
        const values = (p as { values: Uint8Array | Float64Array | BigInt64Array }).values.subarray(0, lengths[i]!);
        (out as { set(a: ArrayLike<number | bigint>, at: number): void }).set(values as ArrayLike<number | bigint>, at);
        at += lengths[i]!;
      });
      if (type === 'boolean') return boolVec(out as Uint8Array);
      if (type === 'float64') return floatVec(out as Float64Array);
      return intVec(out as BigInt64Array, type);
    }
    default: {
      const dict: string[] = [];
      const index = new Map<string, number>();
      const codes = new Uint32Array(total);
      let at = 0;
      let lastDict: readonly string[] | undefined;
      let remap = new Int32Array(0);
      parts.forEach((p, i) => {
        const v = p as DictVector;
        if (v.dict !== lastDict) {
          lastDict = v.dict;
          remap = new Int32Array(v.dict.length).fill(-1);
        }
        for (let r = 0; r < lengths[i]!; r++) {
          const c = v.codes[r]!;
          let u = remap[c]!;
          if (u < 0) {
            const s = v.dict[c]!;
            u = index.get(s) ?? -1;
            if (u < 0) {
              u = dict.length;
              dict.push(s);
              index.set(s, u);
            }
            remap[c] = u;
          }
          codes[at + r] = u;
        }
        at += lengths[i]!;
      });
      dict.push('');
      return dictVec(codes, dict, type as 'string' | 'uint128');
    }
  }
}

export class JoinOp extends Operator {
  protected readonly label = 'merge';
  private readonly relations: readonly [Relation, Relation];
  private readonly on: readonly [readonly number[], readonly number[]];
  private readonly keep: readonly [boolean, boolean];
  private readonly pending: [RowBatch[], RowBatch[]] = [[], []];
  private pendingBytes = 0;
  private readonly done = [false, false];
  private build = -1;
  private keys: GroupKeys;
  private rows: Concatenated | undefined;
  /** Output columns taken from the build side: positions in `rows`. */
  private buildCol: number[] = [];
  private buildRows = 0;
  /** Bytes of the build side once built (it does not change after). */
  private buildBytes = 0;
  private head: Int32Array = new Int32Array(0);
  private next: Int32Array = new Int32Array(0);
  private matched: Uint8Array | undefined;
  private gid: Int32Array = new Int32Array(0);
  private probeIdx: Int32Array = new Int32Array(0);
  private buildIdx: Int32Array = new Int32Array(0);
  private readonly counted = new WeakSet<readonly string[]>();

  constructor(
    override readonly node: JoinNode,
    ctx: ExecContext,
    left: Relation,
    right: Relation,
  ) {
    super(node, ctx);
    this.relations = [left, right];
    this.on = [node.leftOn, node.rightOn];
    this.keep = [node.how === 'left' || node.how === 'outer', node.how === 'right' || node.how === 'outer'];
    if (node.leftOn.length !== node.rightOn.length || node.leftOn.length === 0) {
      throw new ExecError('bad_plan', `merge needs the same number (≥ 1) of left and right keys, got ${node.leftOn.length} and ${node.rightOn.length}`, node.at);
    }
    const types = node.leftOn.map((l, i) => {
      const lt = left[l]?.type;
      const rt = right[node.rightOn[i]!]?.type;
      if (!lt || !rt) throw new ExecError('bad_plan', `merge key ${i + 1} refers to a column that is not in its input`, node.at);
      if (family(lt) !== family(rt)) throw new ExecError('bad_plan', `merge key ${i + 1} compares ${lt} (${left[l]!.name}) with ${rt} (${right[node.rightOn[i]!]!.name})`, node.at);
      return lt;
    });
    this.keys = new GroupKeys(types);
    for (const o of node.output) {
      const rel = o.side === 'left' ? left : right;
      if (!rel[o.index]) throw new ExecError('bad_plan', `merge output refers to ${o.side} column ${o.index}, which does not exist`, node.at);
    }
  }

  push(slot: number, batch: RowBatch): void {
    if (this.build < 0) {
      this.pending[slot]!.push(batch);
      this.pendingBytes += this.batchBytes(batch);
      return;
    }
    this.probe(batch);
  }

  private batchBytes(batch: RowBatch): number {
    let b = 0;
    for (const c of batch.columns) {
      const dictNew = (c.type === 'string' || c.type === 'uint128') && !this.counted.has(c.dict);
      if (dictNew) this.counted.add((c as DictVector).dict);
      b += vectorBytes(c, batch.length, dictNew);
    }
    return b;
  }

  override *inputDone(slot: number): Generator<void> {
    this.done[slot] = true;
    if (this.build < 0) {
      this.buildSide(slot);
      const other = this.pending[1 - slot]!;
      this.pending[1 - slot] = [];
      this.pendingBytes = 0;
      for (const b of other) {
        if (this.stopped) return;
        this.probe(b);
        yield;
      }
      // With no build rows, only a join that keeps the probe side's rows has anything to output.
      if (this.buildRows === 0 && !this.keep[1 - slot]) this.stop();
    }
    if (this.done[LEFT] && this.done[RIGHT] && this.keep[this.build]) yield* this.unmatched();
  }

  private buildSide(side: number): void {
    this.build = side;
    const batches = this.pending[side]!;
    this.pending[side] = [];
    const total = batches.reduce((s, b) => s + b.length, 0);
    this.buildRows = total;
    // Build-side columns the output needs, in first-use order.
    const sideName = side === LEFT ? 'left' : 'right';
    const positions: number[] = [];
    this.buildCol = this.node.output.map((o) => {
      if (o.side !== sideName) return -1;
      let at = positions.indexOf(o.index);
      if (at < 0) at = positions.push(o.index) - 1;
      return at;
    });
    const rel = this.relations[side]!;
    this.rows = new Concatenated(
      positions.map((p) => rel[p]!.type),
      batches,
      positions,
      total,
    );
    // Chain rows by key: head[group] → first row, next[row] → following row, in row order.
    const gid = new Int32Array(total);
    let at = 0;
    for (const b of batches) {
      const g = gid.subarray(at, at + b.length);
      this.keys.groups(
        this.on[side]!.map((p) => b.columns[p]!),
        b.length,
        g,
        true,
      );
      at += b.length;
    }
    this.head = new Int32Array(Math.max(this.keys.size, 1)).fill(-1);
    this.next = new Int32Array(total);
    for (let r = total - 1; r >= 0; r--) {
      const g = gid[r]!;
      this.next[r] = this.head[g]!;
      this.head[g] = r;
    }
    if (this.keep[side]) this.matched = new Uint8Array(total);
    this.buildBytes = this.rows.bytes(total) + this.head.byteLength + this.next.byteLength + (this.matched?.byteLength ?? 0);
  }

  private reserve(k: number): void {
    if (this.probeIdx.length >= k) return;
    const size = Math.max(k, 2 * this.probeIdx.length, 1024);
    const p = new Int32Array(size);
    p.set(this.probeIdx);
    const b = new Int32Array(size);
    b.set(this.buildIdx);
    this.probeIdx = p;
    this.buildIdx = b;
  }

  private probe(batch: RowBatch): void {
    const n = batch.length;
    const probeSide = 1 - this.build;
    if (this.gid.length < n) this.gid = new Int32Array(n);
    const gid = this.gid;
    this.keys.groups(
      this.on[probeSide]!.map((p) => batch.columns[p]!),
      n,
      gid,
      false,
    );
    const keepProbe = this.keep[probeSide]!;
    const head = this.head;
    const next = this.next;
    const matched = this.matched;
    const step = this.ctx.batchSize;
    let k = 0;
    this.reserve(step + 1);
    for (let i = 0; i < n; i++) {
      const g = gid[i]!;
      let r = g >= 0 && g < head.length ? head[g]! : -1;
      if (r < 0) {
        if (!keepProbe) continue;
        this.probeIdx[k] = i;
        this.buildIdx[k++] = -1;
      }
      for (; r >= 0; r = next[r]!) {
        if (matched) matched[r] = 1;
        this.probeIdx[k] = i;
        this.buildIdx[k++] = r;
        if (k >= step) {
          this.flush(batch, k);
          k = 0;
        }
      }
      if (k >= step) {
        this.flush(batch, k);
        k = 0;
      }
    }
    if (k > 0) this.flush(batch, k);
  }

  /** Emits pairs [0, k) of probeIdx / buildIdx; probe row -1 = zero values (unmatched build rows). */
  private flush(probe: RowBatch | undefined, k: number): void {
    const probeSideName = this.build === LEFT ? 'right' : 'left';
    const sel = new Uint32Array(this.probeIdx.buffer, 0, k);
    const columns = this.node.output.map((o, j) => {
      if (o.side === probeSideName) {
        if (probe) return gather(probe.columns[o.index]!, sel, k);
        return zeroColumn(this.relations[1 - this.build]![o.index]!.type, k);
      }
      return this.rows!.gather(this.buildCol[j]!, this.buildIdx, k);
    });
    this.emit({ length: k, columns });
  }

  private *unmatched(): Generator<void> {
    const matched = this.matched!;
    const step = this.ctx.batchSize;
    this.reserve(step);
    let k = 0;
    for (let r = 0; r < this.buildRows; r++) {
      if (matched[r]) continue;
      this.buildIdx[k++] = r;
      if (k === step) {
        this.flush(undefined, k);
        k = 0;
        yield;
      }
    }
    if (k > 0) this.flush(undefined, k);
  }

  override bytes(): number {
    return this.pendingBytes + this.buildBytes + this.keys.bytes();
  }
}

function zeroColumn(type: DataType, k: number): ColumnVector {
  switch (type) {
    case 'boolean':
      return boolVec(new Uint8Array(k));
    case 'int64':
    case 'time64ns':
      return intVec(new BigInt64Array(k), type);
    case 'float64':
      return floatVec(new Float64Array(k));
    default:
      return dictVec(new Uint32Array(k), [''], type);
  }
}
