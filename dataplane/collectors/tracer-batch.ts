// TracerBatches as the addon's drainTracer returns them, written event by event: for tests of
// the collector's path without the kernel. Stream positions follow the payloads given.
import { BATCH_DIR_EGRESS, BATCH_KIND, type TracerBatch, type TracerCounters } from '../../native-bpf/index.js';
import { parseIp } from '../../lib/cidr.js';
import type { ConnRole, Direction } from '../protocols/types.js';

const ROLE_CODE: Record<ConnRole, number> = { unknown: 0, client: 1, server: 2 };
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
/** socket_tracer.h enum sock_syscall. */
export const SYSCALL = { read: 1, write: 5, writev: 6, connect: 10, accept4: 12, close: 13 } as const;

export interface BatchConnection {
  /** The kernel's generation: the connection's id in the batch. */
  readonly generation: number;
  readonly tgid: number;
  readonly role: ConnRole;
  /** "10.0.0.1:8080" or "[fd00::1]:8080". */
  readonly local: string;
  readonly remote: string;
  /** The kernel left the payload out past its first bytes (a client side into the inside networks). */
  readonly noPayload?: boolean;
}

/** One event as a batch row: `size` bytes moved at stream offset `position`, `payload` what was captured. */
export interface BatchRow {
  /** BATCH_KIND. */
  readonly kind: number;
  readonly conn: BatchConnection;
  readonly egress: boolean;
  /** The addon's syscall code (socket_tracer.h enum sock_syscall). */
  readonly syscall: number;
  readonly timestampNs: bigint;
  /** data: bytes moved; close: bytes sent over the connection's life. */
  readonly size: number;
  /** data: stream offset; close: bytes received. */
  readonly position: number;
  readonly payload: Buffer;
}

const NO_COUNTERS: TracerCounters = {
  events: 0,
  received: 0,
  lostRingbufFull: 0,
  lostUserBuffer: 0,
  malformed: 0,
  exitCloses: 0,
  truncated: 0,
  budgetDrops: 0,
  connTableFull: 0,
  readFailed: 0,
  compatSkipped: 0,
};

interface Endpoint {
  readonly family: number;
  readonly bytes: Uint8Array;
  readonly port: number;
}

function endpoint(text: string): Endpoint {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  const addrText = m?.[1] ?? m?.[2];
  const addr = addrText === undefined ? undefined : parseIp(addrText);
  if (!m || addr === undefined) throw new Error(`tracer-batch: "${text}" is not ADDRESS:PORT`);
  const bytes = new Uint8Array(16);
  const v4 = m[2] !== undefined;
  const width = v4 ? 4 : 16;
  for (let i = 0, v = addr; i < width; i++, v >>= 8n) bytes[width - 1 - i] = Number(v & 0xffn);
  return { family: v4 ? AF_INET : AF_INET6, bytes, port: Number(m[3]) };
}

export class TracerBatchBuilder {
  private rows: BatchRow[] = [];
  private readonly sent = new Map<number, number>();
  private readonly received = new Map<number, number>();
  private readonly conns = new Map<number, BatchConnection>();
  private clockNs = 1_000_000_000n;

  open(conn: BatchConnection): this {
    this.conns.set(conn.generation, conn);
    const syscall = conn.role === 'client' ? SYSCALL.connect : conn.role === 'server' ? SYSCALL.accept4 : SYSCALL.read;
    return this.push(BATCH_KIND.open, conn, false, syscall, 0, 0, Buffer.alloc(0));
  }

  /**
   * Bytes one syscall moved. `captured` (default all of them) is what the kernel copied: fewer
   * bytes for a payload cut at the per-event cap, or a no-payload connection's size-only events.
   */
  data(generation: number, direction: Direction, bytes: string | Buffer, captured?: number): this {
    const conn = this.connection(generation);
    const payload = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    const egress = direction === 'egress';
    const counter = egress ? this.sent : this.received;
    const position = counter.get(generation) ?? 0;
    counter.set(generation, position + payload.length);
    return this.push(BATCH_KIND.data, conn, egress, egress ? SYSCALL.write : SYSCALL.read, payload.length, position, payload.subarray(0, captured ?? payload.length));
  }

  close(generation: number): this {
    const conn = this.connection(generation);
    return this.push(BATCH_KIND.close, conn, false, SYSCALL.close, this.sent.get(generation) ?? 0, this.received.get(generation) ?? 0, Buffer.alloc(0));
  }

  /** The rows written since the last take, as one batch. */
  take(): TracerBatch {
    const rows = this.rows;
    this.rows = [];
    return tracerBatch(rows);
  }

  private connection(generation: number): BatchConnection {
    const conn = this.conns.get(generation);
    if (!conn) throw new Error(`tracer-batch: connection ${generation} was never opened`);
    return conn;
  }

  private push(kind: number, conn: BatchConnection, egress: boolean, syscall: number, size: number, position: number, payload: Buffer): this {
    this.clockNs += 1_000_000n;
    this.rows.push({ kind, conn, egress, syscall, timestampNs: this.clockNs, size, position, payload });
    return this;
  }
}

/** The columns the addon's drainTracer returns for these rows. */
export function tracerBatch(rows: readonly BatchRow[]): TracerBatch {
  const n = rows.length;
  const b: TracerBatch = {
    kinds: new Uint8Array(n),
    roles: new Uint8Array(n),
    directions: new Uint8Array(n),
    syscalls: new Uint8Array(n),
    noPayload: new Uint8Array(n),
    families: new Uint16Array(n),
    sockTypes: new Uint16Array(n),
    localPorts: new Uint16Array(n),
    remotePorts: new Uint16Array(n),
    tgids: new Uint32Array(n),
    fds: new Int32Array(n),
    generations: new Float64Array(n),
    sizes: new Float64Array(n),
    positions: new Float64Array(n),
    timestamps: new BigUint64Array(n),
    localAddrs: new Uint8Array(16 * n),
    remoteAddrs: new Uint8Array(16 * n),
    payloadOffsets: new Uint32Array(n + 1),
    payload: Buffer.concat(rows.map((r) => r.payload)),
    counters: NO_COUNTERS,
    stopped: false,
  };
  const endpoints = new Map<BatchConnection, { local: Endpoint; remote: Endpoint }>();
  let offset = 0;
  rows.forEach((r, i) => {
    let ends = endpoints.get(r.conn);
    if (!ends) endpoints.set(r.conn, (ends = { local: endpoint(r.conn.local), remote: endpoint(r.conn.remote) }));
    b.kinds[i] = r.kind;
    b.roles[i] = ROLE_CODE[r.conn.role];
    b.directions[i] = r.egress ? BATCH_DIR_EGRESS : 0;
    b.syscalls[i] = r.syscall;
    b.noPayload[i] = r.kind === BATCH_KIND.open && r.conn.noPayload ? 1 : 0;
    b.families[i] = ends.local.family;
    b.sockTypes[i] = SOCK_STREAM;
    b.localPorts[i] = ends.local.port;
    b.remotePorts[i] = ends.remote.port;
    b.tgids[i] = r.conn.tgid;
    b.fds[i] = 3 + (r.conn.generation % 1000);
    b.generations[i] = r.conn.generation;
    b.sizes[i] = r.size;
    b.positions[i] = r.position;
    b.timestamps[i] = r.timestampNs;
    b.localAddrs.set(ends.local.bytes, 16 * i);
    b.remoteAddrs.set(ends.remote.bytes, 16 * i);
    b.payloadOffsets[i] = offset;
    offset += r.payload.length;
  });
  b.payloadOffsets[n] = offset;
  return b;
}
