// One traced connection: detects its protocol from the first bytes of either direction, then
// feeds each direction through a bounded buffer into the protocol's session and collects rows.
//
//   detecting ──match──▶ tracing ──close──▶ closed
//       │ (too many unrecognised bytes, or the parser threw)
//       ▼
//   unsupported ──close──▶ closed
import { DEFAULT_TRACKER_OPTIONS, type TrackerOptions } from './options.js';
import type { ProtocolRegistry } from './registry.js';
import { StreamBuffer } from './stream-buffer.js';
import type {
  ConnectionMeta,
  ConnRole,
  DataChunk,
  Direction,
  MessageKind,
  ParserCounters,
  ProtocolParser,
  ProtocolSession,
  ResolvedRole,
  TableRecord,
  TableRow,
} from './types.js';

export type TrackerState = 'detecting' | 'tracing' | 'unsupported' | 'closed';

/** Enough for every start pattern we know; a parser still unsure after this many bytes says no. */
const MAX_DETECT_PREFIX_BYTES = 64;

const NO_ROWS: readonly TableRow[] = [];

export interface TrackerCounters {
  /** Bytes no parser recognised while detecting. */
  undetectedBytes: number;
  /** Bytes ignored because the connection is unsupported or already closed. */
  ignoredBytes: number;
  /** Unparsed bytes dropped because a direction's buffer was full. */
  overflowBytes: number;
  /** Bytes the kernel side did not deliver (dropped events, payloads cut at the per-event cap). */
  lostBytes: number;
  /** Unparsed bytes discarded because bytes after them were lost and the parser resynchronised. */
  discardedBytes: number;
  /** Bytes still unparsed when the connection closed. */
  unparsedBytesAtClose: number;
  /** Exceptions thrown by the protocol session (a parser bug); the connection is then unsupported. */
  parserErrors: number;
}

interface Tracing {
  readonly parser: ProtocolParser;
  readonly session: ProtocolSession;
  readonly requestDirection: Direction;
  readonly buffers: Record<Direction, StreamBuffer>;
}

export class ConnectionTracker {
  private currentState: TrackerState = 'detecting';
  private resolvedRole: ConnRole;
  private tracing: Tracing | undefined;
  /** Chunks held while a parser needs more bytes to decide. */
  private pending: DataChunk[] = [];
  // Rows of the traced protocol's table. Undefined rather than empty: a push grows an empty array
  // to 17 slots, and most takes find one row.
  private rows: readonly TableRow[] | undefined;
  private lastParserError: string | undefined;
  private readonly counts: TrackerCounters = {
    undetectedBytes: 0,
    ignoredBytes: 0,
    overflowBytes: 0,
    lostBytes: 0,
    discardedBytes: 0,
    unparsedBytesAtClose: 0,
    parserErrors: 0,
  };

  constructor(
    readonly meta: ConnectionMeta,
    private readonly registry: ProtocolRegistry,
    private readonly options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
  ) {
    this.resolvedRole = meta.role;
  }

  get state(): TrackerState {
    return this.currentState;
  }

  /** The role given, or the one inferred when the protocol was detected. */
  get role(): ConnRole {
    return this.resolvedRole;
  }

  get protocol(): ProtocolParser | undefined {
    return this.tracing?.parser;
  }

  get counters(): Readonly<TrackerCounters> {
    return { ...this.counts };
  }

  get parserCounters(): Readonly<ParserCounters> | undefined {
    return this.tracing?.session.counters;
  }

  /** The message of the exception that made the connection unsupported, if any. */
  get parserError(): string | undefined {
    return this.lastParserError;
  }

  onData(chunk: DataChunk): void {
    this.onBytes(chunk.direction, chunk.data, 0, chunk.data.length, chunk.timestampNs);
  }

  /**
   * The bytes source[start, end) moved in one syscall. The tracker copies what it keeps, so
   * `source` may be reused after the call (the collector passes a view of a whole drained batch).
   */
  onBytes(direction: Direction, source: Buffer, start: number, end: number, timestampNs: bigint): void {
    switch (this.currentState) {
      case 'closed':
      case 'unsupported':
        this.counts.ignoredBytes += end - start;
        return;
      case 'detecting':
        this.pending.push({ direction, data: Buffer.from(source.subarray(start, end)), timestampNs });
        this.detect(direction);
        return;
      case 'tracing':
        try {
          this.feed(direction, source, start, end, timestampNs);
        } catch (error) {
          this.parserFailed(error);
        }
        return;
    }
  }

  /**
   * `lostBytes` bytes of `direction` never arrived, after those passed so far (the caller sees
   * this from stream positions or from a payload shorter than its syscall moved). The session
   * skips them inside a body of known length; otherwise this side resynchronises.
   */
  onGap(direction: Direction, lostBytes: number, timestampNs: bigint): void {
    if (lostBytes <= 0) return;
    this.counts.lostBytes += lostBytes;
    if (this.currentState === 'detecting') {
      // Held chunks of this side no longer lead up to what comes next.
      const kept = this.pending.filter((chunk) => chunk.direction !== direction);
      this.counts.undetectedBytes += byteLength(this.pending) - byteLength(kept);
      this.pending = kept;
      return;
    }
    if (this.currentState !== 'tracing') return;
    try {
      const { session, buffers, requestDirection } = this.tracing!;
      const kind: MessageKind = direction === requestDirection ? 'request' : 'response';
      if (!session.onGap(kind, lostBytes, timestampNs)) this.counts.discardedBytes += buffers[direction].clear();
      this.collectRows();
    } catch (error) {
      this.parserFailed(error);
    }
  }

  /** Whether rows are waiting for takeRecords() or takeRows(). */
  get hasRecords(): boolean {
    return this.rows !== undefined;
  }

  onClose(timestampNs: bigint): void {
    if (this.currentState === 'closed') return;
    if (this.currentState === 'tracing' && this.tracing) {
      const { buffers, session } = this.tracing;
      this.counts.unparsedBytesAtClose += buffers.egress.length + buffers.ingress.length;
      this.guard(() => {
        session.onClose(timestampNs);
        this.collectRows();
      });
    }
    this.counts.undetectedBytes += byteLength(this.pending);
    this.pending = [];
    this.currentState = 'closed';
  }

  /** Rows completed since the last call. */
  takeRecords(): TableRecord[] {
    const rows = this.takeRows();
    if (rows.length === 0) return [];
    const table = this.tracing!.parser.table;
    return rows.map((row) => ({ table, row }));
  }

  /** takeRecords() without the records: the rows, all of the table of `protocol`. */
  takeRows(): readonly TableRow[] {
    const rows = this.rows ?? NO_ROWS;
    this.rows = undefined;
    return rows;
  }

  private detect(direction: Direction): void {
    for (;;) {
      const candidates = this.pending.filter((chunk) => chunk.direction === direction);
      if (candidates.length === 0) return;
      const prefix = prefixOf(candidates, MAX_DETECT_PREFIX_BYTES);
      const detection = this.registry.detect(prefix, { direction, role: this.resolvedRole });
      if (detection.verdict === 'need-more' && prefix.length < MAX_DETECT_PREFIX_BYTES) return;
      if (detection.verdict === 'match') {
        const role = roleOf(direction, detection.kind);
        if (this.meta.role === 'unknown' || this.meta.role === role) {
          this.startTracing(detection.parser, role);
          return;
        }
      }
      // Drop the oldest chunk of this direction and retry: a later chunk may start a message.
      const dropped = candidates[0]!;
      this.pending = this.pending.filter((chunk) => chunk !== dropped);
      this.counts.undetectedBytes += dropped.data.length;
      if (this.counts.undetectedBytes > this.options.maxUndetectedBytes) {
        this.counts.undetectedBytes += byteLength(this.pending);
        this.pending = [];
        this.currentState = 'unsupported';
        return;
      }
    }
  }

  private startTracing(parser: ProtocolParser, role: ResolvedRole): void {
    this.resolvedRole = role;
    this.currentState = 'tracing';
    const held = this.pending;
    this.pending = [];
    this.guard(() => {
      this.tracing = {
        parser,
        session: parser.createSession({ meta: this.meta, role, options: this.options }),
        requestDirection: role === 'server' ? 'ingress' : 'egress',
        buffers: {
          egress: new StreamBuffer(this.options.maxBufferBytes),
          ingress: new StreamBuffer(this.options.maxBufferBytes),
        },
      };
      for (const chunk of held) this.feed(chunk.direction, chunk.data, 0, chunk.data.length, chunk.timestampNs);
    });
  }

  private feed(direction: Direction, source: Buffer, start: number, end: number, timestampNs: bigint): void {
    const { session, buffers, requestDirection } = this.tracing!;
    const kind: MessageKind = direction === requestDirection ? 'request' : 'response';
    const buffer = buffers[direction];
    try {
      for (let offset = start; offset < end; ) {
        if (buffer.free === 0) {
          const dropped = buffer.clear();
          this.counts.overflowBytes += dropped;
          session.onGap(kind, dropped, timestampNs);
        }
        const size = Math.min(buffer.free, end - offset);
        buffer.lend(source, offset, offset + size, timestampNs);
        offset += size;
        session.onData(kind, buffer);
      }
    } finally {
      buffer.keep();
    }
    this.collectRows();
  }

  private collectRows(): void {
    const rows = this.tracing!.session.takeRows();
    if (rows.length === 0) return;
    // Mostly nothing is waiting: keep the session's array rather than copy it.
    this.rows = this.rows === undefined ? rows : [...this.rows, ...rows];
  }

  /** A parser bug must not take the collector down: the connection stops being traced instead. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.parserFailed(error);
    }
  }

  private parserFailed(error: unknown): void {
    this.counts.parserErrors++;
    this.lastParserError = error instanceof Error ? error.message : String(error);
    if (this.currentState !== 'closed') this.currentState = 'unsupported';
  }
}

/** A request leaving this process, or a response arriving, means it is the client. */
function roleOf(direction: Direction, kind: MessageKind): ResolvedRole {
  return (direction === 'egress') === (kind === 'request') ? 'client' : 'server';
}

function prefixOf(chunks: readonly DataChunk[], maxBytes: number): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  for (const chunk of chunks) {
    if (length >= maxBytes) break;
    const part = chunk.data.subarray(0, maxBytes - length);
    parts.push(part);
    length += part.length;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
}

function byteLength(chunks: readonly DataChunk[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.data.length, 0);
}
