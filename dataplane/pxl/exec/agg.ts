// Hash aggregation. Group keys become dense group ids per batch (keys.ts), and every aggregate
// updates typed arrays indexed by group id. Modes:
//   full     rows in, results out
//   partial  rows in; out: the group columns, then one string column per aggregate holding the
//            serialized state (uda.ts)
//   final    partial output in (AggregateSpec.arg = the state column's position); results out
import type { AggNode, Relation } from '../plan.js';
import type { ColumnVector, DictVector, RowBatch } from '../../table-store/types.js';
import { aggregateFor, mergerFor, type Accumulator } from '../udf/registry.js';
import { emptyResult } from '../udf/uda.js';
import { dictVec } from '../udf/values.js';
import { ExecError } from './errors.js';
import { GroupKeys } from './keys.js';
import { Operator, type ExecContext } from './operator.js';

export class AggOp extends Operator {
  protected readonly label = 'aggregate';
  private readonly keys: GroupKeys;
  private readonly accs: Accumulator[];
  private gid: Int32Array = new Int32Array(0);
  private rowsIn = 0;

  constructor(
    override readonly node: AggNode,
    ctx: ExecContext,
    input: Relation,
  ) {
    super(node, ctx);
    const col = (i: number, what: string) => {
      const c = input[i];
      if (!c) throw new ExecError('bad_plan', `${what} refers to input column ${i}, but the input has ${input.length} columns`, node.at);
      return c;
    };
    this.keys = new GroupKeys(node.groups.map((g) => col(g, 'a group key').type));
    this.accs = node.aggs.map((a) => {
      const argType = col(a.arg, `aggregate '${a.name}'`).type;
      if (node.mode === 'final') {
        const m = mergerFor(a.fn, a.type);
        if (!m) throw new ExecError('bad_plan', `aggregate ${a.fn} has no overload returning ${a.type}`, node.at);
        if (argType !== 'string') throw new ExecError('bad_plan', `final aggregate '${a.name}' reads column ${a.arg} of type ${argType}; partial states are strings`, node.at);
        return m.create();
      }
      const impl = aggregateFor(a.fn, argType);
      if (!impl) throw new ExecError('bad_plan', `aggregate ${a.fn} does not take ${argType}`, node.at);
      return impl.create();
    });
  }

  push(_slot: number, batch: RowBatch): void {
    const n = batch.length;
    if (n === 0) return;
    if (this.gid.length < n) this.gid = new Int32Array(Math.max(n, 1024));
    const gid = this.gid;
    const { groups, aggs, mode } = this.node;
    this.keys.groups(
      groups.map((g) => batch.columns[g]!),
      n,
      gid,
      true,
    );
    const size = this.keys.size;
    for (let k = 0; k < aggs.length; k++) {
      const acc = this.accs[k]!;
      acc.grow(size);
      const input = batch.columns[aggs[k]!.arg]!;
      if (mode === 'final') acc.merge(gid, n, input as DictVector);
      else acc.update(gid, n, input);
    }
    this.rowsIn += n;
  }

  override *inputDone(): Generator<void> {
    const { groups, aggs, mode } = this.node;
    const size = this.keys.size;
    if (size === 0) {
      // An aggregate without groups over no rows still gives its one row (count 0, ...).
      if (groups.length === 0 && mode !== 'partial') this.emit({ length: 1, columns: aggs.map((a) => emptyResult(a.fn, a.type)) });
      return;
    }
    const step = this.ctx.batchSize;
    for (let from = 0; from < size; from += step) {
      if (this.stopped) return;
      const to = Math.min(size, from + step);
      const columns: ColumnVector[] = this.keys.keyVectors(from, to);
      for (const acc of this.accs) {
        if (mode === 'partial') {
          const states = acc.states(from, to);
          const codes = new Uint32Array(states.length);
          for (let i = 0; i < codes.length; i++) codes[i] = i;
          columns.push(dictVec(codes, states));
        } else {
          columns.push(acc.result(from, to));
        }
      }
      this.emit({ length: to - from, columns });
      yield;
    }
  }

  override bytes(): number {
    let b = this.keys.bytes() + this.gid.byteLength;
    for (const a of this.accs) b += a.bytes();
    return b;
  }

  override describe(): string {
    return `${super.describe()} (${this.keys.size} groups from ${this.rowsIn} rows)`;
  }
}
