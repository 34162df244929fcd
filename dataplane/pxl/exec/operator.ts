// The operator model. Batches are pushed from the sources through the plan's DAG: an operator
// receives a batch on an input slot, and emits batches to every consumer. A blocking operator
// (aggregate, join build) emits when its inputs are done; `inputDone` is a generator that
// yields after each emitted batch, so the executor can check limits and give the event loop a
// turn between batches. An operator that needs no more input (a satisfied head(), a truncated
// display) stops, and producers whose consumers have all stopped stop too — up to the source,
// which then ends its scan early.
import type { PlanNode, Relation } from '../plan.js';
import type { RowBatch } from '../../table-store/types.js';
import type { UdfContext } from '../udf/context.js';
import type { BridgeTransport } from './bridge.js';
import { asExecError } from './errors.js';

/** One table of results: the rows a px.display (sink) produced, in batches. */
export interface ResultBatch {
  readonly sink: string;
  readonly relation: Relation;
  readonly batch: RowBatch;
  /**
   * Set on the last batch of a sink that hit the row limit: the rows shown stop here (the
   * batch may be empty). Not an error.
   */
  readonly truncated?: boolean;
}

/** Receives the rows of a px.export(df, px.otel.Data(...)) node. */
export interface OtelExporter {
  export(spec: unknown, relation: Relation, batch: RowBatch): void | Promise<void>;
  end?(spec: unknown): void | Promise<void>;
}

export interface ExecLimits {
  /** Rows a display (sink) returns before it is truncated. Default 10,000. */
  readonly maxResultRows: number;
  /** Estimated bytes of operator state (hash tables, join builds, buffered batches). Default 256 MiB. */
  readonly maxMemoryBytes: number;
  /** Wall time of the whole query. Default 30 s. */
  readonly maxWallTimeMs: number;
}

export const DEFAULT_LIMITS: ExecLimits = { maxResultRows: 10_000, maxMemoryBytes: 256 * 1024 * 1024, maxWallTimeMs: 30_000 };

/** What operators share while a query runs. */
export interface ExecContext {
  readonly udf: UdfContext;
  readonly limits: ExecLimits;
  /** Rows per batch that blocking operators emit. */
  readonly batchSize: number;
  /** Sink output waiting to be handed to the caller. */
  readonly results: ResultBatch[];
  /** Sends to bridges and exporters that are still in flight. */
  readonly pending: Promise<void>[];
  readonly warnings: string[];
  readonly bridges?: BridgeTransport;
  readonly exporter?: OtelExporter;
}

export abstract class Operator {
  readonly consumers: { readonly op: Operator; readonly slot: number }[] = [];
  readonly producers: Operator[] = [];
  stopped = false;

  constructor(
    readonly node: PlanNode,
    protected readonly ctx: ExecContext,
  ) {}

  /** Short description for messages, e.g. "the aggregate at line 4, column 1". */
  describe(): string {
    const at = this.node.at ? ` at line ${this.node.at.line}, column ${this.node.at.column}` : '';
    return `the ${this.label}${at}`;
  }

  protected abstract readonly label: string;

  /** A batch arrives on input `slot`. */
  abstract push(slot: number, batch: RowBatch): void;

  /** Input `slot` has no more batches. The iterable steps once per batch it emits (a generator yields after each). */
  inputDone(_slot: number): Iterable<void> {
    return [];
  }

  /** Estimated bytes of state this operator holds. */
  bytes(): number {
    return 0;
  }

  emit(batch: RowBatch): void {
    if (batch.length === 0) return;
    for (const c of this.consumers) {
      if (c.op.stopped) continue;
      try {
        c.op.push(c.slot, batch);
      } catch (e) {
        throw asExecError(e, c.op.node.at);
      }
    }
  }

  /** Wants no more input. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.producers) if (p.consumers.every((c) => c.op.stopped)) p.stop();
  }
}

/** Rows [0, n) of a batch, without copying. */
export const headOf = (batch: RowBatch, n: number): RowBatch => ({ length: n, columns: batch.columns });
