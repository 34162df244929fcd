// Fixtures shared by the protocol tests: connection metadata, trackers, HTTP message text, and a
// player that turns "request/response bytes at time t" into chunks for either role.
import { ConnectionTracker } from './connection-tracker.js';
import type { HttpEventRow } from '../table-store/schemas.js';
import { http1Protocol } from './http1-protocol.js';
import { resolveTrackerOptions, type TrackerOptions } from './options.js';
import { defaultProtocolRegistry, rowsOf } from './registry.js';
import type { ConnectionMeta, ConnRole, DataChunk, Direction, MessageKind } from './types.js';

export function connectionMeta(role: ConnRole): ConnectionMeta {
  const server = role !== 'client';
  return {
    upid: '4242:987654',
    tgid: 4242,
    localAddr: server ? '10.0.0.1' : '10.0.0.2',
    localPort: server ? 8080 : 51234,
    remoteAddr: server ? '10.0.0.2' : '10.0.0.1',
    remotePort: server ? 51234 : 8080,
    role,
  };
}

export function httpTracker(role: ConnRole, options: Partial<TrackerOptions> = {}): ConnectionTracker {
  return new ConnectionTracker(connectionMeta(role), defaultProtocolRegistry(), resolveTrackerOptions(options));
}

export function httpRows(tracker: ConnectionTracker): HttpEventRow[] {
  return rowsOf(tracker.takeRecords(), http1Protocol);
}

/** A message: start line and headers joined with CRLF, the blank line, then the body. */
export function http(lines: readonly string[], body: string | Buffer = ''): Buffer {
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}

/** Bytes of one side of the conversation, as the role sees them. */
export interface Step {
  readonly kind: MessageKind;
  readonly data: Buffer | string;
  readonly ts: bigint;
}

export function directionOf(kind: MessageKind, role: 'client' | 'server'): Direction {
  return (kind === 'request') === (role === 'server') ? 'ingress' : 'egress';
}

export function chunk(direction: Direction, data: Buffer | string, timestampNs: bigint): DataChunk {
  return { direction, data: Buffer.isBuffer(data) ? data : Buffer.from(data), timestampNs };
}

/** Feeds the steps, each as one chunk; `role` decides which direction requests travel. */
export function play(tracker: ConnectionTracker, steps: readonly Step[], role: 'client' | 'server'): void {
  for (const step of steps) tracker.onData(chunk(directionOf(step.kind, role), step.data, step.ts));
}

/** Deterministic PRNG (mulberry32) so a failing fuzz case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
