// conn_stats rows (declared in table-store/schemas.ts): cumulative bytes and connection counts
// per client-server pair, as in Pixie. A pair is (upid, remote address, remote port, role); on the
// server side the client's ephemeral port is replaced by 0 so that all connections from one
// client host add up.
import { isIPv4, isIPv6 } from 'node:net';
import type { ConnStatsRow } from '../table-store/schemas.js';
import { TRACE_ROLE, TRAFFIC_PROTOCOL, type ConnectionMeta, type Direction } from '../protocols/types.js';
import { connectionKey, type ConnectionId, type SocketEvent } from './socket-events.js';

/** `addr_family` values, as in Pixie's SockAddrFamily. */
export const ADDR_FAMILY = { unspecified: 0, ipv4: 1, ipv6: 2, unix: 3 } as const;

export interface ConnStatsCounters {
  /** Data or close events for a connection whose open was never reported. */
  orphanEvents: number;
  /** Opens of a connection id already open: the earlier one is counted as closed. */
  reopenedWithoutClose: number;
}

/** What the aggregator keeps per client-server pair; the collector holds one per open connection. */
export interface PairStats {
  readonly upid: string;
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly traceRole: number;
  readonly addrFamily: number;
  protocol: number;
  connOpen: number;
  connClose: number;
  active: number;
  bytesSent: number;
  bytesRecv: number;
}

export class ConnStatsAggregator {
  /** Open connections of the event API (onEvent) → their pair. */
  private readonly connections = new Map<string, PairStats>();
  private readonly pairs = new Map<string, PairStats>();
  private readonly counts: ConnStatsCounters = { orphanEvents: 0, reopenedWithoutClose: 0 };

  get counters(): Readonly<ConnStatsCounters> {
    return { ...this.counts };
  }

  onEvent(event: SocketEvent): void {
    const key = connectionKey(event.conn);
    if (event.kind === 'open') {
      const earlier = this.connections.get(key);
      if (earlier) {
        this.counts.reopenedWithoutClose++;
        this.closed(earlier);
      }
      this.connections.set(key, this.opened(event.meta, event.observed !== false));
      return;
    }
    const pair = this.connections.get(key);
    if (!pair) {
      this.counts.orphanEvents++;
      return;
    }
    if (event.kind === 'close') {
      this.connections.delete(key);
      this.closed(pair);
      return;
    }
    this.transferred(pair, event.chunk.direction, Math.max(event.byteCount ?? 0, event.chunk.data.length));
  }

  /**
   * A connection opened: returns its pair, which the caller passes to transferred() and closed()
   * (the collector keeps it with the connection instead of looking it up per event).
   * `observed` false: it was already open when tracing found it, so it is not counted as an open.
   */
  opened(meta: ConnectionMeta, observed: boolean): PairStats {
    const pair = this.pairFor(meta);
    if (observed) pair.connOpen++;
    pair.active++;
    return pair;
  }

  /** An event for a connection whose open was never seen. */
  orphaned(): void {
    this.counts.orphanEvents++;
  }

  transferred(pair: PairStats, direction: Direction, byteCount: number): void {
    if (direction === 'egress') pair.bytesSent += byteCount;
    else pair.bytesRecv += byteCount;
  }

  closed(pair: PairStats): void {
    pair.connClose++;
    pair.active--;
  }

  /** Called when a connection's protocol is detected (ConnectionTracker.protocol). */
  setProtocol(conn: ConnectionId, trafficProtocol: number): void {
    const pair = this.connections.get(connectionKey(conn));
    if (pair) this.detected(pair, trafficProtocol);
  }

  /** setProtocol() for a caller that holds the connection's pair. */
  detected(pair: PairStats, trafficProtocol: number): void {
    pair.protocol = trafficProtocol;
  }

  /**
   * Cumulative rows for every pair with open connections or closed since the last flush. A pair
   * whose last connection closed is reported once more and then forgotten, so memory follows the
   * live connections (and its counters restart if the pair comes back, as in Pixie).
   */
  flush(nowNs: bigint): ConnStatsRow[] {
    const rows: ConnStatsRow[] = [];
    for (const [key, pair] of this.pairs) {
      rows.push(toRow(pair, nowNs));
      if (pair.active === 0) this.pairs.delete(key);
    }
    return rows;
  }

  private pairFor(meta: ConnectionMeta): PairStats {
    const key = pairKey(meta);
    let pair = this.pairs.get(key);
    if (!pair) {
      pair = {
        upid: meta.upid,
        remoteAddr: meta.remoteAddr,
        remotePort: pairRemotePort(meta),
        traceRole: TRACE_ROLE[meta.role],
        addrFamily: addrFamilyOf(meta.remoteAddr),
        protocol: TRAFFIC_PROTOCOL.unknown,
        connOpen: 0,
        connClose: 0,
        active: 0,
        bytesSent: 0,
        bytesRecv: 0,
      };
      this.pairs.set(key, pair);
    }
    return pair;
  }
}

function pairRemotePort(meta: ConnectionMeta): number {
  return meta.role === 'server' ? 0 : meta.remotePort;
}

function pairKey(meta: ConnectionMeta): string {
  return JSON.stringify([meta.upid, meta.remoteAddr, pairRemotePort(meta), meta.role]);
}

function addrFamilyOf(address: string): number {
  if (isIPv4(address)) return ADDR_FAMILY.ipv4;
  if (isIPv6(address)) return ADDR_FAMILY.ipv6;
  return address.startsWith('/') || address.startsWith('unix:') ? ADDR_FAMILY.unix : ADDR_FAMILY.unspecified;
}

function toRow(pair: PairStats, nowNs: bigint): ConnStatsRow {
  return {
    time_: nowNs,
    upid: pair.upid,
    remote_addr: pair.remoteAddr,
    remote_port: pair.remotePort,
    trace_role: pair.traceRole,
    addr_family: pair.addrFamily,
    protocol: pair.protocol,
    ssl: false,
    conn_open: pair.connOpen,
    conn_close: pair.connClose,
    conn_active: pair.active,
    bytes_sent: pair.bytesSent,
    bytes_recv: pair.bytesRecv,
  };
}
