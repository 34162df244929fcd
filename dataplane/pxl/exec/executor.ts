// Runs a logical plan: builds one operator per node, drives the scans one after another
// through the DAG, finishes blocking operators as their inputs end, and streams the sinks'
// batches to the caller.
//
// Safety per query: sinks stop at the result-row limit (truncated, not an error); operator
// state past the memory limit, a run past the time limit and an abort end the query with an
// ExecError. Between batches the executor checks those and, when it has worked for a
// millisecond or more, gives the event loop a turn, so a heavy query never blocks the server
// or starves other queries.
import type { ClusterIdentity, MetadataView } from '../../metadata/types.js';
import type { TableSource } from '../../table-store/types.js';
import { inputsOf, type Plan, type PlanNode, type Relation } from '../plan.js';
import { UdfContext } from '../udf/context.js';
import { AggOp } from './agg.js';
import type { BridgeTransport } from './bridge.js';
import { asExecError, ExecError } from './errors.js';
import { JoinOp } from './join.js';
import { DEFAULT_LIMITS, Operator, type ExecContext, type ExecLimits, type OtelExporter, type ResultBatch } from './operator.js';
import { BridgeSinkOp, BridgeSourceOp, FilterOp, LimitOp, MapOp, OtelExportOp, SinkOp, SourceOp, UnionOp } from './ops.js';

export interface ExecuteOptions {
  readonly source: TableSource;
  readonly metadata?: MetadataView;
  /** What px.vizier_name() and px.vizier_namespace() return (default: nothing known). */
  readonly identity?: ClusterIdentity;
  readonly limits?: Partial<ExecLimits>;
  readonly signal?: AbortSignal;
  /** Required when the plan has bridge_sink / bridge_source nodes. */
  readonly bridges?: BridgeTransport;
  /** Runs otel_export nodes; without it a plan with one fails with 'not_executed'. */
  readonly exporter?: OtelExporter;
  /** Rows per batch that blocking operators emit (default 8192). */
  readonly batchSize?: number;
  /** Called for each warning (a truncated display). */
  readonly onWarning?: (message: string) => void;
}

/** Give the event loop a turn after this much continuous work. */
const SLICE_MS = 1;

const MiB = 1024 * 1024;
const mib = (b: number): string => (b >= 10 * MiB ? `${Math.round(b / MiB)}` : (b / MiB).toFixed(1)) + ' MiB';

function build(plan: Plan, ctx: ExecContext, opts: ExecuteOptions): Operator[] {
  const byId = new Map<number, Operator>();
  const ops: Operator[] = [];
  const relationOf = (node: PlanNode, id: number): Relation => {
    const op = byId.get(id);
    if (!op) throw new ExecError('bad_plan', `node ${node.id} reads node ${id}, which does not come before it in the plan`, node.at);
    return op.node.relation;
  };
  for (const node of plan.nodes) {
    if (byId.has(node.id)) throw new ExecError('bad_plan', `two plan nodes have id ${node.id}`, node.at);
    let op: Operator;
    switch (node.op) {
      case 'source':
        op = new SourceOp(node, ctx, opts.source);
        break;
      case 'bridge_source':
        op = new BridgeSourceOp(node, ctx);
        break;
      case 'map':
        op = new MapOp(node, ctx);
        break;
      case 'filter':
        op = new FilterOp(node, ctx);
        break;
      case 'limit':
        op = new LimitOp(node, ctx);
        break;
      case 'agg':
        op = new AggOp(node, ctx, relationOf(node, node.input));
        break;
      case 'join':
        op = new JoinOp(node, ctx, relationOf(node, node.left), relationOf(node, node.right));
        break;
      case 'union':
        op = new UnionOp(node, ctx);
        break;
      case 'sink':
        op = new SinkOp(node, ctx);
        break;
      case 'bridge_sink':
        op = new BridgeSinkOp(node, ctx);
        break;
      case 'otel_export':
        op = new OtelExportOp(node, ctx, relationOf(node, node.input));
        break;
    }
    inputsOf(node).forEach((id, slot) => {
      relationOf(node, id);
      const producer = byId.get(id)!;
      producer.consumers.push({ op, slot });
      op.producers.push(producer);
    });
    byId.set(node.id, op);
    ops.push(op);
  }
  // Nodes whose output nobody reads (and that are not outputs themselves) need no input.
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    const terminal = op instanceof SinkOp || op instanceof BridgeSinkOp || op instanceof OtelExportOp;
    if (!terminal && op.consumers.every((c) => c.op.stopped)) op.stop();
    if (op instanceof LimitOp) op.start();
  }
  return ops;
}

function memoryHint(op: Operator): string {
  if (op instanceof AggOp) return 'group by fewer or coarser columns, filter rows before the groupby, or shorten start_time';
  if (op instanceof JoinOp) return 'filter or aggregate the smaller side before the merge, or shorten start_time';
  return 'shorten start_time or filter earlier';
}

/**
 * Runs a plan and yields the batches of every display (sink) as they are produced. Errors are
 * ExecErrors (with the script position when the plan has it). Breaking out of the iteration
 * cancels the query.
 */
export async function* executePlan(plan: Plan, opts: ExecuteOptions): AsyncGenerator<ResultBatch, void, undefined> {
  const limits: ExecLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const warnings: string[] = [];
  const ctx: ExecContext = {
    udf: new UdfContext({ metadata: opts.metadata, identity: opts.identity, now: plan.now }),
    limits,
    batchSize: opts.batchSize ?? 8192,
    results: [],
    pending: [],
    warnings,
    ...(opts.bridges ? { bridges: opts.bridges } : {}),
    ...(opts.exporter ? { exporter: opts.exporter } : {}),
  };
  const internal = new AbortController();
  const onAbort = () => internal.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    internal.abort();
  }, limits.maxWallTimeMs);
  timer.unref();

  const failure = (e: unknown): ExecError => {
    if (opts.signal?.aborted) return new ExecError('aborted', 'the query was cancelled');
    if (timedOut || performance.now() - started > limits.maxWallTimeMs) {
      return new ExecError('time_limit', `the query ran longer than its time limit of ${limits.maxWallTimeMs / 1000} s; shorten start_time, filter earlier, or raise the limit`);
    }
    return asExecError(e, undefined);
  };

  let ops: Operator[] = [];
  let lastYield = performance.now();
  let warned = 0;

  const check = (): void => {
    if (internal.signal.aborted || performance.now() - started > limits.maxWallTimeMs) throw failure(undefined);
    let total = 0;
    let biggest: Operator | undefined;
    let most = -1;
    for (const op of ops) {
      const b = op.bytes();
      total += b;
      if (b > most) {
        most = b;
        biggest = op;
      }
    }
    if (total > limits.maxMemoryBytes && biggest) {
      throw new ExecError(
        'memory_limit',
        `${biggest.describe()} holds about ${mib(most)} of state, over the query's memory limit of ${mib(limits.maxMemoryBytes)}; ${memoryHint(biggest)}, or raise the limit`,
        biggest.node.at,
      );
    }
  };

  const settle = async (): Promise<void> => {
    while (ctx.pending.length > 0) {
      const all = Promise.all(ctx.pending.splice(0));
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(failure(undefined));
        internal.signal.addEventListener('abort', abort, { once: true });
        all.then(
          () => {
            internal.signal.removeEventListener('abort', abort);
            resolve();
          },
          (e: unknown) => {
            internal.signal.removeEventListener('abort', abort);
            reject(new ExecError('bridge', `sending results failed: ${(e as Error).message}`));
          },
        );
      });
    }
    if (warned < warnings.length) for (const w of warnings.slice(warned)) opts.onWarning?.(w);
    warned = warnings.length;
    check();
    if (performance.now() - lastYield >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
      check();
    }
  };

  const remaining = new Map<Operator, number>();
  // Marks `op` as finished: tells each consumer, and finishes those whose inputs are all done.
  function* finish(op: Operator): Generator<void> {
    for (const c of op.consumers) {
      if (!c.op.stopped) {
        const steps = c.op.inputDone(c.slot)[Symbol.iterator]();
        for (;;) {
          let step: IteratorResult<void>;
          try {
            step = steps.next();
          } catch (e) {
            throw asExecError(e, c.op.node.at);
          }
          if (step.done) break;
          yield;
        }
      }
      const left = remaining.get(c.op)! - 1;
      remaining.set(c.op, left);
      if (left === 0) yield* finish(c.op);
    }
  }

  let completed = false;
  try {
    ops = build(plan, ctx, opts);
    for (const op of ops) remaining.set(op, op.producers.length);
    const drivers = [...ops.filter((o) => o instanceof SourceOp), ...ops.filter((o) => o instanceof BridgeSourceOp)];
    for (const d of drivers) {
      if (!d.stopped) {
        const batches = d instanceof SourceOp ? d.scan() : (d as BridgeSourceOp).receive(internal.signal);
        for await (const batch of batches) {
          if (d instanceof SourceOp) d.rowsScanned += batch.length;
          d.emit(batch);
          yield* ctx.results.splice(0);
          await settle();
          if (d.stopped) break;
        }
      }
      for (const steps = finish(d); !steps.next().done; ) {
        yield* ctx.results.splice(0);
        await settle();
      }
      yield* ctx.results.splice(0);
      await settle();
    }
    completed = true;
  } catch (e) {
    throw failure(e);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (!completed && opts.bridges) {
      const error = new Error('the producing query failed or was cancelled');
      for (const op of ops) if (op instanceof BridgeSinkOp && !op.ended) void Promise.resolve(opts.bridges.end(op.node.bridge, error)).catch(() => undefined);
    }
  }
}
