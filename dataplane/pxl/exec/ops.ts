// The streaming operators: sources, map, filter, limit, union, sinks, bridges, export.
import type {
  BridgeSinkNode,
  BridgeSourceNode,
  FilterNode,
  LimitNode,
  MapNode,
  OtelExportNode,
  Relation,
  SinkNode,
  SourceNode,
  UnionNode,
} from '../plan.js';
import type { ColumnVector, RowBatch, TableSource } from '../../table-store/types.js';
import { gather, isScalar, toVector, zeroVector } from '../udf/values.js';
import { ExecError } from './errors.js';
import { compileExpr, type Evaluator } from './expr.js';
import { headOf, Operator, type ExecContext } from './operator.js';

/** Drives a scan of the table store. */
export class SourceOp extends Operator {
  protected readonly label = 'table scan';
  rowsScanned = 0;

  constructor(
    override readonly node: SourceNode,
    ctx: ExecContext,
    private readonly source: TableSource,
  ) {
    super(node, ctx);
    if (!source.schema(node.table)) {
      const known = source.tableNames();
      throw new ExecError('bad_plan', `table '${node.table}' does not exist here${known.length ? `; tables: ${known.join(', ')}` : ''}`, node.at);
    }
  }

  scan(): Iterable<RowBatch> {
    const { columns, startTime, endTime } = this.node;
    return this.source.scan(this.node.table, { columns, ...(startTime !== undefined ? { startTime } : {}), ...(endTime !== undefined ? { endTime } : {}) });
  }

  push(): void {
    throw new ExecError('internal', 'a source has no inputs', this.node.at);
  }
}

/** Drives the batches arriving over a bridge. */
export class BridgeSourceOp extends Operator {
  protected readonly label = 'bridge source';

  constructor(
    override readonly node: BridgeSourceNode,
    ctx: ExecContext,
  ) {
    super(node, ctx);
    if (!ctx.bridges) throw new ExecError('bad_plan', `the plan reads bridge ${node.bridge} but no bridge transport was given`, node.at);
  }

  receive(signal: AbortSignal): AsyncIterable<RowBatch> {
    return this.ctx.bridges!.receive(this.node.bridge, this.node.relation, signal);
  }

  push(): void {
    throw new ExecError('internal', 'a bridge source has no inputs', this.node.at);
  }
}

export class MapOp extends Operator {
  protected readonly label = 'column expression';
  private readonly exprs: Evaluator[];

  constructor(
    override readonly node: MapNode,
    ctx: ExecContext,
  ) {
    super(node, ctx);
    this.exprs = node.exprs.map((e) => compileExpr(e.expr, ctx.udf, node.at));
  }

  push(_slot: number, batch: RowBatch): void {
    const n = batch.length;
    const columns: ColumnVector[] = this.exprs.map((e) => toVector(e(batch), n));
    this.emit({ length: n, columns });
  }
}

export class FilterOp extends Operator {
  protected readonly label = 'filter';
  private readonly predicate: Evaluator;
  private sel: Uint32Array = new Uint32Array(0);

  constructor(
    override readonly node: FilterNode,
    ctx: ExecContext,
  ) {
    super(node, ctx);
    this.predicate = compileExpr(node.predicate, ctx.udf, node.at);
  }

  push(_slot: number, batch: RowBatch): void {
    const p = this.predicate(batch);
    const n = batch.length;
    if (isScalar(p)) {
      if (p.value) this.emit(batch);
      return;
    }
    const keep = (p as { values: Uint8Array }).values;
    if (this.sel.length < n) this.sel = new Uint32Array(n);
    const sel = this.sel;
    let k = 0;
    for (let i = 0; i < n; i++) {
      sel[k] = i;
      k += keep[i]!;
    }
    if (k === n) this.emit(batch);
    else if (k > 0) this.emit({ length: k, columns: batch.columns.map((c) => gather(c, sel, k)) });
  }
}

export class LimitOp extends Operator {
  protected readonly label = 'head()';
  private left: number;

  constructor(
    override readonly node: LimitNode,
    ctx: ExecContext,
  ) {
    super(node, ctx);
    this.left = Math.max(0, node.n);
  }

  push(_slot: number, batch: RowBatch): void {
    if (this.left <= 0) return;
    const take = Math.min(this.left, batch.length);
    this.left -= take;
    this.emit(take === batch.length ? batch : headOf(batch, take));
    if (this.left === 0) this.stop();
  }

  /** head(0) needs nothing. */
  start(): void {
    if (this.left === 0) this.stop();
  }
}

export class UnionOp extends Operator {
  protected readonly label = 'append()';

  constructor(
    override readonly node: UnionNode,
    ctx: ExecContext,
  ) {
    super(node, ctx);
  }

  push(_slot: number, batch: RowBatch): void {
    this.emit(batch);
  }
}

/** px.display: hands batches to the caller, up to the result-row limit. */
export class SinkOp extends Operator {
  protected readonly label = 'display';
  private rows = 0;

  constructor(
    override readonly node: SinkNode,
    ctx: ExecContext,
  ) {
    super(node, ctx);
  }

  push(_slot: number, batch: RowBatch): void {
    const max = this.ctx.limits.maxResultRows;
    const room = max - this.rows;
    const { name, relation } = this.node;
    if (batch.length <= room) {
      this.rows += batch.length;
      this.ctx.results.push({ sink: name, relation, batch });
      return;
    }
    this.rows = max;
    this.ctx.results.push({ sink: name, relation, batch: headOf(batch, room), truncated: true });
    this.ctx.warnings.push(`'${name}' was truncated to ${max} rows (the query's result-row limit)`);
    this.stop();
  }

  /** A display that got no rows still reports its (empty) table. */
  override inputDone(): Iterable<void> {
    if (this.rows === 0) {
      const { name, relation } = this.node;
      this.ctx.results.push({ sink: name, relation, batch: { length: 0, columns: relation.map((c) => zeroVector(c.type, 0)) } });
    }
    return [];
  }
}

export class BridgeSinkOp extends Operator {
  protected readonly label = 'bridge';
  ended = false;

  constructor(
    override readonly node: BridgeSinkNode,
    ctx: ExecContext,
  ) {
    super(node, ctx);
    if (!ctx.bridges) throw new ExecError('bad_plan', `the plan writes bridge ${node.bridge} but no bridge transport was given`, node.at);
  }

  push(_slot: number, batch: RowBatch): void {
    const p = this.ctx.bridges!.send(this.node.bridge, batch, this.node.relation);
    if (p) this.ctx.pending.push(p);
  }

  override inputDone(): Iterable<void> {
    this.ended = true;
    const p = this.ctx.bridges!.end(this.node.bridge);
    if (p) this.ctx.pending.push(p);
    return [];
  }
}

/** px.export: runs only when an exporter is supplied. */
export class OtelExportOp extends Operator {
  protected readonly label = 'px.export';

  constructor(
    override readonly node: OtelExportNode,
    ctx: ExecContext,
    private readonly input: Relation,
  ) {
    super(node, ctx);
    if (!ctx.exporter) throw new ExecError('not_executed', 'px.export is planned but not executed yet', node.at);
  }

  push(_slot: number, batch: RowBatch): void {
    const p = this.ctx.exporter!.export(this.node.spec, this.input, batch);
    if (p) this.ctx.pending.push(p);
  }

  override inputDone(): Iterable<void> {
    const p = this.ctx.exporter!.end?.(this.node.spec);
    if (p) this.ctx.pending.push(p);
    return [];
  }
}
