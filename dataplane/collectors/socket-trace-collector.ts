// Socket tracer -> per-connection protocol trackers -> table rows (http_events, conn_stats).
// The kernel side reports opens, payload chunks and closes; this module gives every connection
// a ConnectionTracker, feeds it in order, and collects what the parsers produce.
import {
  BATCH_DIR_EGRESS,
  BATCH_KIND,
  SocketTracer,
  openEventAt,
  type TracerBatch,
  type TracerCounters,
  type TracerOptions,
} from '../../native-bpf/index.js';
import { ConnectionTracker } from '../protocols/connection-tracker.js';
import { defaultProtocolRegistry } from '../protocols/registry.js';
import { resolveTrackerOptions, type TrackerOptions } from '../protocols/options.js';
import type { ConnectionMeta } from '../protocols/types.js';
import { ConnStatsAggregator, type PairStats } from './conn-stats.js';
import { upidFor } from '../stats/process-stats.js';
import { wallClockNs } from '../../lib/clock.js';
import { HTTP_EVENTS, type ConnStatsRow, type HttpEventRow } from '../table-store/schemas.js';

export interface CollectorOptions extends TracerOptions {
  /** Body limit, data-access mode, buffer bounds (validated by resolveTrackerOptions). */
  tracker?: Partial<TrackerOptions>;
}

export interface CollectedRows {
  httpEvents: HttpEventRow[];
  connStats: ConnStatsRow[];
}


interface TracedConnection {
  readonly tracker: ConnectionTracker;
  readonly pair: PairStats;
  protocolKnown: boolean;
  /** Stream offset the next data event should start at, per direction. */
  nextEgress: number;
  nextIngress: number;
}

/**
 * Turns the tracer's batches into rows; pure apart from the upid lookup. It walks the batch
 * columns directly: at tens of thousands of events per second, an object per event (and a
 * string key per lookup) costs more than the parsing itself.
 */
export class SocketEventRouter {
  /** Open connections by generation (unique per tracer, unlike (tgid, fd)). */
  private readonly connections = new Map<number, TracedConnection>();
  private readonly upids = new Map<number, string>();
  private readonly registry = defaultProtocolRegistry();
  private readonly options: TrackerOptions;
  readonly connStats = new ConnStatsAggregator();
  private http: HttpEventRow[] = [];

  constructor(tracker: Partial<TrackerOptions> = {}) {
    this.options = resolveTrackerOptions(tracker);
  }

  // Kernel timestamps are CLOCK_MONOTONIC (as is process.hrtime); rows carry wall-clock time_.
  private readonly monoToWallNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

  route(b: TracerBatch): void {
    const { kinds, generations, timestamps, directions, sizes, positions, payloadOffsets, payload } = b;
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i];
      if (kind === BATCH_KIND.open) {
        this.open(b, i);
        continue;
      }
      const generation = generations[i]!;
      const conn = this.connections.get(generation);
      if (!conn) {
        this.connStats.orphaned();
        continue;
      }
      const timestampNs = timestamps[i]! + this.monoToWallNs;
      const tracker = conn.tracker;
      if (kind === BATCH_KIND.data) {
        const egress = directions[i] === BATCH_DIR_EGRESS;
        const direction = egress ? 'egress' : 'ingress';
        const size = sizes[i]!;
        const pos = positions[i]!;
        const start = payloadOffsets[i]!;
        const end = payloadOffsets[i + 1]!;
        this.connStats.transferred(conn.pair, direction, size);
        // Events the kernel could not deliver show as a jump in the stream offset; a payload
        // cut at the per-event cap (or sendfile's, never copied) as captured < size.
        const expected = egress ? conn.nextEgress : conn.nextIngress;
        if (pos > expected) tracker.onGap(direction, pos - expected, timestampNs);
        tracker.onBytes(direction, payload, start, end, timestampNs);
        if (end - start < size) tracker.onGap(direction, size - (end - start), timestampNs);
        if (egress) conn.nextEgress = pos + size;
        else conn.nextIngress = pos + size;
        if (!conn.protocolKnown && tracker.protocol) {
          this.connStats.detected(conn.pair, tracker.protocol.trafficProtocol);
          conn.protocolKnown = true;
        }
      } else if (kind === BATCH_KIND.close) {
        tracker.onClose(timestampNs);
        this.connStats.closed(conn.pair);
        this.connections.delete(generation);
      }
      if (tracker.hasRecords) this.collect(tracker);
    }
  }

  takeHttpEvents(): HttpEventRow[] {
    const out = this.http;
    this.http = [];
    return out;
  }

  private open(b: TracerBatch, i: number): void {
    const e = openEventAt(b, i);
    const meta: ConnectionMeta = {
      upid: upidFor(e.conn.tgid, this.upids),
      tgid: e.conn.tgid,
      localAddr: e.localAddr,
      localPort: e.localPort,
      remoteAddr: e.remoteAddr,
      remotePort: e.remotePort,
      role: e.role,
    };
    this.connections.set(e.conn.generation, {
      tracker: new ConnectionTracker(meta, this.registry, this.options),
      pair: this.connStats.opened(meta, e.role !== 'unknown'),
      protocolKnown: false,
      nextEgress: 0,
      nextIngress: 0,
    });
  }

  private collect(tracker: ConnectionTracker): void {
    const rows = tracker.takeRows();
    if (tracker.protocol?.table !== HTTP_EVENTS.name) return;
    for (let i = 0; i < rows.length; i++) this.http.push(rows[i] as HttpEventRow);
  }
}

export class SocketTraceCollector {
  private constructor(
    private readonly tracer: SocketTracer,
    private readonly router: SocketEventRouter,
  ) {}

  static async start(opts: CollectorOptions = {}): Promise<SocketTraceCollector> {
    const router = new SocketEventRouter(opts.tracker);
    const tracerOptions: TracerOptions = { ...opts };
    delete (tracerOptions as CollectorOptions).tracker;
    return new SocketTraceCollector(await SocketTracer.start(tracerOptions), router);
  }

  /**
   * http_events rows completed since the last poll and, unless `connStats` is false, a conn_stats
   * row per live client-server pair (cumulative counters, time_ = nowNs, wall-clock ns).
   */
  poll(nowNs: bigint = wallClockNs(), connStats = true): CollectedRows {
    const batch = this.tracer.drainBatch();
    if (batch) this.router.route(batch);
    return { httpEvents: this.router.takeHttpEvents(), connStats: connStats ? this.router.connStats.flush(nowNs) : [] };
  }

  get counters(): TracerCounters | undefined {
    return this.tracer.counters;
  }

  /** Detaches, delivers what is left, and returns the last rows. */
  async stop(nowNs: bigint = wallClockNs()): Promise<CollectedRows> {
    for (const batch of await this.tracer.stopBatches()) this.router.route(batch);
    return { httpEvents: this.router.takeHttpEvents(), connStats: this.router.connStats.flush(nowNs) };
  }
}
