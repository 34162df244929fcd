// The metadata service's NATS contract, the one place both sides read it from: `loupe metadata`
// (server.ts) answers these subjects, PEMs and Kelvins (client.ts) ask them.
//
// A client keeps a resource (pods, services, EndpointSlices, nodes) the way it would from the API
// server: a paged LIST (request/reply on `list`), then a WATCH from the list's resourceVersion:
// it subscribes to `events` (the ordered deltas the service publishes) and asks `watch` for what
// happened since its version (the catch-up). A version the service no longer holds answers 410,
// as the API server's "Gone": the client lists again. Bookmarks on `events` every few seconds say
// the service is alive and where it is.
//
// resourceVersion is "EPOCH.SEQ": EPOCH changes each time the service starts (its delta log is in
// memory), SEQ counts the resource's changes. A version of another epoch is always 410.
//
// Versioned like the query protocol (dataplane/query/protocol-version.ts): every message names
// its protocolVersion; a build of version N answers requests of N-1 and N in the request's version
// and publishes events on one subject per version it speaks; a peer two versions apart is refused
// with a message that says which versions each side speaks.
import { describeVersion, FIRST_PROTOCOL_VERSION, ProtocolVersionError, speaks, type Protocol } from '../query/protocol-version.js';

export const METADATA_PROTOCOL_VERSION = 1;
export const METADATA_PROTOCOL: Protocol = { version: METADATA_PROTOCOL_VERSION };

/** What the service serves: the collections the agents' KubeMetadata watches (dataplane/metadata/kube.ts). */
export const METADATA_RESOURCES = ['pods', 'services', 'endpointslices', 'nodes'] as const;
export type MetadataResource = (typeof METADATA_RESOURCES)[number];

export const MetadataSubjects = {
  /** Request ListRequest → ListReply. */
  list: (r: MetadataResource) => `loupe.metadata.list.${r}`,
  /** Request WatchRequest → WatchReply: the deltas after a resourceVersion. */
  watch: (r: MetadataResource) => `loupe.metadata.watch.${r}`,
  /** Published WireEvents, in order, in one protocol version. */
  events: (version: number, r: MetadataResource) => `loupe.metadata.v${version}.events.${r}`,
  /** Request PingRequest → PingReply: is the service there and synced. */
  ping: 'loupe.metadata.ping',
  /** Request AgentsRequest → AgentsReply: the agents the service has heard from. */
  agents: 'loupe.metadata.agents',
} as const;

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WireEvent {
  readonly protocolVersion: number;
  /** "EPOCH.SEQ" of this change; a bookmark carries the latest. */
  readonly resourceVersion: string;
  readonly type: EventType;
  /** The object as it is after the change (before, for DELETED), its metadata.resourceVersion set to this event's; none on a bookmark. */
  readonly object?: unknown;
}

export interface ListRequest {
  readonly protocolVersion: number;
  /** Objects per page; 0 asks for all of them (the service still ends a page before NATS's payload limit). */
  readonly limit: number;
  readonly continue?: string;
}

export interface ListReply {
  readonly protocolVersion: number;
  readonly resourceVersion: string;
  readonly items: readonly unknown[];
  readonly continue?: string;
}

export interface WatchRequest {
  readonly protocolVersion: number;
  readonly resourceVersion: string;
}

export interface WatchReply {
  readonly protocolVersion: number;
  /** The changes after the request's resourceVersion, oldest first. */
  readonly events: readonly WireEvent[];
  /** Where the catch-up ends; live events follow it. */
  readonly resourceVersion: string;
}

export interface PingReply {
  readonly protocolVersion: number;
  readonly epoch: string;
}

export interface AgentRecord {
  readonly id: string;
  readonly kind: 'pem' | 'kelvin';
  /** The node (PEM) or host (Kelvin) it announced. */
  readonly node: string;
  readonly address: string;
  /** The agent's query protocol version. */
  readonly protocolVersion: number;
  readonly cluster?: string;
  readonly vizier?: string;
  /** ms since the epoch. */
  readonly firstSeen: number;
  readonly lastHeartbeat: number;
  /** ms since the epoch when it said goodbye. */
  readonly goneAt?: number;
}

export interface AgentsReply {
  readonly protocolVersion: number;
  readonly agents: readonly AgentRecord[];
}

/**
 * 400: a malformed request; 410: the version or continue token is no longer held (list again);
 * 503: the service has not listed that resource yet (retry); 505: a protocol version the service
 * does not speak (the reply's protocolVersion is the service's).
 */
export interface ErrorReply {
  readonly protocolVersion: number;
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

const ERROR_CODES = [400, 410, 503, 505] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const encodeMessage = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** A message that does not follow this contract; the message says what was wrong. */
export class WireError extends Error {
  override readonly name = 'WireError';
}

function parse(data: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new WireError(`${what}: not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WireError(`${what}: not a JSON object`);
  return value as Record<string, unknown>;
}

const RESOURCE_VERSION = /^[0-9a-z]+\.[0-9]+$/;

export function formatResourceVersion(epoch: string, seq: number): string {
  return `${epoch}.${seq}`;
}

/** "EPOCH.SEQ" → its parts; undefined when it is not one of ours (e.g. the API server's). */
export function parseResourceVersion(rv: string): { epoch: string; seq: number } | undefined {
  if (!RESOURCE_VERSION.test(rv)) return undefined;
  const dot = rv.indexOf('.');
  const seq = Number(rv.slice(dot + 1));
  return Number.isSafeInteger(seq) ? { epoch: rv.slice(0, dot), seq } : undefined;
}

function text(v: Record<string, unknown>, key: string, what: string): string {
  const x = v[key];
  if (typeof x !== 'string') throw new WireError(`${what}: ${key} must be a string, got ${JSON.stringify(x)}`);
  return x;
}

function version(v: Record<string, unknown>, what: string): number {
  const x = v['protocolVersion'];
  if (typeof x !== 'number' || !Number.isInteger(x) || x < FIRST_PROTOCOL_VERSION) throw new WireError(`${what}: protocolVersion must be an integer >= ${FIRST_PROTOCOL_VERSION}, got ${describeVersion(x)}`);
  return x;
}

function errorOf(v: Record<string, unknown>): ErrorReply['error'] | undefined {
  const e = v['error'];
  if (e === undefined) return undefined;
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  if (!ERROR_CODES.includes(code as ErrorCode) || typeof message !== 'string') throw new WireError(`error reply: needs a code (${ERROR_CODES.join(', ')}) and a message, got ${JSON.stringify(e)}`);
  return { code: code as ErrorCode, message };
}

export function decodeListRequest(data: Uint8Array): ListRequest {
  const v = parse(data, 'list request');
  const limit = v['limit'];
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) throw new WireError(`list request: limit must be an integer >= 0, got ${JSON.stringify(limit)}`);
  const cont = v['continue'];
  if (cont !== undefined && typeof cont !== 'string') throw new WireError('list request: continue must be a string');
  return { protocolVersion: version(v, 'list request'), limit, ...(cont ? { continue: cont } : {}) };
}

export function decodeWatchRequest(data: Uint8Array): WatchRequest {
  const v = parse(data, 'watch request');
  return { protocolVersion: version(v, 'watch request'), resourceVersion: text(v, 'resourceVersion', 'watch request') };
}

/** Only the version is read: a ping or agents request has nothing else. */
export function decodeVersionOnly(data: Uint8Array, what: string): { protocolVersion: number } {
  return { protocolVersion: version(parse(data, what), what) };
}

function event(v: unknown, what: string): WireEvent {
  if (typeof v !== 'object' || v === null) throw new WireError(`${what}: not an object`);
  const e = v as Record<string, unknown>;
  const type = e['type'];
  if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') throw new WireError(`${what}: type must be ADDED, MODIFIED, DELETED or BOOKMARK, got ${JSON.stringify(type)}`);
  const rv = text(e, 'resourceVersion', what);
  if (!parseResourceVersion(rv)) throw new WireError(`${what}: resourceVersion "${rv}" is not EPOCH.SEQ`);
  if (type !== 'BOOKMARK' && (typeof e['object'] !== 'object' || e['object'] === null)) throw new WireError(`${what}: an event of type ${type} needs an object`);
  return { protocolVersion: version(e, what), resourceVersion: rv, type, ...(e['object'] !== undefined ? { object: e['object'] } : {}) };
}

export function decodeEvent(data: Uint8Array): WireEvent {
  return event(parse(data, 'event'), 'event');
}

/** A reply, or the error the service answered with. */
type Reply<T> = { ok: true; reply: T } | { ok: false; error: ErrorReply['error'] };

/** A reply's version and error, then `body` reads the rest. */
function decodeReply<T>(data: Uint8Array, what: string, body: (v: Record<string, unknown>, protocolVersion: number) => T): Reply<T> {
  const v = parse(data, what);
  const protocolVersion = version(v, what);
  const error = errorOf(v);
  return error ? { ok: false, error } : { ok: true, reply: body(v, protocolVersion) };
}

export function decodeListReply(data: Uint8Array): Reply<ListReply> {
  return decodeReply(data, 'list reply', (v, protocolVersion) => {
    const items = v['items'];
    if (!Array.isArray(items)) throw new WireError('list reply: items must be an array');
    const cont = v['continue'];
    if (cont !== undefined && typeof cont !== 'string') throw new WireError('list reply: continue must be a string');
    return { protocolVersion, resourceVersion: text(v, 'resourceVersion', 'list reply'), items, ...(cont ? { continue: cont } : {}) };
  });
}

export function decodeWatchReply(data: Uint8Array): Reply<WatchReply> {
  return decodeReply(data, 'watch reply', (v, protocolVersion) => {
    const events = v['events'];
    if (!Array.isArray(events)) throw new WireError('watch reply: events must be an array');
    return { protocolVersion, events: events.map((e, i) => event(e, `watch reply: events[${i}]`)), resourceVersion: text(v, 'resourceVersion', 'watch reply') };
  });
}

export function decodePingReply(data: Uint8Array): Reply<PingReply> {
  return decodeReply(data, 'ping reply', (v, protocolVersion) => ({ protocolVersion, epoch: text(v, 'epoch', 'ping reply') }));
}

export function decodeAgentsReply(data: Uint8Array): Reply<AgentsReply> {
  return decodeReply(data, 'agents reply', (v, protocolVersion) => {
    const agents = v['agents'];
    if (!Array.isArray(agents)) throw new WireError('agents reply: agents must be an array');
    return { protocolVersion, agents: agents as AgentRecord[] };
  });
}

/** The service's answer to a request of a version it does not speak. */
export function versionRefusal(protocol: Protocol, requested: number): ErrorReply {
  return { protocolVersion: protocol.version, error: { code: 505, message: new ProtocolVersionError('the request', requested, protocol, 'this metadata service', requested > protocol.version ? 'upgrade the metadata service before the agents' : 'upgrade the agent').message } };
}

/** A reply of a version the client does not speak. */
export function checkReplyVersion(protocol: Protocol, got: number, what: string): void {
  if (!speaks(protocol, got)) throw new ProtocolVersionError(`the metadata service's ${what}`, got, protocol, 'this agent');
}

/** The versions a service of `protocol` publishes events in: its own and the one before. */
export function publishedVersions(protocol: Protocol): number[] {
  return protocol.version - 1 >= FIRST_PROTOCOL_VERSION ? [protocol.version - 1, protocol.version] : [protocol.version];
}
