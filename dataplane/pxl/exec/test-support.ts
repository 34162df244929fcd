// For tests and benchmarks: an in-memory TableSource over fixed batches, and a builder for
// hand-written plans (relations and expression types filled in from signatures.ts).
import type { AggregateSpec, Expr, JoinType, Plan, PlanNode, Relation } from '../plan.js';
import type { CellValue, ColumnSchema, DataType, RowBatch, ScanRequest, TableSchema, TableSource } from '../../table-store/types.js';
import { resolveAggregate, resolveScalar } from '../udf/signatures.js';
import { gather, normalizeCell, vectorOf } from '../udf/values.js';

/** Rows → one batch of the given column types. */
export function batchOf(types: readonly DataType[], rows: readonly (readonly CellValue[])[]): RowBatch {
  return { length: rows.length, columns: types.map((t, j) => vectorOf(t, rows.map((r) => r[j]!))) };
}

export class MemoryTableSource implements TableSource {
  private readonly tables = new Map<string, { schema: TableSchema; batches: RowBatch[] }>();
  /** Batches handed out by scans, per table (to check that scans stop early). */
  readonly batchesRead = new Map<string, number>();

  /** Adds a table; rows are split into batches of batchSize. */
  add(schema: TableSchema, rows: readonly (readonly CellValue[])[], batchSize = 1024): this {
    const types = schema.columns.map((c) => c.type);
    const batches: RowBatch[] = [];
    for (let i = 0; i < rows.length; i += batchSize) batches.push(batchOf(types, rows.slice(i, i + batchSize)));
    return this.addBatches(schema, batches);
  }

  addBatches(schema: TableSchema, batches: RowBatch[]): this {
    this.tables.set(schema.name, { schema, batches });
    return this;
  }

  schema(table: string): TableSchema | undefined {
    return this.tables.get(table)?.schema;
  }

  tableNames(): readonly string[] {
    return [...this.tables.keys()];
  }

  *scan(table: string, request: ScanRequest): Iterable<RowBatch> {
    const t = this.tables.get(table);
    if (!t) return;
    const timeAt = t.schema.columns.findIndex((c) => c.name === t.schema.timeColumn);
    for (const b of t.batches) {
      let batch = b;
      if ((request.startTime !== undefined || request.endTime !== undefined) && timeAt >= 0) {
        const times = (b.columns[timeAt] as { values: BigInt64Array }).values;
        const sel = new Uint32Array(b.length);
        let k = 0;
        for (let i = 0; i < b.length; i++) {
          const ts = times[i]!;
          if ((request.startTime === undefined || ts >= request.startTime) && (request.endTime === undefined || ts <= request.endTime)) sel[k++] = i;
        }
        if (k === 0) continue;
        if (k < b.length) batch = { length: k, columns: b.columns.map((c) => gather(c, sel, k)) };
      }
      this.batchesRead.set(table, (this.batchesRead.get(table) ?? 0) + 1);
      yield { length: batch.length, columns: request.columns.map((c) => batch.columns[c]!) };
    }
  }
}

export interface NodeRef {
  readonly id: number;
  readonly relation: Relation;
}

/** A column of a node's output, as an expression. */
export function col(of: NodeRef, name: string): Expr {
  const index = of.relation.findIndex((c) => c.name === name);
  if (index < 0) throw new Error(`no column '${name}' in (${of.relation.map((c) => c.name).join(', ')})`);
  return { kind: 'column', index, name, type: of.relation[index]!.type };
}

export function lit(value: CellValue, type?: DataType): Expr {
  const t: DataType = type ?? (typeof value === 'bigint' ? 'int64' : typeof value === 'number' ? 'float64' : typeof value === 'boolean' ? 'boolean' : 'string');
  return { kind: 'literal', type: t, value: normalizeCell(t, value) };
}

/** A function call; its type comes from signatures.ts. */
export function call(fn: string, ...args: Expr[]): Expr {
  const r = resolveScalar(
    fn,
    args.map((a) => a.type),
  );
  if (!r.ok) throw new Error(r.message);
  return { kind: 'call', fn, args, type: r.signature.returns };
}

/** A plan node before the builder gives it an id. */
type NewNode = { [K in PlanNode['op']]: Omit<Extract<PlanNode, { op: K }>, 'id'> }[PlanNode['op']];

export class PlanBuilder {
  readonly nodes: PlanNode[] = [];

  constructor(readonly now: bigint = 1_700_000_000_000_000_000n) {}

  private add(node: NewNode): NodeRef {
    const id = this.nodes.length;
    this.nodes.push({ ...node, id } as PlanNode);
    return { id, relation: node.relation };
  }

  source(schema: TableSchema, columns?: readonly string[], range: { startTime?: bigint; endTime?: bigint } = {}): NodeRef {
    const names = columns ?? schema.columns.map((c) => c.name);
    const positions = names.map((n) => schema.columns.findIndex((c) => c.name === n));
    return this.add({ op: 'source', table: schema.name, columns: positions, relation: positions.map((p) => schema.columns[p]!), ...range });
  }

  map(input: NodeRef, exprs: readonly (readonly [string, Expr])[], at?: { line: number; column: number }): NodeRef {
    return this.add({
      op: 'map',
      input: input.id,
      exprs: exprs.map(([name, expr]) => ({ name, expr })),
      relation: exprs.map(([name, e]) => ({ name, type: e.type })),
      ...(at ? { at } : {}),
    });
  }

  filter(input: NodeRef, predicate: Expr): NodeRef {
    return this.add({ op: 'filter', input: input.id, predicate, relation: input.relation });
  }

  limit(input: NodeRef, n: number): NodeRef {
    return this.add({ op: 'limit', input: input.id, n, relation: input.relation });
  }

  /** aggs: [output name, aggregate, input column]. */
  agg(input: NodeRef, groups: readonly string[], aggs: readonly (readonly [string, string, string])[], mode: 'full' | 'partial' = 'full', at?: { line: number; column: number }): NodeRef {
    const groupAt = groups.map((g) => (col(input, g) as { index: number }).index);
    const specs: AggregateSpec[] = aggs.map(([name, fn, arg]) => {
      const argIndex = (col(input, arg) as { index: number }).index;
      const argType = input.relation[argIndex]!.type;
      const r = resolveAggregate(fn, argType);
      if (!r.ok) throw new Error(r.message);
      return { name, fn, arg: argIndex, argType, type: r.signature.returns };
    });
    const relation: ColumnSchema[] = [...groupAt.map((g) => input.relation[g]!), ...specs.map((s) => ({ name: s.name, type: mode === 'partial' ? ('string' as const) : s.type }))];
    return this.add({ op: 'agg', input: input.id, groups: groupAt, aggs: specs, mode, relation, ...(at ? { at } : {}) });
  }

  /** The node a reference points at. */
  node(ref: NodeRef): PlanNode {
    return this.nodes[ref.id]!;
  }

  /** The final aggregate over the output of `partial` (an agg node in partial mode, possibly of another plan). */
  finalAgg(input: NodeRef, partial: PlanNode): NodeRef {
    if (partial.op !== 'agg' || partial.mode !== 'partial') throw new Error('finalAgg needs a partial agg node');
    const g = partial.groups.length;
    const aggs = partial.aggs.map((a, k) => ({ ...a, arg: g + k, argType: 'string' as const }));
    const relation: ColumnSchema[] = [...input.relation.slice(0, g), ...aggs.map((a) => ({ name: a.name, type: a.type }))];
    return this.add({ op: 'agg', input: input.id, groups: partial.groups.map((_, i) => i), aggs, mode: 'final', relation });
  }

  /** Output: every left column, then every right column (a right name already used gets suffix _y). */
  join(left: NodeRef, right: NodeRef, how: JoinType, on: readonly (readonly [string, string])[]): NodeRef {
    const output = [...left.relation.map((_, index) => ({ side: 'left' as const, index })), ...right.relation.map((_, index) => ({ side: 'right' as const, index }))];
    const used = new Set(left.relation.map((c) => c.name));
    const relation = [...left.relation, ...right.relation.map((c) => (used.has(c.name) ? { ...c, name: `${c.name}_y` } : c))];
    return this.add({
      op: 'join',
      left: left.id,
      right: right.id,
      how,
      leftOn: on.map(([l]) => (col(left, l) as { index: number }).index),
      rightOn: on.map(([, r]) => (col(right, r) as { index: number }).index),
      output,
      relation,
    });
  }

  union(inputs: readonly NodeRef[]): NodeRef {
    return this.add({ op: 'union', inputs: inputs.map((i) => i.id), relation: inputs[0]!.relation });
  }

  sink(input: NodeRef, name: string): NodeRef {
    return this.add({ op: 'sink', input: input.id, name, relation: input.relation });
  }

  otelExport(input: NodeRef, at?: { line: number; column: number }): NodeRef {
    return this.add({ op: 'otel_export', input: input.id, spec: { metrics: [] }, relation: [], ...(at ? { at } : {}) });
  }

  bridgeSink(input: NodeRef, bridge: number): NodeRef {
    return this.add({ op: 'bridge_sink', input: input.id, bridge, relation: input.relation });
  }

  bridgeSource(bridge: number, relation: Relation): NodeRef {
    return this.add({ op: 'bridge_source', bridge, relation });
  }

  plan(): Plan {
    return { nodes: this.nodes, now: this.now };
  }
}

/** An http_events-like schema used across the executor tests. */
export const HTTP_EVENTS: TableSchema = {
  name: 'http_events',
  timeColumn: 'time_',
  columns: [
    { name: 'time_', type: 'time64ns' },
    { name: 'upid', type: 'uint128' },
    { name: 'req_path', type: 'string' },
    { name: 'resp_status', type: 'int64' },
    { name: 'latency', type: 'int64', semantic: 'duration_ns' },
    { name: 'resp_body_size', type: 'float64', semantic: 'bytes' },
  ],
};
