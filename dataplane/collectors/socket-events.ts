// What the socket tracer's kernel side reports about connections, as user space consumes it.
import type { ConnectionMeta, DataChunk } from '../protocols/types.js';

/** A connection as the kernel side tracks it: the fd number is reused, the generation is not. */
export interface ConnectionId {
  readonly tgid: number;
  readonly fd: number;
  readonly generation: number;
}

export interface ConnectionOpenEvent {
  readonly kind: 'open';
  readonly conn: ConnectionId;
  readonly meta: ConnectionMeta;
  readonly timestampNs: bigint;
  /**
   * false when the connection was already open when tracing found it (no connect/accept seen):
   * it is tracked but not counted as an open.
   */
  readonly observed?: boolean;
}

export interface ConnectionDataEvent {
  readonly kind: 'data';
  readonly conn: ConnectionId;
  readonly chunk: DataChunk;
  /** Bytes the syscall moved, when more than the captured payload (the per-event cap). */
  readonly byteCount?: number;
}

export interface ConnectionCloseEvent {
  readonly kind: 'close';
  readonly conn: ConnectionId;
  readonly timestampNs: bigint;
}

export type SocketEvent = ConnectionOpenEvent | ConnectionDataEvent | ConnectionCloseEvent;

export function connectionKey(conn: ConnectionId): string {
  return `${conn.tgid}:${conn.fd}:${conn.generation}`;
}
