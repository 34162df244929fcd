// Socket tracer -> per-connection protocol trackers -> table rows (http_events, conn_stats).
// The kernel side reports opens, payload chunks and closes; this module gives every connection
// a ConnectionTracker, feeds it in order, and collects what the parsers produce.
import { readFileSync } from 'node:fs';
import { SocketTracer, connKey, type SocketEvent as KernelSocketEvent, type TracerCounters, type TracerOptions } from '../../native-bpf/index.js';
import { ConnectionTracker } from '../protocols/connection-tracker.js';
import { defaultProtocolRegistry, rowsOf } from '../protocols/registry.js';
import { http1Protocol } from '../protocols/http1-protocol.js';
import type { HttpEventRow } from '../protocols/http-events.js';
import { resolveTrackerOptions, type TrackerOptions } from '../protocols/options.js';
import type { ConnectionMeta } from '../protocols/types.js';
import { ConnStatsAggregator, type ConnStatsRow } from './conn-stats.js';
import type { SocketEvent } from './socket-events.js';
import { parseProcStat, upidOf } from '../stats/process-stats.js';

export interface CollectorOptions extends TracerOptions {
  /** Body limit, data-access mode, buffer bounds (validated by resolveTrackerOptions). */
  tracker?: Partial<TrackerOptions>;
}

export interface CollectedRows {
  httpEvents: HttpEventRow[];
  connStats: ConnStatsRow[];
}

/** `tgid:starttime`, stable across pid reuse; falls back to `tgid:0` once the process is gone. */
function upidFor(tgid: number, cache: Map<number, string>): string {
  let upid = cache.get(tgid);
  if (!upid) {
    try {
      upid = upidOf(parseProcStat(readFileSync(`/proc/${tgid}/stat`, 'utf8')));
    } catch {
      upid = `${tgid}:0`;
    }
    cache.set(tgid, upid);
  }
  return upid;
}

/** Turns kernel events into the tracker's events; pure apart from the upid lookup. */
export class SocketEventRouter {
  private readonly trackers = new Map<string, ConnectionTracker>();
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

  route(events: readonly KernelSocketEvent[]): void {
    for (const raw of events) {
      const e = { ...raw, timestampNs: raw.timestampNs + this.monoToWallNs };
      const key = connKey(e.conn);
      if (e.kind === 'open') {
        const meta: ConnectionMeta = {
          upid: upidFor(e.conn.tgid, this.upids),
          tgid: e.conn.tgid,
          localAddr: e.localAddr,
          localPort: e.localPort,
          remoteAddr: e.remoteAddr,
          remotePort: e.remotePort,
          role: e.role,
        };
        this.trackers.set(key, new ConnectionTracker(meta, this.registry, this.options));
        this.connStats.onEvent({ kind: 'open', conn: e.conn, meta, timestampNs: e.timestampNs, observed: e.role !== 'unknown' } satisfies SocketEvent);
        continue;
      }
      const tracker = this.trackers.get(key);
      if (e.kind === 'data') {
        // The payload is a view into the drained batch: copy what the tracker keeps.
        const chunk = { direction: e.direction, data: Buffer.from(e.data), timestampNs: e.timestampNs };
        tracker?.onData(chunk);
        this.connStats.onEvent({ kind: 'data', conn: e.conn, chunk, byteCount: e.size } satisfies SocketEvent);
      } else {
        tracker?.onClose(e.timestampNs);
        this.connStats.onEvent({ kind: 'close', conn: e.conn, timestampNs: e.timestampNs } satisfies SocketEvent);
      }
      if (tracker) this.http.push(...rowsOf(tracker.takeRecords(), http1Protocol));
      if (e.kind === 'close') this.trackers.delete(key);
    }
  }

  takeHttpEvents(): HttpEventRow[] {
    const out = this.http;
    this.http = [];
    return out;
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

  /** Rows completed since the last poll. */
  poll(nowNs: bigint = process.hrtime.bigint()): CollectedRows {
    this.router.route(this.tracer.drain());
    return { httpEvents: this.router.takeHttpEvents(), connStats: this.router.connStats.flush(nowNs) };
  }

  get counters(): TracerCounters | undefined {
    return this.tracer.counters;
  }

  /** Detaches, delivers what is left, and returns the last rows. */
  async stop(nowNs: bigint = process.hrtime.bigint()): Promise<CollectedRows> {
    this.router.route(await this.tracer.stop());
    return { httpEvents: this.router.takeHttpEvents(), connStats: this.router.connStats.flush(nowNs) };
  }
}
