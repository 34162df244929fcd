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

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/(1)\.(\d)$/;
const STATUS_LINE = /^HTTP\/(1)\.(\d) (\d{3})(?: (.*))?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

function parseHead(text: string, kind: MessageKind): MessageHead | undefined {
  const lines = text.split('\r\n');
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const previous = headers[headers.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && previous) {
      // Obsolete line folding: a continuation of the previous value.
      previous[1] = `${previous[1]} ${line.trim()}`.trim();
      continue;
    }
    const header = parseHeaderLine(line);
    if (!header) return undefined;
    headers.push(header);
  }
  const startLine = lines[0]!;
  if (kind === 'request') {
    const match = REQUEST_LINE.exec(startLine);
    if (!match || !(HTTP_METHODS as readonly string[]).includes(match[1]!)) return undefined;
    return {
      kind,
      method: match[1]!,
      target: match[2]!,
      majorVersion: Number(match[3]),
      minorVersion: Number(match[4]),
      headers,
    };
  }
  const match = STATUS_LINE.exec(startLine);
  if (!match) return undefined;
  return {
    kind,
    status: Number(match[3]),
    reason: match[4] ?? '',
    majorVersion: Number(match[1]),
    minorVersion: Number(match[2]),
    headers,
  };
}

function parseHeaderLine(line: string): [string, string] | undefined {
  const match = HEADER_LINE.exec(line);
  return match ? [match[1]!, match[2]!] : undefined;
}

type Framing =
  | { readonly type: 'none' }
  | { readonly type: 'length'; readonly length: number }
  | { readonly type: 'chunked' }
  | { readonly type: 'until-close' }
  /** No body; everything after this message on both sides belongs to another protocol. */
  | { readonly type: 'tunnel' }
  | { readonly type: 'invalid'; readonly reason: string };

function headerValues(head: MessageHead, name: string): string[] {
  return head.headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);
}

function decideFraming(head: MessageHead, requestMethod: string | undefined): Framing {
  if (head.kind === 'response') {
    if (head.status === 101) return { type: 'tunnel' };
    if (head.status < 200 || head.status === 204 || head.status === 304) return { type: 'none' };
    if (requestMethod === 'HEAD') return { type: 'none' };
    if (requestMethod === 'CONNECT' && head.status < 300) return { type: 'tunnel' };
  }
  const transferEncoding = headerValues(head, 'transfer-encoding');
  if (transferEncoding.length > 0) {
    const codings = transferEncoding.flatMap((value) => value.split(',')).map((coding) => coding.trim().toLowerCase());
    if (codings[codings.length - 1] === 'chunked') return { type: 'chunked' };
    return head.kind === 'response'
      ? { type: 'until-close' }
      : { type: 'invalid', reason: 'request Transfer-Encoding does not end with chunked' };
  }
  const contentLength = headerValues(head, 'content-length');
  if (contentLength.length > 0) {
    const values = new Set(contentLength.flatMap((value) => value.split(',')).map((value) => value.trim()));
    const [only] = values;
    if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
      return { type: 'invalid', reason: `invalid Content-Length ${JSON.stringify(contentLength.join(', '))}` };
    }
    return { type: 'length', length: Number(only) };
  }
  return head.kind === 'request' ? { type: 'none' } : { type: 'until-close' };
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
    while (this.step(buffer));
  }

  /** The connection closed: a body delimited by the close is complete, anything else partial is malformed. */
  finish(): void {
    if (this.state === 'body-until-close') this.complete(this.current!.lastByteNs);
    else if (this.inMessage) this.fail('connection closed in the middle of the message');
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

  /** One state transition; false when it needs more bytes. */
  private step(buffer: StreamBuffer): boolean {
    const bytes = buffer.bytes();
    switch (this.state) {
      case 'start':
        return this.stepStart(buffer, bytes);
      case 'head':
        return this.stepHead(buffer, bytes);
      case 'body-length':
      case 'chunk-data':
        return this.stepCountedBody(buffer, bytes);
      case 'chunk-data-end':
        return this.stepChunkDataEnd(buffer, bytes);
      case 'chunk-size':
        return this.stepChunkSize(buffer, bytes);
      case 'trailers':
        return this.stepTrailer(buffer, bytes);
      case 'body-until-close':
        if (bytes.length === 0) return false;
        this.current!.body.add(bytes);
        this.current!.lastByteNs = buffer.timestampAt(bytes.length - 1);
        buffer.consume(bytes.length);
        return false;
      case 'tunnel':
        this.tunneled += bytes.length;
        buffer.consume(bytes.length);
        return false;
    }
  }

  private stepStart(buffer: StreamBuffer, bytes: Buffer): boolean {
    if (bytes.length === 0) return false;
    // Empty lines between messages are tolerated (RFC 9112 section 2.2).
    let blank = 0;
    while (blank < bytes.length && (bytes[blank] === CR || bytes[blank] === LF)) blank++;
    if (blank > 0) {
      buffer.consume(blank);
      return true;
    }
    const match = matchMessageStart(bytes, 0, this.options.kind);
    if (match === 'partial') return false;
    if (match === 'no-match') {
      const next = findMessageStart(bytes, 1, this.options.kind);
      const skipped = next < 0 ? bytes.length : next;
      buffer.consume(skipped);
      this.sink.garbage(skipped);
      return next >= 0;
    }
    this.state = 'head';
    this.startNs = buffer.timestampAt(0);
    this.headScanFrom = 0;
    return true;
  }

  private stepHead(buffer: StreamBuffer, bytes: Buffer): boolean {
    const end = bytes.indexOf(HEAD_END, this.headScanFrom);
    if (end < 0) {
      this.headScanFrom = Math.max(0, bytes.length - (HEAD_END.length - 1));
      return false;
    }
    const head = parseHead(bytes.toString('utf8', 0, end), this.options.kind);
    if (!head) {
      // Not a message after all: skip its first byte and look for the next start.
      buffer.consume(1);
      this.sink.garbage(1);
      this.state = 'start';
      return true;
    }
    const headLength = end + HEAD_END.length;
    const headEndNs = buffer.timestampAt(headLength - 1);
    buffer.consume(headLength);
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

  private stepCountedBody(buffer: StreamBuffer, bytes: Buffer): boolean {
    if (bytes.length === 0) return false;
    const message = this.current!;
    const taken = Math.min(message.remaining, bytes.length);
    message.body.add(bytes.subarray(0, taken));
    message.lastByteNs = buffer.timestampAt(taken - 1);
    buffer.consume(taken);
    message.remaining -= taken;
    if (message.remaining > 0) return false;
    if (this.state === 'chunk-data') this.state = 'chunk-data-end';
    else this.complete(message.lastByteNs);
    return true;
  }

  private stepChunkDataEnd(buffer: StreamBuffer, bytes: Buffer): boolean {
    if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === CR)) return false;
    if (bytes[0] !== CR || bytes[1] !== LF) return this.fail('chunk data not followed by CRLF');
    this.current!.lastByteNs = buffer.timestampAt(1);
    buffer.consume(2);
    this.state = 'chunk-size';
    return true;
  }

  private stepChunkSize(buffer: StreamBuffer, bytes: Buffer): boolean {
    const end = bytes.indexOf(LINE_END);
    if (end < 0) {
      return bytes.length > MAX_CHUNK_SIZE_LINE_BYTES ? this.fail('chunk-size line too long') : false;
    }
    const size = parseChunkSize(bytes.toString('latin1', 0, end));
    if (size === undefined) return this.fail('invalid chunk size');
    const message = this.current!;
    message.lastByteNs = buffer.timestampAt(end + 1);
    buffer.consume(end + LINE_END.length);
    message.remaining = size;
    this.state = size === 0 ? 'trailers' : 'chunk-data';
    return true;
  }

  private stepTrailer(buffer: StreamBuffer, bytes: Buffer): boolean {
    const message = this.current!;
    const end = bytes.indexOf(LINE_END);
    if (end < 0) {
      return message.trailerBytes + bytes.length > MAX_TRAILER_BYTES ? this.fail('trailer section too long') : false;
    }
    const line = bytes.toString('utf8', 0, end);
    message.lastByteNs = buffer.timestampAt(end + 1);
    buffer.consume(end + LINE_END.length);
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
    const common = {
      startNs,
      endNs,
      majorVersion: head.majorVersion,
      minorVersion: head.minorVersion,
      headers: trailers.length > 0 ? [...head.headers, ...trailers] : head.headers,
      body: body.finish(),
    };
    this.sink.message(
      head.kind === 'request'
        ? { kind: 'request', method: head.method, target: head.target, ...common }
        : { kind: 'response', status: head.status, reason: head.reason, ...common },
    );
  }

  private fail(reason: string): true {
    this.current = undefined;
    this.state = 'start';
    this.sink.malformed(this.options.kind, reason);
    return true;
  }
}
