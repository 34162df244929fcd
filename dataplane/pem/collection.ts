// A PEM's data collection: runs the collectors on their intervals and appends what they produce
// to the table store. http_events and conn_stats come from the socket tracer (eBPF),
// process_stats and network_stats from /proc, stack_traces.beta from the CPU profiler (eBPF).
// A source that fails to start or to read is reported in status() and the others go on.
import { PEM_SOURCES, type DataAccessMode, type ProtocolName, type SourceName } from '../../crds/contract/values.js';
import { CpuProfiler, Symbolizer } from '../../native-bpf/index.js';
import { SocketTraceCollector, type CollectorOptions, type TraceRoleCounters } from '../collectors/socket-trace-collector.js';
import { SampleCollector } from '../profiler/samples.js';
import { toStackTraceRows } from '../profiler/stack-rows.js';
import { NetworkStatsReader } from '../stats/network-stats.js';
import { sleep, wallClockNs } from '../../lib/clock.js';
import { ProcessStatsReader, upidFor } from '../stats/process-stats.js';
import type { Table } from '../table-store/table.js';
import type { TableStore } from '../table-store/table-store.js';
import { CONN_STATS, HTTP_EVENTS, NETWORK_STATS, PEM_TABLES, PROCESS_STATS, STACK_TRACES } from '../table-store/schemas.js';
import type { TableDefinition } from '../table-store/define-table.js';
import type { CellValue } from '../table-store/types.js';

export type { SourceName };

export interface CollectionOptions {
  readonly store: TableStore;
  /** Sources to run (default: all four). */
  readonly sources?: readonly SourceName[];
  /** Socket tracer settings; no pids/cgroup = every process but this one. */
  readonly tracer?: CollectorOptions;
  /** What the socket tracer may record (default Full): $LOUPE_DATA_ACCESS. */
  readonly dataAccess?: DataAccessMode;
  /** Protocols the socket tracer parses (default http): $LOUPE_PROTOCOLS. */
  readonly protocols?: readonly ProtocolName[];
  /** How often tracer events are drained into rows (default 250 ms). */
  readonly tracerPollMs?: number;
  /** process_stats and network_stats sampling period (default 10 s). */
  readonly statsIntervalMs?: number;
  /** CPU sampling frequency (default 99 Hz) and how often stacks become rows (default 30 s). */
  readonly profilerHz?: number;
  readonly profilerIntervalMs?: number;
  readonly onError?: (source: SourceName, error: Error) => void;
}

export interface SourceStatus {
  readonly name: SourceName;
  readonly state: 'running' | 'failed' | 'stopped';
  readonly rows: number;
  readonly errors: number;
  readonly lastError?: string;
}

class Source {
  state: SourceStatus['state'] = 'stopped';
  rows = 0;
  errors = 0;
  lastError: string | undefined;
  timer: NodeJS.Timeout | undefined;

  constructor(readonly name: SourceName) {}

  status(): SourceStatus {
    return { name: this.name, state: this.state, rows: this.rows, errors: this.errors, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }
}

export class DataCollection {
  private readonly sources = new Map<SourceName, Source>();
  private tracer: SocketTraceCollector | undefined;
  private profiler: CpuProfiler | undefined;
  private readonly symbolizer = new Symbolizer();
  private readonly upids = new Map<number, string>();
  private profilerBusy = false;
  private stopped = false;

  private constructor(private readonly options: CollectionOptions) {}

  static async start(options: CollectionOptions): Promise<DataCollection> {
    const c = new DataCollection(options);
    await c.begin();
    return c;
  }

  private table(definition: TableDefinition): Table {
    return this.options.store.createTable(definition.schema);
  }

  private async begin(): Promise<void> {
    const wanted = new Set(this.options.sources ?? PEM_SOURCES);
    const statsMs = this.options.statsIntervalMs ?? 10_000;
    for (const definition of PEM_TABLES) this.table(definition);

    if (wanted.has('socket_tracer')) {
      await this.startSource('socket_tracer', async (source) => {
        const { tracer = {}, dataAccess, protocols } = this.options;
        this.tracer = await SocketTraceCollector.start({
          ...tracer,
          ...(dataAccess ? { tracker: { ...tracer.tracker, dataAccess } } : {}),
          ...(protocols ? { protocols } : {}),
        });
        const http = this.table(HTTP_EVENTS);
        const conn = this.table(CONN_STATS);
        // conn_stats are cumulative samples: one row per live pair every stats period, not every poll.
        let nextConnStats = 0;
        source.timer = setInterval(() => this.run(source, () => {
          const now = performance.now();
          const withConnStats = now >= nextConnStats;
          if (withConnStats) nextConnStats = now + statsMs;
          const rows = this.tracer!.poll(wallClockNs(), withConnStats);
          return this.append(http, rows.httpEvents) + this.append(conn, rows.connStats);
        }), this.options.tracerPollMs ?? 250);
      });
    }
    if (wanted.has('process_stats')) {
      await this.startSource('process_stats', (source) => {
        const reader = new ProcessStatsReader();
        const table = this.table(PROCESS_STATS);
        const tick = () => this.run(source, () => this.append(table, reader.read()));
        tick();
        source.timer = setInterval(tick, statsMs);
      });
    }
    if (wanted.has('network_stats')) {
      await this.startSource('network_stats', (source) => {
        const reader = new NetworkStatsReader();
        const table = this.table(NETWORK_STATS);
        const tick = () => this.run(source, () => this.append(table, reader.read()));
        tick();
        source.timer = setInterval(tick, statsMs);
      });
    }
    if (wanted.has('cpu_profiler')) {
      await this.startSource('cpu_profiler', async (source) => {
        this.profiler = await CpuProfiler.start({ frequencyHz: this.options.profilerHz ?? 99 });
        const table = this.table(STACK_TRACES);
        source.timer = setInterval(() => void this.flushStacks(source, table), this.options.profilerIntervalMs ?? 30_000);
      });
    }
  }

  private async startSource(name: SourceName, start: (source: Source) => void | Promise<void>): Promise<void> {
    const source = new Source(name);
    this.sources.set(name, source);
    try {
      await start(source);
      source.state = 'running';
    } catch (err) {
      source.state = 'failed';
      this.fail(source, err);
    }
  }

  private run(source: Source, work: () => number): void {
    try {
      source.rows += work();
    } catch (err) {
      this.fail(source, err);
    }
  }

  private fail(source: Source, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    source.errors++;
    source.lastError = error.message;
    this.options.onError?.(source.name, error);
  }

  private append<R extends { readonly [K in keyof R]: CellValue }>(table: Table, rows: readonly R[]): number {
    let stored = 0;
    for (const row of rows) if (table.appendObject(row)) stored++;
    return stored;
  }

  private async flushStacks(source: Source, table: Table, final = false): Promise<void> {
    if (!this.profiler || (this.profilerBusy && !final)) return;
    this.profilerBusy = true;
    try {
      const stacks = final ? await this.profiler.stop() : await this.profiler.drain();
      const collector = new SampleCollector(this.symbolizer);
      collector.add(stacks);
      const rows = toStackTraceRows(collector.samples(), (tgid) => upidFor(tgid, this.upids), wallClockNs());
      source.rows += this.append(table, rows);
      if (this.upids.size > 50_000) this.upids.clear();
    } catch (err) {
      this.fail(source, err);
    } finally {
      this.profilerBusy = false;
    }
  }

  status(): SourceStatus[] {
    return [...this.sources.values()].map((s) => s.status());
  }

  /** Tracer loss counters, when the tracer runs. */
  get tracerCounters() {
    return this.tracer?.counters;
  }

  /** What the trace-roles rule left out (client sides into the inside networks), when the tracer runs. */
  get traceRoleCounters(): Readonly<TraceRoleCounters> | undefined {
    return this.tracer?.traceRoleCounters;
  }

  /** The inside networks the tracer follows (undefined: both roles traced, or no tracer). */
  get insideNetworks() {
    return this.tracer?.insideNetworks;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.sources.values()) clearInterval(s.timer);
    const tracer = this.sources.get('socket_tracer');
    if (this.tracer && tracer) {
      try {
        const rows = await this.tracer.stop();
        tracer.rows += this.append(this.table(HTTP_EVENTS), rows.httpEvents) + this.append(this.table(CONN_STATS), rows.connStats);
      } catch (err) {
        this.fail(tracer, err);
      }
    }
    const profiler = this.sources.get('cpu_profiler');
    if (this.profiler && profiler) {
      while (this.profilerBusy) await sleep(10);
      await this.flushStacks(profiler, this.table(STACK_TRACES), true);
    }
    for (const s of this.sources.values()) if (s.state === 'running') s.state = 'stopped';
  }
}
