// Socket tracer -> per-connection protocol trackers -> table rows (http_events, conn_stats).
// The kernel side reports opens, payload chunks and closes; this module gives every connection
// a ConnectionTracker, feeds it in order, and collects what the parsers produce. Client sides
// whose remote end is inside are not parsed (trace-roles.ts): the kernel captures no payload for
// those it can tell at connect(), the rest are dropped here; all of them still count in conn_stats.
import {
  BATCH_DIR_EGRESS,
  BATCH_KIND,
  DETECT_BYTES,
  SocketTracer,
  openEventAt,
  type TracerBatch,
  type TracerCounters,
  type TracerOptions,
} from '../../native-bpf/index.js';
import { ipFromBytes, ipToBytes, type CidrSet } from '../../lib/cidr.js';
import { HostNetworks, type InsideNetworks } from '../metadata/inside-networks.js';
import { ConnectionTracker } from '../protocols/connection-tracker.js';
import type { ProtocolName } from '../../crds/contract/values.js';
import { protocolRegistry, type ProtocolRegistry } from '../protocols/registry.js';
import { resolveTrackerOptions, type TrackerOptions } from '../protocols/options.js';
import type { ConnectionMeta, Direction, ResolvedRole } from '../protocols/types.js';
import { ConnStatsAggregator, type PairStats } from './conn-stats.js';
import { decideSide, DEFAULT_TRACE_ROLES, type SideDecision, type TraceRoles } from './trace-roles.js';
import { upidFor } from '../stats/process-stats.js';
import { wallClockNs } from '../../lib/clock.js';
import { HTTP_EVENTS, type ConnStatsRow, type HttpEventRow } from '../table-store/schemas.js';

export interface CollectorOptions extends TracerOptions {
  /** Body limit, data-access mode, buffer bounds (validated by resolveTrackerOptions). */
  tracker?: Partial<TrackerOptions>;
  /** Which sides of a connection make http_events rows (default 'server', Pixie's rule: see trace-roles.ts). */
  traceRoles?: TraceRoles;
  /** With 'server': where a client side's remote end counts as inside (default this host's addresses and loopback). */
  insideNetworks?: InsideNetworks;
  /** Protocols to parse (default http); those without a parser are skipped (registry.ts). */
  protocols?: readonly ProtocolName[];
}

export interface CollectedRows {
  httpEvents: HttpEventRow[];
  connStats: ConnStatsRow[];
}

/** What the trace-roles rule left out, cumulative (client sides whose remote end is inside). */
export interface TraceRoleCounters {
  /** Client-side connections not parsed: their remote end is inside, where the server side is traced. */
  skippedConnections: number;
  /** Data events of those connections: counted in conn_stats, not parsed. */
  skippedEvents: number;
  /** Rows already made for such a connection and dropped: its side showed only from its protocol (it was open before tracing), or it waited for the inside networks. */
  skippedRows: number;
  /** Rows of client sides that waited for the inside networks and were dropped: over the hold limit, or the tracer stopped first. */
  heldRowsDropped: number;
}

/** Rows one waiting client side may hold until the inside networks are known. */
const MAX_HELD_ROWS = 256;

interface TracedConnection {
  /** Undefined when the connection is not parsed (a client side into the inside networks): only its bytes and protocol count. */
  tracker: ConnectionTracker | undefined;
  readonly pair: PairStats;
  /** The remote address, in the 128-bit space of metadata/cidr.ts. */
  readonly remote: bigint;
  /** 'undecided' until the protocol shows the side of a connection found open (role unknown). */
  side: SideDecision | 'undecided';
  /** Rows of a 'pending' side. */
  held: HttpEventRow[] | undefined;
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
  /** Client sides waiting for the inside networks (open or closed). */
  private readonly pending = new Set<TracedConnection>();
  private readonly upids = new Map<number, string>();
  private readonly registry: ProtocolRegistry;
  private readonly options: TrackerOptions;
  private inside: CidrSet | undefined;
  private readonly counts: TraceRoleCounters = { skippedConnections: 0, skippedEvents: 0, skippedRows: 0, heldRowsDropped: 0 };
  readonly connStats = new ConnStatsAggregator();
  private http: HttpEventRow[] = [];

  constructor(
    tracker: Partial<TrackerOptions> = {},
    private readonly traceRoles: TraceRoles = DEFAULT_TRACE_ROLES,
    protocols: readonly ProtocolName[] = ['http'],
  ) {
    this.options = resolveTrackerOptions(tracker);
    this.registry = protocolRegistry(protocols);
  }

  // Kernel timestamps are CLOCK_MONOTONIC (as is process.hrtime); rows carry wall-clock time_.
  private readonly monoToWallNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

  get traceRoleCounters(): Readonly<TraceRoleCounters> {
    return { ...this.counts };
  }

  /** The inside networks now (undefined: not known yet); client sides that waited for them are decided. */
  setInside(inside: CidrSet | undefined): void {
    this.inside = inside;
    if (!inside) return;
    for (const conn of this.pending) {
      if (inside.contains(conn.remote)) {
        this.skip(conn);
      } else {
        conn.side = 'trace';
        for (const row of conn.held ?? []) this.http.push(row);
        conn.held = undefined;
      }
    }
    this.pending.clear();
  }

  /** Drops what still waits for the inside networks (the tracer stopped before they were known). */
  dropPending(): void {
    for (const conn of this.pending) {
      this.counts.heldRowsDropped += (conn.held?.length ?? 0) + (conn.tracker?.takeRows().length ?? 0);
      conn.held = undefined;
    }
    this.pending.clear();
  }

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
        const start = payloadOffsets[i]!;
        const end = payloadOffsets[i + 1]!;
        this.connStats.transferred(conn.pair, direction, size);
        if (!tracker) {
          this.counts.skippedEvents++;
          if (!conn.protocolKnown && end > start) this.sniff(conn, direction, payload.subarray(start, Math.min(end, start + DETECT_BYTES)));
          continue;
        }
        const pos = positions[i]!;
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
          if (conn.side === 'undecided') this.decide(conn, tracker.role as ResolvedRole);
        }
      } else if (kind === BATCH_KIND.close) {
        tracker?.onClose(timestampNs);
        this.connStats.closed(conn.pair);
        this.connections.delete(generation);
      }
      if (conn.tracker?.hasRecords) this.collect(conn, conn.tracker);
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
    const conn: TracedConnection = {
      tracker: new ConnectionTracker(meta, this.registry, this.options),
      pair: this.connStats.opened(meta, e.role !== 'unknown'),
      remote: ipFromBytes(b.remoteAddrs, i * 16, e.family === 'ipv4'),
      side: 'undecided',
      held: undefined,
      protocolKnown: false,
      nextEgress: 0,
      nextIngress: 0,
    };
    this.connections.set(e.conn.generation, conn);
    // The kernel already left out the payload of a client side it found inside.
    if (e.noPayload) this.skip(conn);
    else if (e.role !== 'unknown') this.decide(conn, e.role);
  }

  private decide(conn: TracedConnection, role: ResolvedRole): void {
    const side = decideSide(role, this.traceRoles, this.inside, conn.remote);
    if (side === 'skip') return this.skip(conn);
    conn.side = side;
    if (side === 'pending') this.pending.add(conn);
  }

  private skip(conn: TracedConnection): void {
    conn.side = 'skip';
    this.counts.skippedConnections++;
    this.counts.skippedRows += (conn.held?.length ?? 0) + (conn.tracker?.takeRows().length ?? 0);
    conn.held = undefined;
    conn.tracker = undefined;
  }

  /** The protocol of a connection that is not parsed, for conn_stats, from its first bytes. */
  private sniff(conn: TracedConnection, direction: Direction, prefix: Buffer): void {
    const detection = this.registry.detect(prefix, { direction, role: 'client' });
    if (detection.verdict !== 'match') return;
    this.connStats.detected(conn.pair, detection.parser.trafficProtocol);
    conn.protocolKnown = true;
  }

  private collect(conn: TracedConnection, tracker: ConnectionTracker): void {
    const rows = tracker.takeRows();
    if (tracker.protocol?.table !== HTTP_EVENTS.name) return;
    if (conn.side === 'pending') {
      const held = (conn.held ??= []);
      const room = Math.max(0, MAX_HELD_ROWS - held.length);
      for (let i = 0; i < rows.length && i < room; i++) held.push(rows[i] as HttpEventRow);
      this.counts.heldRowsDropped += Math.max(0, rows.length - room);
      return;
    }
    for (let i = 0; i < rows.length; i++) this.http.push(rows[i] as HttpEventRow);
  }
}

export class SocketTraceCollector {
  private lastInside: CidrSet | undefined;
  private kernelInsideBlocks = 0;

  private constructor(
    private readonly tracer: SocketTracer,
    private readonly router: SocketEventRouter,
    /** Consulted with trace roles 'server' only. */
    private readonly inside: InsideNetworks | undefined,
  ) {}

  static async start(opts: CollectorOptions = {}): Promise<SocketTraceCollector> {
    const { tracker, traceRoles = DEFAULT_TRACE_ROLES, insideNetworks, protocols, ...tracerOptions } = opts;
    const router = new SocketEventRouter(tracker, traceRoles, protocols);
    const inside = traceRoles === 'server' ? (insideNetworks ?? new HostNetworks()) : undefined;
    const collector = new SocketTraceCollector(await SocketTracer.start(tracerOptions), router, inside);
    collector.refreshInside();
    return collector;
  }

  /** Follows the inside networks: the router decides with them, the kernel mutes client sides into them. */
  private refreshInside(): void {
    const set = this.inside?.current();
    if (set === this.lastInside) return;
    this.lastInside = set;
    // Widest first (CidrSet order), so a set larger than the kernel's trie keeps its widest blocks there.
    this.kernelInsideBlocks = this.tracer.setInsideNetworks((set?.cidrs ?? []).map((c) => ({ addr: ipToBytes(c.addr), prefixLength: c.prefix })));
    this.router.setInside(set);
  }

  /**
   * http_events rows completed since the last poll and, unless `connStats` is false, a conn_stats
   * row per live client-server pair (cumulative counters, time_ = nowNs, wall-clock ns).
   */
  poll(nowNs: bigint = wallClockNs(), connStats = true): CollectedRows {
    this.refreshInside();
    const batch = this.tracer.drainBatch();
    if (batch) this.router.route(batch);
    return { httpEvents: this.router.takeHttpEvents(), connStats: connStats ? this.router.connStats.flush(nowNs) : [] };
  }

  get counters(): TracerCounters | undefined {
    return this.tracer.counters;
  }

  get traceRoleCounters(): Readonly<TraceRoleCounters> {
    return this.router.traceRoleCounters;
  }

  /** The inside networks as last applied (undefined: tracing both roles, or not known yet). */
  get insideNetworks(): { readonly source: string; readonly blocks: CidrSet | undefined; readonly inKernel: number } | undefined {
    return this.inside && { source: this.inside.source, blocks: this.lastInside, inKernel: this.kernelInsideBlocks };
  }

  /** Detaches, delivers what is left, and returns the last rows. */
  async stop(nowNs: bigint = wallClockNs()): Promise<CollectedRows> {
    this.refreshInside();
    for (const batch of await this.tracer.stopBatches()) this.router.route(batch);
    this.router.dropPending();
    return { httpEvents: this.router.takeHttpEvents(), connStats: this.router.connStats.flush(nowNs) };
  }
}
