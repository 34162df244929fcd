// Incremental HTTP/1.x parser for one direction of a connection. It consumes bytes as they
// arrive and keeps only what it must (an unfinished head, a chunk-size line, a bounded body
// prefix), so memory does not grow with message size. Framing follows RFC 9112 section 6.
import { BodyCapture, type CapturedBody } from './body.js';
import {
  HTTP_METHODS,
  HeadReader,
  indexOfCrlf,
  parseTrailerLine,
  type HeaderFields,
  type HttpHeaders,
  type MessageHead,
  type ParsedHead,
} from './http1-head.js';
import { RecentValues } from './recent-values.js';
import type { StreamBuffer } from './stream-buffer.js';
import type { Detection, MessageKind } from './types.js';

export { HTTP_METHODS, type HttpHeaders } from './http1-head.js';

interface HttpMessageCommon {
  /** Timestamp of the chunk that carried the first byte of the start line. */
  readonly startNs: bigint;
  /** Timestamp of the chunk that carried the last byte of the message. */
  readonly endNs: bigint;
  readonly majorVersion: number;
  readonly minorVersion: number;
  /** In arrival order, trailers of a chunked body last. */
  readonly headers: HttpHeaders;
  /** The same headers, read in place (what the row builder uses). */
  readonly fields: HeaderFields;
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

// '#' stands for a decimal digit.
const DIGIT = '#'.charCodeAt(0);
const codesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const REQUEST_STARTS = HTTP_METHODS.map((method) => codesOf(`${method} `));
const RESPONSE_START = codesOf('HTTP/1.# ###');
const REQUEST_FIRST_BYTES = new Set(HTTP_METHODS.map((method) => method.charCodeAt(0)));
const RESPONSE_FIRST_BYTE = 'H'.charCodeAt(0);

const CR = 0x0d;
const LF = 0x0a;
const HEAD_END_LENGTH = 4;
const LINE_END_LENGTH = 2;
const EMPTY = Buffer.alloc(0);
const MAX_CHUNK_SIZE_LINE_BYTES = 1024;
const MAX_TRAILER_BYTES = 16 * 1024;
/** As many as the head reader remembers header sections. */
const RECENT_FRAMINGS = 4;

export type StartMatch = 'match' | 'partial' | 'no-match';

/** Whether a message of `kind` starts at `offset` ('partial': bytes[offset, end) stop too early to say). */
export function matchMessageStart(bytes: Buffer, offset: number, kind: MessageKind, end = bytes.length): StartMatch {
  if (kind === 'response') return matchTemplate(bytes, offset, end, RESPONSE_START);
  let partial = false;
  for (let i = 0; i < REQUEST_STARTS.length; i++) {
    const match = matchTemplate(bytes, offset, end, REQUEST_STARTS[i]!);
    if (match === 'match') return 'match';
    if (match === 'partial') partial = true;
  }
  return partial ? 'partial' : 'no-match';
}

/** First offset in [from, end) where a message of `kind` starts or may start; -1 if none. */
export function findMessageStart(bytes: Buffer, from: number, kind: MessageKind, end = bytes.length): number {
  for (let i = from; i < end; i++) {
    const byte = bytes[i]!;
    if (kind === 'request' ? !REQUEST_FIRST_BYTES.has(byte) : byte !== RESPONSE_FIRST_BYTE) continue;
    if (matchMessageStart(bytes, i, kind, end) !== 'no-match') return i;
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

function matchTemplate(bytes: Buffer, offset: number, end: number, template: Uint8Array): StartMatch {
  for (let i = 0; i < template.length; i++) {
    const position = offset + i;
    if (position >= end) return 'partial';
    const byte = bytes[position]!;
    const expected = template[i]!;
    const ok = expected === DIGIT ? byte >= 0x30 && byte <= 0x39 : byte === expected;
    if (!ok) return 'no-match';
  }
  return 'match';
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

/** What a response's status (or the method it answers) decides whatever the headers say, if anything. */
function framingFromStatus(head: MessageHead, requestMethod: string | undefined): Framing | undefined {
  if (head.kind === 'request') return undefined;
  if (head.status === 101) return TUNNEL;
  if (head.status < 200 || head.status === 204 || head.status === 304) return NO_BODY;
  if (requestMethod === 'HEAD') return NO_BODY;
  if (requestMethod === 'CONNECT' && head.status < 300) return TUNNEL;
  return undefined;
}

/** What Transfer-Encoding and Content-Length decide (a function of the fields and the kind only). */
function framingFromHeaders(fields: HeaderFields, kind: MessageKind): Framing {
  // The common single `chunked` or `Content-Length: digits` is read in place; anything else
  // (lists, repeats, odd spellings) goes through the general rules on the values as strings.
  let transferEncoding = -1;
  let contentLength = -1;
  let repeated = false;
  for (let i = 0; i < fields.headCount; i++) {
    if (fields.nameIs(i, 'transfer-encoding')) {
      repeated ||= transferEncoding >= 0;
      transferEncoding = i;
    } else if (fields.nameIs(i, 'content-length')) {
      repeated ||= contentLength >= 0;
      contentLength = i;
    }
  }
  if (transferEncoding >= 0) {
    if (!repeated && fields.valueIs(transferEncoding, 'chunked')) return CHUNKED;
    return framingFromTransferEncoding(kind, valuesNamed(fields, 'transfer-encoding'));
  }
  if (contentLength >= 0) {
    const length = repeated ? -1 : fields.decimalValue(contentLength);
    if (length >= 0) return { type: 'length', length };
    return framingFromContentLength(valuesNamed(fields, 'content-length'));
  }
  return kind === 'request' ? NO_BODY : UNTIL_CLOSE;
}

function valuesNamed(fields: HeaderFields, lowerName: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < fields.headCount; i++) if (fields.nameIs(i, lowerName)) values.push(fields.value(i));
  return values;
}

function framingFromTransferEncoding(kind: MessageKind, transferEncoding: readonly string[]): Framing {
  if (transferEncoding.length === 1 && transferEncoding[0]!.toLowerCase() === 'chunked') return CHUNKED;
  const codings = transferEncoding.flatMap((value) => value.split(',')).map((coding) => coding.trim().toLowerCase());
  if (codings[codings.length - 1] === 'chunked') return CHUNKED;
  return kind === 'response'
    ? UNTIL_CLOSE
    : { type: 'invalid', reason: 'request Transfer-Encoding does not end with chunked' };
}

function framingFromContentLength(contentLength: readonly string[]): Framing {
  const values = new Set(contentLength.flatMap((value) => value.split(',')).map((value) => value.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
    return { type: 'invalid', reason: `invalid Content-Length ${JSON.stringify(contentLength.join(', '))}` };
  }
  return { type: 'length', length: Number(only) };
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

/**
 * Offset of the first CRLF CRLF in bytes[from, end), or -1. Looks at every other byte or fewer:
 * a byte that is neither CR nor LF rules out the four matches that would contain it.
 */
function indexOfHeadEnd(bytes: Buffer, from: number, end: number): number {
  let i = from + 3;
  while (i < end) {
    const byte = bytes[i];
    if (byte === LF) {
      if (bytes[i - 1] === CR && bytes[i - 2] === LF && bytes[i - 3] === CR) return i - 3;
      i += 2;
    } else if (byte === CR) {
      i += 1;
    } else {
      i += 4;
    }
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

export class Http1Parser {
  private state: ParserState = 'start';
  /** Timestamp of the first byte of the message in progress. */
  private startNs = 0n;
  private headScanFrom = 0;
  /**
   * The last bytes skipped were garbage running to the end of what had arrived: line breaks
   * that come next belong to it (counted), not between messages (tolerated), wherever a chunk ends.
   */
  private inGarbage = false;
  // The message in progress once its head is read (kept in fields rather than an object per
  // message): its head, body so far, and where its framing stands.
  private head: ParsedHead | undefined;
  private readonly body: BodyCapture;
  private tunnelAfter = false;
  private lastByteNs = 0n;
  private remaining = 0;
  private trailers: Array<[string, string]> | undefined;
  private trailerBytes = 0;
  private tunneled = 0;
  private readonly heads: HeadReader;
  /** What the fields of recent heads decided (heads often share their fields). */
  private readonly framings: RecentValues<HeaderFields, Framing>;
  // Set for the duration of parse(): the buffer, and its pending bytes in place as
  // bytes[base, end), of which the steps have taken those before `at`.
  private buffer!: StreamBuffer;
  private bytes: Buffer = EMPTY;
  private base = 0;
  private end = 0;
  private at = 0;

  constructor(
    private readonly options: Http1ParserOptions,
    private readonly sink: Http1ParserSink,
  ) {
    this.heads = new HeadReader(options.kind);
    this.body = new BodyCapture(options.bodyCaptureBytes);
    this.framings = new RecentValues(RECENT_FRAMINGS, (fields) => framingFromHeaders(fields, options.kind));
  }

  /** Between the first byte of a message and its last. */
  get inMessage(): boolean {
    return this.state !== 'start' && this.state !== 'tunnel';
  }

  /** The method of the request being parsed, once its head is complete. */
  get currentMethod(): string | undefined {
    return this.head?.kind === 'request' ? this.head.method : undefined;
  }

  get tunneledBytes(): number {
    return this.tunneled;
  }

  parse(buffer: StreamBuffer): void {
    // The steps read the pending bytes where they lie and advance `at`; the buffer is consumed
    // once at the end rather than per step.
    this.buffer = buffer;
    this.bytes = buffer.storage;
    this.base = buffer.storageStart;
    this.end = buffer.storageEnd;
    this.at = this.base;
    try {
      while (this.step());
    } finally {
      buffer.consume(this.at - this.base);
      this.bytes = EMPTY;
    }
  }

  /** The connection closed: a body delimited by the close is complete, anything else partial is malformed. */
  finish(): void {
    if (this.state === 'body-until-close') this.complete(this.lastByteNs);
    else if (this.inMessage) this.fail('connection closed in the middle of the message');
  }

  /**
   * `count` bytes of this direction are missing. Inside a body whose extent is known they are
   * skipped (counted in the body's size) and the parser stays in step: true. Anywhere else
   * nothing is changed and the caller must reset(): false.
   */
  skip(count: number, timestampNs: bigint): boolean {
    switch (this.state) {
      case 'tunnel':
        this.tunneled += count;
        return true;
      case 'body-until-close':
        this.body.skip(count);
        this.lastByteNs = timestampNs;
        return true;
      case 'body-length':
      case 'chunk-data': {
        // A sender's write is typically one whole chunk: its loss often ends with the CRLF.
        const endsChunk = this.state === 'chunk-data' && count === this.remaining + 2;
        if (count > this.remaining && !endsChunk) return false;
        const bodyBytes = Math.min(count, this.remaining);
        this.body.skip(bodyBytes);
        this.lastByteNs = timestampNs;
        this.remaining -= bodyBytes;
        if (endsChunk) this.state = 'chunk-size';
        else if (this.remaining === 0) {
          if (this.state === 'chunk-data') this.state = 'chunk-data-end';
          else this.complete(timestampNs);
        }
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * Bytes were lost where skip() cannot follow the framing: a chunk-size line was among them, or
   * they run past the end of a Content-Length body. A message already in its body still ends
   * here and makes a row, its body shown cut (a Content-Length body keeps its declared size; a
   * chunked one counts the body bytes before the loss, as its framing after it is unknown). What
   * follows the loss is skipped up to the next message start. False when no message was in its
   * body: the caller reset()s.
   */
  cutAtLoss(timestampNs: bigint): boolean {
    switch (this.state) {
      case 'body-length':
        this.body.skip(this.remaining);
        break;
      case 'chunk-size':
      case 'chunk-data':
      case 'chunk-data-end':
        this.body.markCut();
        break;
      case 'trailers':
        break;
      default:
        return false;
    }
    this.complete(timestampNs);
    return true;
  }

  /** Bytes were lost: forget the partial message; returns whether there was one. */
  reset(): boolean {
    if (this.state === 'tunnel') return false;
    const hadMessage = this.inMessage;
    this.state = 'start';
    this.head = undefined;
    return hadMessage;
  }

  /** The protocol switched (Upgrade, CONNECT): ignore the rest of this direction. */
  enterTunnel(): void {
    this.head = undefined;
    this.state = 'tunnel';
  }

  /** Bytes not parsed yet in this parse() call. */
  private get left(): number {
    return this.end - this.at;
  }

  /** Timestamp of the unparsed byte at `offset`. */
  private timestampAt(offset: number): bigint {
    return this.buffer.timestampAt(this.at - this.base + offset);
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
        this.body.addRange(this.bytes, this.at, this.end);
        this.lastByteNs = this.timestampAt(left - 1);
        this.at += left;
        return false;
      }
      case 'tunnel':
        this.tunneled += this.left;
        this.at = this.end;
        return false;
    }
  }

  private stepStart(): boolean {
    const { bytes, at, end } = this;
    if (at === end) return false;
    // Empty lines between messages are tolerated (RFC 9112 section 2.2).
    let blank = at;
    while (blank < end && (bytes[blank] === CR || bytes[blank] === LF)) blank++;
    if (blank > at) {
      if (this.inGarbage) this.sink.garbage(blank - at);
      this.at = blank;
      return true;
    }
    this.inGarbage = false;
    // A head that repeats a recent header section is found, and its start line read, without
    // matching the start first (a valid start line is one the match accepts).
    const repeated = this.heads.readRepeated(bytes, at, end);
    if (repeated !== undefined) {
      this.startNs = this.timestampAt(0);
      return this.headRead(repeated, this.heads.repeatedHeadEnd);
    }
    const match = matchMessageStart(bytes, at, this.options.kind, end);
    if (match === 'partial') return false;
    if (match === 'no-match') {
      const next = findMessageStart(bytes, at + 1, this.options.kind, end);
      const skipped = (next < 0 ? end : next) - at;
      this.at += skipped;
      this.sink.garbage(skipped);
      this.inGarbage = next < 0;
      return next >= 0;
    }
    this.state = 'head';
    this.startNs = this.timestampAt(0);
    this.headScanFrom = 0;
    return true;
  }

  /** A head whose start matched but whose section is not a recent one (stepStart tried that). */
  private stepHead(): boolean {
    const { bytes, at } = this;
    const found = indexOfHeadEnd(bytes, at + this.headScanFrom, this.end);
    if (found < 0) {
      this.headScanFrom = Math.max(0, this.end - at - (HEAD_END_LENGTH - 1));
      return false;
    }
    return this.headRead(this.heads.read(bytes, at, found), found);
  }

  /** The head at `at`, read up to its CRLF CRLF at `found` (undefined: not a valid head). */
  private headRead(head: ParsedHead | undefined, found: number): boolean {
    const end = found - this.at;
    if (!head) {
      // Not a message after all: skip its first byte and look for the next start.
      this.at += 1;
      this.sink.garbage(1);
      this.state = 'start';
      return true;
    }
    const headLength = end + HEAD_END_LENGTH;
    const headEndNs = this.timestampAt(headLength - 1);
    this.at += headLength;
    const framing = this.decideFraming(head);
    this.head = head;
    this.body.reset();
    this.tunnelAfter = framing.type === 'tunnel';
    this.lastByteNs = headEndNs;
    this.remaining = 0;
    this.trailers = undefined;
    this.trailerBytes = 0;
    switch (framing.type) {
      case 'invalid':
        this.fail(framing.reason);
        break;
      case 'none':
      case 'tunnel':
        this.complete(headEndNs);
        break;
      case 'length':
        this.remaining = framing.length;
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

  private decideFraming(head: MessageHead): Framing {
    const decided = framingFromStatus(head, head.kind === 'response' ? this.options.requestMethod?.() : undefined);
    return decided ?? this.framings.get(head.fields);
  }

  private stepCountedBody(): boolean {
    const left = this.left;
    if (left === 0) return false;
    const taken = Math.min(this.remaining, left);
    this.body.addRange(this.bytes, this.at, this.at + taken);
    this.lastByteNs = this.timestampAt(taken - 1);
    this.at += taken;
    this.remaining -= taken;
    if (this.remaining > 0) return false;
    if (this.state === 'chunk-data') this.state = 'chunk-data-end';
    else this.complete(this.lastByteNs);
    return true;
  }

  private stepChunkDataEnd(): boolean {
    const { bytes, at } = this;
    const left = this.left;
    if (left === 0 || (left === 1 && bytes[at] === CR)) return false;
    if (bytes[at] !== CR || bytes[at + 1] !== LF) return this.fail('chunk data not followed by CRLF');
    this.lastByteNs = this.timestampAt(1);
    this.at += 2;
    this.state = 'chunk-size';
    return true;
  }

  private stepChunkSize(): boolean {
    const { bytes, at } = this;
    const found = indexOfCrlf(bytes, at, this.end);
    if (found < 0) {
      return this.left > MAX_CHUNK_SIZE_LINE_BYTES ? this.fail('chunk-size line too long') : false;
    }
    const end = found - at;
    const size = chunkSizeOf(bytes, at, found);
    if (size === undefined) return this.fail('invalid chunk size');
    this.lastByteNs = this.timestampAt(end + 1);
    this.at += end + LINE_END_LENGTH;
    this.remaining = size;
    this.state = size === 0 ? 'trailers' : 'chunk-data';
    return true;
  }

  private stepTrailer(): boolean {
    const { bytes, at } = this;
    const found = indexOfCrlf(bytes, at, this.end);
    if (found < 0) {
      return this.trailerBytes + this.left > MAX_TRAILER_BYTES ? this.fail('trailer section too long') : false;
    }
    const end = found - at;
    this.lastByteNs = this.timestampAt(end + 1);
    this.at += end + LINE_END_LENGTH;
    this.trailerBytes += end + LINE_END_LENGTH;
    if (end === 0) {
      this.complete(this.lastByteNs);
      return true;
    }
    const trailer = parseTrailerLine(bytes.toString('utf8', at, found));
    if (!trailer) return this.fail('invalid trailer line');
    (this.trailers ??= []).push(trailer);
    return true;
  }

  private complete(endNs: bigint): void {
    const message = this.head!;
    const trailers = this.trailers;
    this.head = undefined;
    this.trailers = undefined;
    this.state = this.tunnelAfter ? 'tunnel' : 'start';
    message.complete(this.startNs, endNs, this.body.finish(), trailers ? message.fields.withTrailers(trailers) : message.fields);
    this.sink.message(message);
  }

  private fail(reason: string): true {
    this.head = undefined;
    this.state = 'start';
    this.sink.malformed(this.options.kind, reason);
    return true;
  }
}
