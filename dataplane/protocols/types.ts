// The contract between connection tracking and protocol parsers. A connection is two byte
// streams (egress, ingress); once a parser recognises the protocol from the first bytes, each
// stream is either the requests or the responses, and the parser's session turns them into
// table rows. New protocols (PostgreSQL, MySQL, DNS, Redis) implement ProtocolParser and are
// registered next to HTTP; nothing else changes.
import type { DataAccessMode } from '../../crds/contract/values.js';
import type { StreamBuffer } from './stream-buffer.js';

export type Direction = 'egress' | 'ingress';

/** On a server, requests are ingress; on a client, requests are egress. */
export type ConnRole = 'client' | 'server' | 'unknown';

export type ResolvedRole = Exclude<ConnRole, 'unknown'>;

export type MessageKind = 'request' | 'response';

/** Bytes one syscall moved on a connection, in one direction. */
export interface DataChunk {
  readonly direction: Direction;
  readonly data: Buffer;
  readonly timestampNs: bigint;
}

export interface ConnectionMeta {
  /** Unique process id as rows show it, e.g. "tgid:startTicks". */
  readonly upid: string;
  readonly tgid: number;
  readonly localAddr: string;
  readonly localPort: number;
  readonly remoteAddr: string;
  readonly remotePort: number;
  readonly role: ConnRole;
}

/** `trace_role` values, as in Pixie. */
export const TRACE_ROLE = { unknown: 0, client: 1, server: 2 } as const satisfies Record<ConnRole, number>;

/** `protocol` values of conn_stats, as in Pixie's traffic_protocol_t. */
export const TRAFFIC_PROTOCOL = {
  unknown: 0,
  http: 1,
  http2: 2,
  mysql: 3,
  cql: 4,
  pgsql: 5,
  dns: 6,
  redis: 7,
} as const;


export interface CaptureOptions {
  /** Bodies longer than this are cut and marked. */
  readonly bodyLimitBytes: number;
  readonly dataAccess: DataAccessMode;
}

export type ColumnValue = string | number | bigint | boolean;

export type TableRow = { readonly [column: string]: ColumnValue };

export interface TableRecord {
  readonly table: string;
  readonly row: TableRow;
}

export type Detection =
  | { readonly verdict: 'match'; readonly kind: MessageKind }
  | { readonly verdict: 'need-more' }
  | { readonly verdict: 'no-match' };

export interface DetectContext {
  readonly direction: Direction;
  readonly role: ConnRole;
}

export interface SessionContext {
  readonly meta: ConnectionMeta;
  /** The role the tracker settled on (given by the kernel side or inferred at detection). */
  readonly role: ResolvedRole;
  readonly options: CaptureOptions;
}

/** Counters every session keeps; a protocol may add its own. */
export interface ParserCounters {
  /** Bytes skipped because no message could start there. */
  garbageBytes: number;
  /** Messages whose start was recognised but whose rest could not be parsed. */
  malformedMessages: number;
  /** Responses for which no request was seen. */
  unmatchedResponses: number;
  /** Requests still waiting for a response when the connection closed. */
  unansweredRequests: number;
  /** Partial messages dropped because bytes of their stream were lost. */
  gaps: number;
  [counter: string]: number;
}

export interface ProtocolSession<Row extends TableRow = TableRow> {
  /**
   * New bytes were appended to `buffer`, which holds this side's unparsed bytes (oldest first).
   * Consume what was parsed; what is left stays for the next call.
   */
  onData(kind: MessageKind, buffer: StreamBuffer): void;
  /**
   * `lostBytes` bytes of this side are missing after those already passed to onData (the
   * kernel dropped events, a payload was cut at the per-event cap, or a buffer overflowed);
   * `timestampNs` is when the loss was noticed. Return true when the session skipped them and
   * stays in step (inside a body whose extent it knows); false when it dropped its partial
   * message: the tracker then discards this side's unparsed bytes and the session
   * resynchronises on what comes next.
   */
  onGap(kind: MessageKind, lostBytes: number, timestampNs: bigint): boolean;
  onClose(timestampNs: bigint): void;
  /** Rows completed since the last call (the session does not touch the array again). */
  takeRows(): readonly Row[];
  readonly counters: Readonly<ParserCounters>;
}

export interface ProtocolParser<Row extends TableRow = TableRow> {
  /** Short name, e.g. "http". */
  readonly name: string;
  /** Table its rows go to, e.g. "http_events". */
  readonly table: string;
  readonly trafficProtocol: number;
  /**
   * Looks at the first bytes of one direction of a connection (or of a chunk, when resynchronising
   * detection). Must never throw, whatever the bytes.
   */
  detect(prefix: Buffer, context: DetectContext): Detection;
  createSession(context: SessionContext): ProtocolSession<Row>;
}
