// Incremental HTTP/1.x parser for one direction of a connection. It consumes bytes as they
// arrive and keeps only what it must (an unfinished head, a chunk-size line, a bounded body
// prefix), so memory does not grow with message size. Framing follows RFC 9112 section 6.
import { BodyCapture, type CapturedBody } from './body.js';
import type { StreamBuffer } from './stream-buffer.js';
import type { Detection, MessageKind } from './types.js';

export type HttpHeaders = ReadonlyArray<readonly [name: string, value: string]>;

interface HttpMessageCommon {
  /** Timestamp of the chunk that carried the first byte of the start line. */
  readonly startNs: bigint;
  /** Timestamp of the chunk that carried the last byte of the message. */
  readonly endNs: bigint;
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** In arrival order, trailers of a chunked body last. */
  readonly headers: HttpHeaders;
  readonly body: CapturedBody;
}

export interface HttpRequest extends HttpMessageCommon {
  readonly kind: 'request';
  readonly method: string;
  readonly target: string;
}

export interface HttpResponse extends HttpMessageCommon {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type HttpMessage = HttpRequest | HttpResponse;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;

const REQUEST_STARTS = HTTP_METHODS.map((method) => `${method} `);
// '#' stands for a decimal digit.
const RESPONSE_START = 'HTTP/1.# ###';
const REQUEST_FIRST_BYTES = new Set(HTTP_METHODS.map((method) => method.charCodeAt(0)));
const RESPONSE_FIRST_BYTE = 'H'.charCodeAt(0);

const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n');
const LINE_END = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
const MAX_CHUNK_SIZE_LINE_BYTES = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

export type StartMatch = 'match' | 'partial' | 'no-match';

/** Whether a message of `kind` starts at `offset` ('partial': the bytes end too early to say). */
export function matchMessageStart(bytes: Buffer, offset: number, kind: MessageKind): StartMatch {
  if (kind === 'response') return matchTemplate(bytes, offset, RESPONSE_START);
  let partial = false;
  for (const start of REQUEST_STARTS) {
    const match = matchTemplate(bytes, offset, start);
    if (match === 'match') return 'match';
    if (match === 'partial') partial = true;
  }
  return partial ? 'partial' : 'no-match';
}

/** First offset at or after `from` where a message of `kind` starts or may start; -1 if none. */
export function findMessageStart(bytes: Buffer, from: number, kind: MessageKind): number {
  for (let i = from; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (kind === 'request' ? !REQUEST_FIRST_BYTES.has(byte) : byte !== RESPONSE_FIRST_BYTE) continue;
    if (matchMessageStart(bytes, i, kind) !== 'no-match') return i;
  }
  return -1;
}

export function detectHttp1(prefix: Buffer): Detection {
  const request = matchMessageStart(prefix, 0, 'request');
  if (request === 'match') return { verdict: 'match', kind: 'request' };
  const response = matchMessageStart(prefix, 0, 'response');
  if (response === 'match') return { verdict: 'match', kind: 'response' };
  return request === 'partial' || response === 'partial' ? { verdict: 'need-more' } : { verdict: 'no-match' };
}

function matchTemplate(bytes: Buffer, offset: number, template: string): StartMatch {
  for (let i = 0; i < template.length; i++) {
    const position = offset + i;
    if (position >= bytes.length) return 'partial';
    const byte = bytes[position]!;
    const expected = template.charCodeAt(i);
    const ok = template[i] === '#' ? byte >= 0x30 && byte <= 0x39 : byte === expected;
    if (!ok) return 'no-match';
  }
  return 'match';
}

interface RequestHead {
  readonly kind: 'request';
  readonly method: string;
  readonly target: string;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly headers: Array<[string, string]>;
}

interface ResponseHead {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly headers: Array<[string, string]>;
}

type MessageHead = RequestHead | ResponseHead;

/** tchar of RFC 9110 section 5.6.2: the bytes a header name may hold. */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1;

const SPACE = 0x20;
const TAB = 0x09;

// Hand-written rather than regular expressions: header lines are most of what the tracer
// parses, and this runs for every message of every traced connection.
function parseHead(text: string, kind: MessageKind): MessageHead | undefined {
  const headers: Array<[string, string]> = [];
  let lineEnd = text.indexOf('\r\n');
  const startLine = lineEnd < 0 ? text : text.slice(0, lineEnd);
  while (lineEnd >= 0) {
    const from = lineEnd + 2;
    lineEnd = text.indexOf('\r\n', from);
    const to = lineEnd < 0 ? text.length : lineEnd;
    const previous = headers[headers.length - 1];
    const first = text.charCodeAt(from);
    if ((first === SPACE || first === TAB) && previous) {
      // Obsolete line folding: a continuation of the previous value.
      previous[1] = `${previous[1]} ${text.slice(from, to).trim()}`.trim();
      continue;
    }
    const header = parseHeaderLine(text, from, to);
    if (!header) return undefined;
    headers.push(header);
  }
  return kind === 'request' ? parseRequestLine(startLine, headers) : parseStatusLine(startLine, headers);
}

const VERSION_SUFFIX = ' HTTP/1.';
const WHITESPACE = /\s/;
const LINE_BREAK = /[\r\n\u2028\u2029]/;

/** `METHOD target HTTP/1.d`, METHOD one of HTTP_METHODS, target without whitespace. */
function parseRequestLine(line: string, headers: Array<[string, string]>): RequestHead | undefined {
  const space = line.indexOf(' ');
  const versionAt = line.length - VERSION_SUFFIX.length - 1;
  if (space <= 0 || versionAt <= space + 1 || !line.startsWith(VERSION_SUFFIX, versionAt)) return undefined;
  const method = line.slice(0, space);
  const minor = line.charCodeAt(line.length - 1) - 0x30;
  const target = line.slice(space + 1, versionAt);
  if (!(HTTP_METHODS as readonly string[]).includes(method) || !(minor >= 0 && minor <= 9) || WHITESPACE.test(target)) {
    return undefined;
  }
  return { kind: 'request', method, target, majorVersion: 1, minorVersion: minor, headers };
}

/** `HTTP/1.d ddd` and an optional ` reason`. */
function parseStatusLine(line: string, headers: Array<[string, string]>): ResponseHead | undefined {
  if (line.length < 12 || !line.startsWith('HTTP/1.') || line.charCodeAt(8) !== SPACE) return undefined;
  const minor = line.charCodeAt(7) - 0x30;
  const s0 = line.charCodeAt(9) - 0x30;
  const s1 = line.charCodeAt(10) - 0x30;
  const s2 = line.charCodeAt(11) - 0x30;
  if (!(minor >= 0 && minor <= 9 && s0 >= 0 && s0 <= 9 && s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9)) return undefined;
  let reason = '';
  if (line.length > 12) {
    if (line.charCodeAt(12) !== SPACE) return undefined;
    reason = line.slice(13);
    if (LINE_BREAK.test(reason)) return undefined;
  }
  return { kind: 'response', status: s0 * 100 + s1 * 10 + s2, reason, majorVersion: 1, minorVersion: minor, headers };
}

/** text[from, to) as `name: value` with optional blanks around the value; undefined unless name is a token. */
function parseHeaderLine(text: string, from = 0, to = text.length): [string, string] | undefined {
  const colon = text.indexOf(':', from);
  if (colon <= from || colon >= to) return undefined;
  for (let i = from; i < colon; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TOKEN_CHARS[c] === 0) return undefined;
  }
  let start = colon + 1;
  let end = to;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === CR || c === LF || c === 0x2028 || c === 0x2029) return undefined;
  }
  return [text.slice(from, colon), text.slice(start, end)];
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

type Framing =
  | { readonly type: 'none' }
  | { readonly type: 'length'; readonly length: number }
  | { readonly type: 'chunked' }
  | { readonly type: 'until-close' }
  /** No body; everything after this message on both sides belongs to another protocol. */
  | { readonly type: 'tunnel' }
  | { readonly type: 'invalid'; readonly reason: string };

const NO_BODY: Framing = { type: 'none' };
const TUNNEL: Framing = { type: 'tunnel' };
const CHUNKED: Framing = { type: 'chunked' };
const UNTIL_CLOSE: Framing = { type: 'until-close' };

function decideFraming(head: MessageHead, requestMethod: string | undefined): Framing {
  if (head.kind === 'response') {
    if (head.status === 101) return TUNNEL;
    if (head.status < 200 || head.status === 204 || head.status === 304) return NO_BODY;
    if (requestMethod === 'HEAD') return NO_BODY;
    if (requestMethod === 'CONNECT' && head.status < 300) return TUNNEL;
  }
  // One pass over the headers; names compared case-insensitively, lengths first.
  let transferEncoding: string[] | undefined;
  let contentLength: string[] | undefined;
  for (const [name, value] of head.headers) {
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') (transferEncoding ??= []).push(value);
    else if (name.length === 14 && name.toLowerCase() === 'content-length') (contentLength ??= []).push(value);
  }
  if (transferEncoding) {
    if (transferEncoding.length === 1 && transferEncoding[0]!.toLowerCase() === 'chunked') return CHUNKED;
    const codings = transferEncoding.flatMap((value) => value.split(',')).map((coding) => coding.trim().toLowerCase());
    if (codings[codings.length - 1] === 'chunked') return CHUNKED;
    return head.kind === 'response'
      ? UNTIL_CLOSE
      : { type: 'invalid', reason: 'request Transfer-Encoding does not end with chunked' };
  }
  if (contentLength) {
    const values = new Set(contentLength.flatMap((value) => value.split(',')).map((value) => value.trim()));
    const [only] = values;
    if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
      return { type: 'invalid', reason: `invalid Content-Length ${JSON.stringify(contentLength.join(', '))}` };
    }
    return { type: 'length', length: Number(only) };
  }
  return head.kind === 'request' ? NO_BODY : UNTIL_CLOSE;
}

/** Hex digit value, or -1. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The chunk size on bytes[start, end): the common bare `1a` or `1a;ext` inline, the rest as text. */
function chunkSizeOf(bytes: Buffer, start: number, end: number): number | undefined {
  let size = 0;
  let i = start;
  for (; i < end && i - start <= 12; i++) {
    const digit = hexValue(bytes[i]!);
    if (digit < 0) break;
    size = size * 16 + digit;
  }
  const digits = i - start;
  if (digits > 0 && digits <= 12 && (i === end || bytes[i] === 0x3b)) return size;
  return parseChunkSize(bytes.toString('latin1', start, end));
}

/** Offset of the first CRLF at or after `from`, or -1. */
function indexOfCrlf(bytes: Buffer, from: number): number {
  for (let i = bytes.indexOf(CR, from); i >= 0; i = bytes.indexOf(CR, i + 1)) {
    if (i + 1 >= bytes.length) return -1;
    if (bytes[i + 1] === LF) return i;
  }
  return -1;
}

function parseChunkSize(line: string): number | undefined {
  const size = line.split(';', 1)[0]!.trim();
  return /^[0-9A-Fa-f]{1,12}$/.test(size) ? parseInt(size, 16) : undefined;
}

export interface Http1ParserSink {
  message(message: HttpMessage): void;
  /** A message whose start was recognised but which could not be parsed to its end. */
  malformed(kind: MessageKind, reason: string): void;
  /** Bytes skipped because no message starts there. */
  garbage(byteCount: number): void;
}

export interface Http1ParserOptions {
  readonly kind: MessageKind;
  /** Body bytes to keep per message (the rest is only counted). */
  readonly bodyCaptureBytes: number;
  /** For responses: the method of the request being answered (HEAD and CONNECT change framing). */
  readonly requestMethod?: () => string | undefined;
}

type ParserState =
  | 'start'
  | 'head'
  | 'body-length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-data-end'
  | 'trailers'
  | 'body-until-close'
  | 'tunnel';

interface MessageInProgress {
  readonly head: MessageHead;
  readonly startNs: bigint;
  readonly body: BodyCapture;
  readonly trailers: Array<[string, string]>;
  readonly tunnelAfter: boolean;
  lastByteNs: bigint;
  remaining: number;
  trailerBytes: number;
}

export class Http1Parser {
  private state: ParserState = 'start';
  private startNs = 0n;
  private headScanFrom = 0;
  private current: MessageInProgress | undefined;
  private tunneled = 0;
  // Set for the duration of parse(): the buffer, a view of its pending bytes, and how many of
  // them the steps have taken.
  private buffer!: StreamBuffer;
  private bytes: Buffer = EMPTY;
  private at = 0;

  constructor(
    private readonly options: Http1ParserOptions,
    private readonly sink: Http1ParserSink,
  ) {}

  /** Between the first byte of a message and its last. */
  get inMessage(): boolean {
    return this.state !== 'start' && this.state !== 'tunnel';
  }

  /** The method of the request being parsed, once its head is complete. */
  get currentMethod(): string | undefined {
    return this.current?.head.kind === 'request' ? this.current.head.method : undefined;
  }

  get tunneledBytes(): number {
    return this.tunneled;
  }

  parse(buffer: StreamBuffer): void {
    // The steps read one view of the pending bytes and advance `at`; the buffer is consumed
    // once at the end rather than per step (each consume would mean a new view).
    this.buffer = buffer;
    this.bytes = buffer.bytes();
    this.at = 0;
    try {
      while (this.step());
    } finally {
      buffer.consume(this.at);
      this.bytes = EMPTY;
    }
  }

  /** The connection closed: a body delimited by the close is complete, anything else partial is malformed. */
  finish(): void {
    if (this.state === 'body-until-close') this.complete(this.current!.lastByteNs);
    else if (this.inMessage) this.fail('connection closed in the middle of the message');
  }

  /**
   * `count` bytes of this direction are missing. Inside a body whose extent is known they are
   * skipped (counted in the body's size) and the parser stays in step: true. Anywhere else
   * nothing is changed and the caller must reset(): false.
   */
  skip(count: number, timestampNs: bigint): boolean {
    const message = this.current;
    switch (this.state) {
      case 'tunnel':
        this.tunneled += count;
        return true;
      case 'body-until-close':
        message!.body.skip(count);
        message!.lastByteNs = timestampNs;
        return true;
      case 'body-length':
      case 'chunk-data': {
        // A sender's write is typically one whole chunk: its loss often ends with the CRLF.
        const endsChunk = this.state === 'chunk-data' && count === message!.remaining + 2;
        if (count > message!.remaining && !endsChunk) return false;
        const bodyBytes = Math.min(count, message!.remaining);
        message!.body.skip(bodyBytes);
        message!.lastByteNs = timestampNs;
        message!.remaining -= bodyBytes;
        if (endsChunk) this.state = 'chunk-size';
        else if (message!.remaining === 0) {
          if (this.state === 'chunk-data') this.state = 'chunk-data-end';
          else this.complete(timestampNs);
        }
        return true;
      }
      default:
        return false;
    }
  }

  /** Bytes were lost: forget the partial message; returns whether there was one. */
  reset(): boolean {
    if (this.state === 'tunnel') return false;
    const hadMessage = this.inMessage;
    this.state = 'start';
    this.current = undefined;
    return hadMessage;
  }

  /** The protocol switched (Upgrade, CONNECT): ignore the rest of this direction. */
  enterTunnel(): void {
    this.current = undefined;
    this.state = 'tunnel';
  }

  /** Bytes not parsed yet in this parse() call. */
  private get left(): number {
    return this.bytes.length - this.at;
  }

  /** Timestamp of the unparsed byte at `offset`. */
  private timestampAt(offset: number): bigint {
    return this.buffer.timestampAt(this.at + offset);
  }

  /** One state transition; false when it needs more bytes. */
  private step(): boolean {
    switch (this.state) {
      case 'start':
        return this.stepStart();
      case 'head':
        return this.stepHead();
      case 'body-length':
      case 'chunk-data':
        return this.stepCountedBody();
      case 'chunk-data-end':
        return this.stepChunkDataEnd();
      case 'chunk-size':
        return this.stepChunkSize();
      case 'trailers':
        return this.stepTrailer();
      case 'body-until-close': {
        const left = this.left;
        if (left === 0) return false;
        this.current!.body.addRange(this.bytes, this.at, this.bytes.length);
        this.current!.lastByteNs = this.timestampAt(left - 1);
        this.at += left;
        return false;
      }
      case 'tunnel':
        this.tunneled += this.left;
        this.at = this.bytes.length;
        return false;
    }
  }

  private stepStart(): boolean {
    const { bytes, at } = this;
    if (at === bytes.length) return false;
    // Empty lines between messages are tolerated (RFC 9112 section 2.2).
    let blank = at;
    while (blank < bytes.length && (bytes[blank] === CR || bytes[blank] === LF)) blank++;
    if (blank > at) {
      this.at = blank;
      return true;
    }
    const match = matchMessageStart(bytes, at, this.options.kind);
    if (match === 'partial') return false;
    if (match === 'no-match') {
      const next = findMessageStart(bytes, at + 1, this.options.kind);
      const skipped = (next < 0 ? bytes.length : next) - at;
      this.at += skipped;
      this.sink.garbage(skipped);
      return next >= 0;
    }
    this.state = 'head';
    this.startNs = this.timestampAt(0);
    this.headScanFrom = 0;
    return true;
  }

  private stepHead(): boolean {
    const { bytes, at } = this;
    const found = bytes.indexOf(HEAD_END, at + this.headScanFrom);
    if (found < 0) {
      this.headScanFrom = Math.max(0, bytes.length - at - (HEAD_END.length - 1));
      return false;
    }
    const end = found - at;
    const head = parseHead(bytes.toString('utf8', at, found), this.options.kind);
    if (!head) {
      // Not a message after all: skip its first byte and look for the next start.
      this.at += 1;
      this.sink.garbage(1);
      this.state = 'start';
      return true;
    }
    const headLength = end + HEAD_END.length;
    const headEndNs = this.timestampAt(headLength - 1);
    this.at += headLength;
    const framing = decideFraming(head, head.kind === 'response' ? this.options.requestMethod?.() : undefined);
    this.current = {
      head,
      startNs: this.startNs,
      body: new BodyCapture(this.options.bodyCaptureBytes),
      trailers: [],
      tunnelAfter: framing.type === 'tunnel',
      lastByteNs: headEndNs,
      remaining: 0,
      trailerBytes: 0,
    };
    switch (framing.type) {
      case 'invalid':
        this.fail(framing.reason);
        break;
      case 'none':
      case 'tunnel':
        this.complete(headEndNs);
        break;
      case 'length':
        this.current.remaining = framing.length;
        if (framing.length === 0) this.complete(headEndNs);
        else this.state = 'body-length';
        break;
      case 'chunked':
        this.state = 'chunk-size';
        break;
      case 'until-close':
        this.state = 'body-until-close';
        break;
    }
    return true;
  }

  private stepCountedBody(): boolean {
    const left = this.left;
    if (left === 0) return false;
    const message = this.current!;
    const taken = Math.min(message.remaining, left);
    message.body.addRange(this.bytes, this.at, this.at + taken);
    message.lastByteNs = this.timestampAt(taken - 1);
    this.at += taken;
    message.remaining -= taken;
    if (message.remaining > 0) return false;
    if (this.state === 'chunk-data') this.state = 'chunk-data-end';
    else this.complete(message.lastByteNs);
    return true;
  }

  private stepChunkDataEnd(): boolean {
    const { bytes, at } = this;
    const left = this.left;
    if (left === 0 || (left === 1 && bytes[at] === CR)) return false;
    if (bytes[at] !== CR || bytes[at + 1] !== LF) return this.fail('chunk data not followed by CRLF');
    this.current!.lastByteNs = this.timestampAt(1);
    this.at += 2;
    this.state = 'chunk-size';
    return true;
  }

  private stepChunkSize(): boolean {
    const { bytes, at } = this;
    const found = indexOfCrlf(bytes, at);
    if (found < 0) {
      return this.left > MAX_CHUNK_SIZE_LINE_BYTES ? this.fail('chunk-size line too long') : false;
    }
    const end = found - at;
    const size = chunkSizeOf(bytes, at, found);
    if (size === undefined) return this.fail('invalid chunk size');
    const message = this.current!;
    message.lastByteNs = this.timestampAt(end + 1);
    this.at += end + LINE_END.length;
    message.remaining = size;
    this.state = size === 0 ? 'trailers' : 'chunk-data';
    return true;
  }

  private stepTrailer(): boolean {
    const { bytes, at } = this;
    const message = this.current!;
    const found = indexOfCrlf(bytes, at);
    if (found < 0) {
      return message.trailerBytes + this.left > MAX_TRAILER_BYTES ? this.fail('trailer section too long') : false;
    }
    const end = found - at;
    const line = bytes.toString('utf8', at, found);
    message.lastByteNs = this.timestampAt(end + 1);
    this.at += end + LINE_END.length;
    message.trailerBytes += end + LINE_END.length;
    if (end === 0) {
      this.complete(message.lastByteNs);
      return true;
    }
    const trailer = parseHeaderLine(line);
    if (!trailer) return this.fail('invalid trailer line');
    message.trailers.push(trailer);
    return true;
  }

  private complete(endNs: bigint): void {
    const { head, startNs, body, trailers, tunnelAfter } = this.current!;
    this.current = undefined;
    this.state = tunnelAfter ? 'tunnel' : 'start';
    const headers = trailers.length > 0 ? [...head.headers, ...trailers] : head.headers;
    const { majorVersion, minorVersion } = head;
    const captured = body.finish();
    this.sink.message(
      head.kind === 'request'
        ? { kind: 'request', method: head.method, target: head.target, startNs, endNs, majorVersion, minorVersion, headers, body: captured }
        : { kind: 'response', status: head.status, reason: head.reason, startNs, endNs, majorVersion, minorVersion, headers, body: captured },
    );
  }

  private fail(reason: string): true {
    this.current = undefined;
    this.state = 'start';
    this.sink.malformed(this.options.kind, reason);
    return true;
  }
}
