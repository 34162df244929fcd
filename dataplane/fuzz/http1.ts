// Fuzz targets for the HTTP/1.x parser behind the connection tracker: the bytes are whatever
// traced processes send. Conversations are generated from the message grammar (framing by
// Content-Length, chunked with extensions and trailers, until-close, interim 1xx, HEAD, 101
// and CONNECT tunnels, pipelining, PII in paths and bodies), then corrupted by raw mutations
// and garbage. Properties: the parser never throws (the tracker would count a parserError and
// stop tracing the connection), rows respect the capture limits and the data-access mode, and
// a conversation gives the same rows and counters however its bytes are split into chunks.
import fc from 'fast-check';
import { inspect } from 'node:util';
import { firstDifference, violated, type FuzzTarget } from './harness.js';
import { byteMutations, mutateBytes, type ByteMutation } from './mutate.js';
import { REDACTED_VALUE, TRUNCATION_MARKER } from '../protocols/body.js';
import { ConnectionTracker } from '../protocols/connection-tracker.js';
import type { HttpEventRow } from '../table-store/schemas.js';
import { HTTP_METHODS } from '../protocols/http1-head.js';
import { resolveTrackerOptions, type TrackerOptions } from '../protocols/options.js';
import { defaultProtocolRegistry } from '../protocols/registry.js';
import { connectionMeta } from '../protocols/test-support.js';
import { DATA_ACCESS_MODES } from '../../crds/contract/values.js';
import type { ConnRole, Direction, MessageKind } from '../protocols/types.js';

// ---- the message grammar ----------------------------------------------------------------------

const CRLF = '\r\n';

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
/** Field values: visible text, spaces, obs-text bytes, and now and then a bare CR or LF. */
const fieldValue = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,24}$/) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 12 }) },
);

const PII = ['alice@example.com', '4111 1111 1111 1111', '4111-1111-1111-1111', '10.1.2.3', '::1', 'fe80::1:2', '2001:db8::8a2e:370:7334', '999.1.1.1'];
const pathPart = fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~%-]{0,10}$/), fc.constantFrom(...PII));
const target = fc.oneof(
  { weight: 8, arbitrary: fc.array(pathPart, { maxLength: 4 }).chain((parts) => fc.option(fc.array(fc.tuple(token, pathPart), { maxLength: 3 })).map((q) => `/${parts.join('/')}${q ? `?${q.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`)) },
  { weight: 1, arbitrary: fc.constantFrom('*', 'http://svc:8080/x', 'svc:443', '/' + 'a'.repeat(3000)) },
);

/** Mostly small bodies; now and then one past the capture limit and the smaller buffer sizes. */
const body = fc.oneof(
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { weight: 10, arbitrary: fc.array(fc.oneof(fc.stringMatching(/^[ -~]{0,16}$/), fc.constantFrom(...PII)), { maxLength: 6 }).map((p) => Buffer.from(p.join(' '))) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 10_000 }).map((n) => Buffer.alloc(n, 0x61)) },
);

type Framing =
  | { readonly type: 'none' }
  | { readonly type: 'length'; readonly declared: string }
  | { readonly type: 'chunked'; readonly encoding: string; readonly sizes: readonly number[]; readonly extension: string; readonly trailers: readonly (readonly [string, string])[]; readonly upper: boolean }
  | { readonly type: 'until-close' };

const framing = (bodyLength: number): fc.Arbitrary<Framing> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant<Framing>({ type: 'none' }) },
    {
      weight: 4,
      arbitrary: fc
        .oneof(
          { weight: 8, arbitrary: fc.constant(String(bodyLength)) },
          { weight: 1, arbitrary: fc.constantFrom(`${bodyLength}, ${bodyLength}`, `${bodyLength + 1}`, '-1', 'abc', ' 3 ', '99999999999999999', '0x10', '') },
        )
        .map((declared): Framing => ({ type: 'length', declared })),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({
          encoding: fc.oneof({ weight: 6, arbitrary: fc.constant('chunked') }, { weight: 1, arbitrary: fc.constantFrom('gzip, chunked', 'Chunked', 'chunked, gzip', 'identity', 'chunked,chunked') }),
          sizes: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 4 }),
          extension: fc.constantFrom('', ';name=value', ';x', '; q="a;b"'),
          trailers: fc.array(fc.tuple(token, fieldValue), { maxLength: 2 }),
          upper: fc.boolean(),
        })
        .map((chunked): Framing => ({ type: 'chunked', ...chunked })),
    },
    { weight: 1, arbitrary: fc.constant<Framing>({ type: 'until-close' }) },
  );

interface Message {
  readonly startLine: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly framing: Framing;
}

function chunkedBody(bytes: Buffer, f: Extract<Framing, { type: 'chunked' }>): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = Math.min(bytes.length - offset, f.sizes[i % Math.max(1, f.sizes.length)] ?? bytes.length);
    const hex = size.toString(16);
    parts.push(Buffer.from(`${f.upper ? hex.toUpperCase() : hex}${f.extension}${CRLF}`), bytes.subarray(offset, offset + size), Buffer.from(CRLF));
    offset += size;
  }
  parts.push(Buffer.from(`0${f.extension}${CRLF}${f.trailers.map(([n, v]) => `${n}: ${v}${CRLF}`).join('')}${CRLF}`));
  return Buffer.concat(parts);
}

function encodeMessage(m: Message): Buffer {
  const headers = [...m.headers];
  if (m.framing.type === 'length') headers.push(['Content-Length', m.framing.declared]);
  if (m.framing.type === 'chunked') headers.push(['Transfer-Encoding', m.framing.encoding]);
  const head = Buffer.from(`${m.startLine}${CRLF}${headers.map(([n, v]) => `${n}: ${v}${CRLF}`).join('')}${CRLF}`, 'latin1');
  if (m.framing.type === 'none') return head;
  return Buffer.concat([head, m.framing.type === 'chunked' ? chunkedBody(m.body, m.framing) : m.body]);
}

const commonHeader = fc.oneof(
  fc.constantFrom<readonly [string, string]>(['Host', 'svc'], ['Accept', '*/*'], ['Content-Type', 'application/json'], ['content-type', 'application/grpc'], ['Connection', 'keep-alive'], ['X-Forwarded-For', '10.0.0.9'], ['Upgrade', 'websocket']),
  fc.tuple(token, fieldValue),
);
const headers = fc.array(commonHeader, { maxLength: 5 });

const request: fc.Arbitrary<Message> = fc
  .record({
    method: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...HTTP_METHODS) }, { weight: 1, arbitrary: fc.constantFrom('get', 'FOO', 'GETS') }),
    target,
    version: fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.12', 'http/1.1') }),
    headers,
    body,
  })
  .chain((r) => framing(r.body.length).map((f) => ({ startLine: `${r.method} ${r.target} ${r.version}`, headers: r.headers, body: r.body, framing: f.type === 'until-close' ? { type: 'none' as const } : f })));

const response: fc.Arbitrary<Message> = fc
  .record({
    version: fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/1.x') }),
    status: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(200, 201, 204, 304, 404, 500) }, { weight: 1, arbitrary: fc.constantFrom(100, 101, 103) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }) }),
    reason: fc.oneof(fc.constantFrom('OK', 'Not Found', ''), fc.stringMatching(/^[\x20-\x7e]{0,20}$/)),
    headers,
    body,
  })
  .chain((r) => framing(r.body.length).map((f) => ({ startLine: `${r.version} ${String(r.status).padStart(3, '0')} ${r.reason}`.trimEnd(), headers: r.headers, body: r.body, framing: f })));

/** One side's bytes at one point of the conversation: several pipelined messages, maybe garbage. */
export interface Turn {
  readonly kind: MessageKind;
  readonly bytes: Buffer;
}

const garbage = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => Buffer.from(b)), fc.constantFrom(Buffer.from('\r\n'), Buffer.from('HTTP/1.1'), Buffer.from('GET'), Buffer.from('\r\n\r\n')));

/** Messages of `kind` in one turn, each maybe followed by garbage. */
const turnOf = (kind: MessageKind): fc.Arbitrary<Turn> =>
  fc
    .array(fc.tuple(kind === 'request' ? request : response, fc.option(garbage, { freq: 8 })), { minLength: 1, maxLength: 3 })
    .map((messages) => ({ kind, bytes: Buffer.concat(messages.flatMap(([m, g]) => (g ? [encodeMessage(m), g] : [encodeMessage(m)]))) }));

/** Requests and responses taking turns, requests first, 1 to 4 exchanges. */
export const conversation: fc.Arbitrary<Turn[]> = fc
  .array(fc.tuple(turnOf('request'), turnOf('response')), { minLength: 1, maxLength: 4 })
  .map((pairs) => pairs.flat());

const trackerOptions: fc.Arbitrary<TrackerOptions> = fc
  .record({
    bodyLimitBytes: fc.oneof(fc.constantFrom(0, 1, 16, 1024), fc.nat({ max: 4096 })),
    dataAccess: fc.constantFrom(...DATA_ACCESS_MODES),
    maxBufferBytes: fc.oneof(fc.constant(64 * 1024), fc.integer({ min: 1024, max: 8192 })),
    maxUndetectedBytes: fc.oneof(fc.constant(1024 * 1024), fc.nat({ max: 256 })),
  })
  .map((o) => resolveTrackerOptions(o));

// ---- feeding a tracker ----------------------------------------------------------------------

function requestDirection(role: ConnRole): Direction {
  return role === 'client' ? 'egress' : 'ingress';
}

function directionOf(kind: MessageKind, role: ConnRole): Direction {
  const requests = requestDirection(role);
  return kind === 'request' ? requests : requests === 'ingress' ? 'egress' : 'ingress';
}

/** Cuts `length` bytes into chunks whose sizes cycle through `sizes`. */
function cuts(length: number, sizes: readonly number[]): number[] {
  const ends: number[] = [];
  let offset = 0;
  for (let i = 0; offset < length; i++) {
    offset = Math.min(length, offset + (sizes.length === 0 ? length : sizes[i % sizes.length]!));
    ends.push(offset);
  }
  return ends;
}

const chunkSizes = fc.oneof(
  fc.constant<number[]>([]),
  fc.constant([1]),
  fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 8 }),
  fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 4 }),
);

function checkRows(rows: readonly HttpEventRow[], options: TrackerOptions): void {
  const limit = options.bodyLimitBytes + TRUNCATION_MARKER.length;
  for (const row of rows) {
    for (const [field, value] of [['req_body', row.req_body], ['resp_body', row.resp_body]] as const) {
      if (options.dataAccess !== 'Full' && value !== '' && value !== REDACTED_VALUE) violated(`${options.dataAccess} mode recorded a ${field}: ${inspect(value.slice(0, 40))}`);
      if (options.dataAccess === 'Full' && value.length > limit) violated(`${field} of ${value.length} characters passes the ${options.bodyLimitBytes}-byte limit`);
    }
    if (options.dataAccess === 'Restricted' && row.req_headers !== '{}' && row.req_headers !== REDACTED_VALUE) violated(`Restricted mode recorded request headers ${inspect(row.req_headers.slice(0, 40))}`);
    if (options.dataAccess === 'PIIRestricted' && row.req_path.includes('alice@example.com')) violated(`PIIRestricted kept an e-mail address in req_path ${inspect(row.req_path)}`);
  }
}

function checkTracker(tracker: ConnectionTracker): void {
  if (tracker.counters.parserErrors > 0) violated(`the parser threw: ${tracker.parserError}`);
}

// ---- target: any bytes, any interleaving ----------------------------------------------------

export interface RobustnessInput {
  readonly turns: readonly Turn[];
  readonly mutations: readonly ByteMutation[];
  readonly role: ConnRole;
  readonly options: TrackerOptions;
  /** Per turn: chunk sizes, and whether some bytes go missing after it (a gap). */
  readonly feed: readonly { readonly sizes: readonly number[]; readonly lostAfter: number }[];
  /** Chunks of the two directions alternate by these coin flips instead of turn by turn. */
  readonly interleave: readonly boolean[];
  readonly close: boolean;
}

const rawTurns: fc.Arbitrary<Turn[]> = fc.array(
  fc.record({ kind: fc.constantFrom<MessageKind>('request', 'response'), bytes: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) }),
  { minLength: 1, maxLength: 4 },
);

/** Every other turn (the first, the third, ...) corrupted by the mutations; the others stay as generated. */
function mutatedTurns(turns: readonly Turn[], mutations: readonly ByteMutation[]): Turn[] {
  return turns.map((t, i) => ({ kind: t.kind, bytes: mutations.length === 0 || i % 2 === 1 ? t.bytes : mutateBytes(t.bytes, mutations) }));
}

function robustnessEvents(input: RobustnessInput): { direction: Direction; bytes?: Buffer; lost?: number }[] {
  const turns = mutatedTurns(input.turns, input.mutations);
  const queues: Record<Direction, { bytes?: Buffer; lost?: number }[]> = { egress: [], ingress: [] };
  turns.forEach((turn, i) => {
    const direction = directionOf(turn.kind, input.role);
    const plan = input.feed[i % Math.max(1, input.feed.length)] ?? { sizes: [], lostAfter: 0 };
    let start = 0;
    for (const end of cuts(turn.bytes.length, plan.sizes)) {
      queues[direction].push({ bytes: turn.bytes.subarray(start, end) });
      start = end;
    }
    if (plan.lostAfter > 0) queues[direction].push({ lost: plan.lostAfter });
  });
  // Turn order within each direction is kept; between directions the coin flips decide.
  const events: { direction: Direction; bytes?: Buffer; lost?: number }[] = [];
  const next: Record<Direction, number> = { egress: 0, ingress: 0 };
  const left = (d: Direction) => next[d] < queues[d].length;
  for (let flip = 0; left('egress') || left('ingress'); ) {
    const pick: Direction = !left('egress') ? 'ingress' : !left('ingress') ? 'egress' : input.interleave[flip++ % Math.max(1, input.interleave.length)] ? 'egress' : 'ingress';
    events.push({ direction: pick, ...queues[pick][next[pick]++]! });
  }
  return events;
}

export const http1Target: FuzzTarget<RobustnessInput> = {
  name: 'http1',
  description: 'HTTP/1.x: generated, mutated and random bytes in any chunking, interleaving and with gaps never make the parser throw; rows keep the body limit and data-access mode',
  arbitrary: fc.record({
    turns: fc.oneof({ weight: 4, arbitrary: conversation }, { weight: 1, arbitrary: rawTurns }),
    mutations: fc.oneof(fc.constant([]), byteMutations),
    role: fc.constantFrom<ConnRole>('server', 'client', 'unknown'),
    options: trackerOptions,
    feed: fc.array(fc.record({ sizes: chunkSizes, lostAfter: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }) }) }), { minLength: 1, maxLength: 4 }),
    interleave: fc.array(fc.boolean(), { maxLength: 16 }),
    close: fc.boolean(),
  }),
  check(input) {
    const tracker = new ConnectionTracker(connectionMeta(input.role), defaultProtocolRegistry(), input.options);
    const rows: HttpEventRow[] = [];
    let ts = 1_000n;
    for (const event of robustnessEvents(input)) {
      ts += 1_000n;
      if (event.bytes) tracker.onData({ direction: event.direction, data: event.bytes, timestampNs: ts });
      else tracker.onGap(event.direction, event.lost!, ts);
      rows.push(...(tracker.takeRows() as HttpEventRow[]));
    }
    if (input.close) tracker.onClose(ts + 1n);
    rows.push(...(tracker.takeRows() as HttpEventRow[]));
    checkTracker(tracker);
    checkRows(rows, input.options);
  },
  show: (input) => `${inspect({ ...input, turns: undefined }, { depth: 4 })}\nturns as fed:\n${mutatedTurns(input.turns, input.mutations).map((t) => `${t.kind}: ${inspect(t.bytes.toString('latin1'))}`).join('\n')}`,
};

// ---- target: the same rows however the bytes are split --------------------------------------

export interface SplitInput {
  readonly turns: readonly Turn[];
  readonly mutations: readonly ByteMutation[];
  readonly role: ConnRole;
  readonly options: TrackerOptions;
  readonly splitA: readonly number[];
  readonly splitB: readonly number[];
}

/** The first bytes stay as generated (a request line), so both splits detect HTTP from the same start. */
const KEEP_START_BYTES = 16;

function splitTurns(input: SplitInput): Turn[] {
  if (input.mutations.length === 0) return [...input.turns];
  return input.turns.map((t, i) =>
    i === 0 ? { kind: t.kind, bytes: Buffer.concat([t.bytes.subarray(0, KEEP_START_BYTES), mutateBytes(t.bytes.subarray(KEEP_START_BYTES), input.mutations)]) } : { kind: t.kind, bytes: mutateBytes(t.bytes, input.mutations) },
  );
}

/** Rows (without the times, which follow the chunks) and parser counters after feeding turn by turn. */
function feedSplit(turns: readonly Turn[], input: SplitInput, sizes: readonly number[]): { rows: unknown[]; counters: unknown } {
  const tracker = new ConnectionTracker(connectionMeta(input.role), defaultProtocolRegistry(), input.options);
  const rows: HttpEventRow[] = [];
  let ts = 1_000n;
  for (const turn of turns) {
    const direction = directionOf(turn.kind, input.role);
    let start = 0;
    for (const end of cuts(turn.bytes.length, sizes)) {
      ts += 1_000n;
      tracker.onData({ direction, data: turn.bytes.subarray(start, end), timestampNs: ts });
      start = end;
      rows.push(...(tracker.takeRows() as HttpEventRow[]));
    }
  }
  tracker.onClose(ts + 1n);
  rows.push(...(tracker.takeRows() as HttpEventRow[]));
  checkTracker(tracker);
  checkRows(rows, input.options);
  return { rows: rows.map((row) => ({ ...row, time_: undefined, latency: undefined })), counters: { ...tracker.counters, ...tracker.parserCounters } };
}

export const http1SplitTarget: FuzzTarget<SplitInput> = {
  name: 'http1-split',
  description: 'HTTP/1.x: a generated (and maybe corrupted) conversation gives the same rows and counters whatever the chunk boundaries',
  arbitrary: fc.record({
    turns: conversation.filter((turns) => HTTP_METHODS.some((m) => turns[0]!.bytes.toString('latin1', 0, m.length + 1) === `${m} `)),
    mutations: fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: byteMutations }),
    role: fc.constantFrom<ConnRole>('server', 'client', 'unknown'),
    options: trackerOptions,
    splitA: chunkSizes,
    splitB: chunkSizes,
  }),
  check(input) {
    const turns = splitTurns(input);
    const a = feedSplit(turns, input, input.splitA);
    const b = feedSplit(turns, input, input.splitB);
    const difference = firstDifference(a, b);
    if (difference) violated(`two splits disagree at ${difference}\n(chunk sizes ${inspect(input.splitA)} and ${inspect(input.splitB)})`);
  },
  show: (input) => `${inspect({ ...input, turns: undefined }, { depth: 4 })}\nturns as fed:\n${splitTurns(input).map((t) => `${t.kind}: ${inspect(t.bytes.toString('latin1'))}`).join('\n')}`,
};
