// HTTP/1.x message heads: the start line and the header fields, read from the decoded head text.
// Fields are kept as positions in that text rather than as [name, value] strings: the tracer's
// hot path only needs their JSON, the framing headers and the content type, and all three can be
// read in place. Strings per field are made only when someone asks for `pairs()`.
import { EMPTY_BODY, utf8, type CapturedBody } from './body.js';
import { moveToFront } from './recent-values.js';
import type { MessageKind } from './types.js';

export type HttpHeaders = ReadonlyArray<readonly [name: string, value: string]>;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;

export type HttpMethod = (typeof HTTP_METHODS)[number];

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** tchar of RFC 9110 section 5.6.2: the bytes a header name may hold. */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1;

/**
 * The header fields of one message (trailers of a chunked body last), in arrival order. They
 * never change once made (what is cached is derived), so messages whose heads repeat a header
 * section share one.
 */
export class HeaderFields {
  private pairsCache: HttpHeaders | undefined;
  private jsonCache: string | undefined;
  private lookedUpName = '';
  private lookedUpValue: string | undefined;

  constructor(
    private readonly text: string,
    /** Four offsets into `text` per field: name start, name end, value start, value end. */
    private readonly bounds: readonly number[],
    /** headersToJson of the head fields, when it could be written while they were read. */
    plainJson: string | undefined,
    /** Values rewritten by obsolete line folding, by field index. */
    private readonly folded: ReadonlyMap<number, string> | undefined,
    private readonly trailers?: ReadonlyArray<[string, string]>,
  ) {
    this.jsonCache = plainJson;
  }

  /** Fields of the head (trailers not included). */
  get headCount(): number {
    return this.bounds.length >> 2;
  }

  /** Whether the name of head field `index` equals `lowerName`, ignoring ASCII case (names are ASCII tokens). */
  nameIs(index: number, lowerName: string): boolean {
    return equalsIgnoringAsciiCase(this.text, this.bounds[index * 4]!, this.bounds[index * 4 + 1]!, lowerName);
  }

  /** Value of head field `index`. */
  value(index: number): string {
    const folded = this.folded?.get(index);
    if (folded !== undefined) return folded;
    return this.text.slice(this.bounds[index * 4 + 2], this.bounds[index * 4 + 3]);
  }

  /** Whether the value of head field `index` is `lower`, ignoring ASCII case only. */
  valueIs(index: number, lower: string): boolean {
    const folded = this.folded?.get(index);
    if (folded !== undefined) return equalsIgnoringAsciiCase(folded, 0, folded.length, lower);
    return equalsIgnoringAsciiCase(this.text, this.bounds[index * 4 + 2]!, this.bounds[index * 4 + 3]!, lower);
  }

  /** The value of head field `index` as a number when it is 1 to 15 ASCII digits, else -1. */
  decimalValue(index: number): number {
    if (this.folded?.has(index)) return -1;
    const start = this.bounds[index * 4 + 2]!;
    const end = this.bounds[index * 4 + 3]!;
    if (end === start || end - start > 15) return -1;
    let number = 0;
    for (let i = start; i < end; i++) {
      const digit = this.text.charCodeAt(i) - 0x30;
      if (digit < 0 || digit > 9) return -1;
      number = number * 10 + digit;
    }
    return number;
  }

  /** The value of the first field called `lowerName` (compared case-insensitively), trailers included. */
  valueOf(lowerName: string): string | undefined {
    if (lowerName !== this.lookedUpName) {
      this.lookedUpName = lowerName;
      this.lookedUpValue = this.findValue(lowerName);
    }
    return this.lookedUpValue;
  }

  /** Every field as [name, value], made once on first use. */
  pairs(): HttpHeaders {
    if (this.pairsCache) return this.pairsCache;
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < this.headCount; i++) pairs.push([this.text.slice(this.bounds[i * 4], this.bounds[i * 4 + 1]), this.value(i)]);
    if (this.trailers) pairs.push(...this.trailers);
    return (this.pairsCache = pairs);
  }

  /** The JSON object headersToJson(pairs()) makes. */
  toJson(): string {
    return (this.jsonCache ??= headersToJson(this.pairs()));
  }

  /** These fields followed by the trailers of a chunked body. */
  withTrailers(trailers: ReadonlyArray<[string, string]>): HeaderFields {
    return new HeaderFields(this.text, this.bounds, undefined, this.folded, trailers);
  }

  private findValue(lowerName: string): string | undefined {
    for (let i = 0; i < this.headCount; i++) if (this.nameIs(i, lowerName)) return this.value(i);
    return this.trailers ? headerValue(this.trailers, lowerName) : undefined;
  }
}

/** Whether two fields have the same name, compared as sent. */
function hasRepeatedName(text: string, bounds: readonly number[]): boolean {
  for (let i = 4; i < bounds.length; i += 4) {
    for (let j = 0; j < i; j += 4) if (sameText(text, bounds[i]!, bounds[i + 1]!, bounds[j]!, bounds[j + 1]!)) return true;
  }
  return false;
}

function sameText(text: string, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) if (text.charCodeAt(aStart + i) !== text.charCodeAt(bStart + i)) return false;
  return true;
}

/** Whether text[start, end) equals `lower` once ASCII capitals are lowercased (and nothing else is). */
function equalsIgnoringAsciiCase(text: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = text.charCodeAt(start + i);
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

export function headersToJson(headers: HttpHeaders): string {
  // Built by hand: a Map plus Object.fromEntries plus JSON.stringify cost several microseconds
  // per call. Repeated names (compared as sent) are joined with ", " in first-seen order.
  let json = '{';
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i]![0];
    if (seenBefore(headers, i, name)) continue;
    let value = headers[i]![1];
    for (let j = i + 1; j < headers.length; j++) if (headers[j]![0] === name) value += `, ${headers[j]![1]}`;
    if (json.length > 1) json += ',';
    json += `${jsonString(name)}:${jsonString(value)}`;
  }
  return `${json}}`;
}

// Characters JSON.stringify would escape (controls, quote, backslash, lone surrogates).
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function seenBefore(headers: HttpHeaders, index: number, name: string): boolean {
  for (let j = 0; j < index; j++) if (headers[j]![0] === name) return true;
  return false;
}

/** The value of the first header called `lowerName` (compared case-insensitively), if any. */
export function headerValue(headers: HttpHeaders, lowerName: string): string | undefined {
  for (const [name, value] of headers) {
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return value;
  }
  return undefined;
}

interface HeadCommon {
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly fields: HeaderFields;
}

export interface RequestHead extends HeadCommon {
  readonly kind: 'request';
  readonly method: HttpMethod;
  readonly target: string;
}

export interface ResponseHead extends HeadCommon {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type MessageHead = RequestHead | ResponseHead;

// A head is made per message, and the parser completes it into the message once the body has
// ended (HttpRequest, HttpResponse): one object per message rather than two. Fields are declared,
// not defined: a class field is defined on every instance before the constructor runs (ES2022
// semantics), which costs about as much as the rest of the constructor.
abstract class ParsedMessage {
  declare readonly majorVersion: number;
  declare readonly minorVersion: number;
  /** In arrival order; the trailers of a chunked body are added on completion. */
  declare fields: HeaderFields;
  /** Timestamp of the chunk that carried the first byte of the start line. */
  declare startNs: bigint;
  /** Timestamp of the chunk that carried the last byte of the message. */
  declare endNs: bigint;
  declare body: CapturedBody;

  protected constructor(minorVersion: number, fields: HeaderFields) {
    this.majorVersion = 1;
    this.minorVersion = minorVersion;
    this.fields = fields;
    this.startNs = 0n;
    this.endNs = 0n;
    this.body = EMPTY_BODY;
  }

  get headers(): HttpHeaders {
    return this.fields.pairs();
  }

  /** For the parser, once the message has ended. */
  complete(startNs: bigint, endNs: bigint, body: CapturedBody, fields: HeaderFields): void {
    this.startNs = startNs;
    this.endNs = endNs;
    this.body = body;
    this.fields = fields;
  }
}

export class ParsedRequest extends ParsedMessage implements RequestHead {
  declare readonly kind: 'request';
  declare readonly method: HttpMethod;
  declare readonly target: string;

  constructor(method: HttpMethod, target: string, minorVersion: number, fields: HeaderFields) {
    super(minorVersion, fields);
    this.kind = 'request';
    this.method = method;
    this.target = target;
  }
}

export class ParsedResponse extends ParsedMessage implements ResponseHead {
  declare readonly kind: 'response';
  declare readonly status: number;
  declare readonly reason: string;

  constructor(status: number, reason: string, minorVersion: number, fields: HeaderFields) {
    super(minorVersion, fields);
    this.kind = 'response';
    this.status = status;
    this.reason = reason;
  }
}

export type ParsedHead = ParsedRequest | ParsedResponse;

// Hand-written rather than regular expressions: header lines are most of what the tracer
// parses, and this runs for every message of every traced connection. Each header line is read
// in one pass that checks it, finds where it ends and writes its JSON.
/** `text` is a head without its final CRLF CRLF; undefined when it is not a valid one. */
export function parseHead(text: string, kind: MessageKind): ParsedHead | undefined {
  let count = 0;
  let folded: Map<number, string> | undefined;
  headJson.start(text.length);
  const startLineEnd = text.indexOf('\r\n');
  // Each turn reads the line after the CRLF at lineEnd.
  let lineEnd = startLineEnd;
  while (lineEnd >= 0 && lineEnd < text.length) {
    const from = lineEnd + 2;
    const first = text.charCodeAt(from);
    if ((first === SPACE || first === TAB) && count > 0) {
      // Obsolete line folding: a continuation of the previous value.
      lineEnd = text.indexOf('\r\n', from);
      const to = lineEnd < 0 ? text.length : lineEnd;
      const last = (count >> 2) - 1;
      const previous = folded?.get(last) ?? text.slice(scratchBounds[count - 2], scratchBounds[count - 1]);
      (folded ??= new Map()).set(last, `${previous} ${text.slice(from, to).trim()}`.trim());
      continue;
    }
    lineEnd = readHeaderLine(text, from, scratchBounds, count);
    if (lineEnd < 0) return undefined;
    count += 4;
  }
  const bounds = scratchBounds.slice(0, count);
  const plain = headJson.usable && folded === undefined && !hasRepeatedName(text, bounds);
  const fields = new HeaderFields(text, bounds, plain ? headJson.finish() : undefined, folded);
  return parseStartLine(text, startLineEnd < 0 ? text.length : startLineEnd, kind, fields);
}

/** Header sections a HeadReader remembers: a server often alternates a few (two body lengths, 200 and 404). */
const REMEMBERED_SECTIONS = 4;

/**
 * Reads the heads of one direction of a connection. Clients and servers tend to send the same
 * few header sections message after message (a response's Date changes once a second): a head
 * whose section repeats a recent one byte for byte reuses its parsed fields, and only its start
 * line is read, in place.
 */
export class HeadReader {
  /** The last valid heads' sections (bytes from the first CRLF on), most recently used first. */
  private readonly sections: HeaderSection[] = [];
  /** Where the head readRepeated() returned ends: the offset of its CRLF CRLF. */
  repeatedHeadEnd = -1;

  constructor(private readonly kind: MessageKind) {}

  /**
   * The head at bytes[start] if it is a start line followed by a remembered header section and
   * a CRLF CRLF, all before `limit`. Such a head ends there: the section held no CRLF CRLF, so
   * none starts earlier (and so at most one remembered section can match).
   */
  readRepeated(bytes: Buffer, start: number, limit: number): ParsedHead | undefined {
    const sections = this.sections;
    if (sections.length === 0) return undefined;
    const startLineEnd = indexOfCrlf(bytes, start, limit);
    if (startLineEnd < 0) return undefined;
    for (let i = 0; i < sections.length; i++) {
      const section = sections[i]!;
      const end = startLineEnd + section.length;
      if (end + 4 > limit || !isHeadEnd(bytes, end) || !section.matches(bytes, startLineEnd)) continue;
      if (i > 0) moveToFront(sections, i);
      this.repeatedHeadEnd = end;
      return readStartLine(bytes, start, startLineEnd, this.kind, section.fields);
    }
    return undefined;
  }

  /** parseHead of bytes[start, end) decoded as UTF-8 (`end` being where the head's CRLF CRLF starts). */
  read(bytes: Buffer, start: number, end: number): ParsedHead | undefined {
    const head = parseHead(utf8(bytes, start, end), this.kind);
    const startLineEnd = indexOfCrlf(bytes, start, end);
    if (head && startLineEnd >= 0) this.remember(bytes, startLineEnd, end, head.fields);
    return head;
  }

  private remember(bytes: Buffer, from: number, to: number, fields: HeaderFields): void {
    const sections = this.sections;
    let i = sections.findIndex((section) => section.length === to - from && section.matches(bytes, from));
    if (i >= 0 || sections.length === REMEMBERED_SECTIONS) {
      if (i < 0) i = sections.length - 1;
      sections[i]!.set(bytes, from, to, fields);
      moveToFront(sections, i);
    } else {
      sections.unshift(new HeaderSection(bytes, from, to, fields));
    }
  }
}

/**
 * A copy of a header section and its parsed fields. matches() compares four bytes at a time: the
 * copy is kept at each of the four alignments, so that whatever the alignment of the bytes it is
 * compared with, one copy lines up with them word for word.
 */
class HeaderSection {
  length = 0;
  fields!: HeaderFields;
  private readonly words: Int32Array[] = [];
  private readonly bytes: Uint8Array[] = [];

  constructor(source: Buffer, from: number, to: number, fields: HeaderFields) {
    this.set(source, from, to, fields);
  }

  set(source: Buffer, from: number, to: number, fields: HeaderFields): void {
    this.length = to - from;
    this.fields = fields;
    const wordCount = (this.length + 7) >> 2;
    for (let shift = 0; shift < 4; shift++) {
      if (this.words.length <= shift || this.words[shift]!.length < wordCount) {
        this.words[shift] = new Int32Array(wordCount);
        this.bytes[shift] = new Uint8Array(this.words[shift]!.buffer);
      }
      this.bytes[shift]!.set(source.subarray(from, to), shift);
    }
  }

  /** Whether source[from, from + length) holds the section. */
  matches(source: Buffer, from: number): boolean {
    const length = this.length;
    const view = wordsOf(source);
    const at = view.byteOffset + from;
    const shift = at & 3;
    const copy = this.bytes[shift]!;
    // Bytes up to the first word boundary of the source, then whole words, then the rest.
    const lead = Math.min((4 - shift) & 3, length);
    for (let i = 0; i < lead; i++) if (source[from + i] !== copy[shift + i]) return false;
    const wordCount = (length - lead) >> 2;
    if (wordCount > 0) {
      const sourceWords = view.words;
      const words = this.words[shift]!;
      const first = (at + lead) >> 2;
      const copyFirst = (shift + lead) >> 2;
      for (let w = 0; w < wordCount; w++) if (sourceWords[first + w] !== words[copyFirst + w]) return false;
    }
    for (let i = lead + wordCount * 4; i < length; i++) if (source[from + i] !== copy[shift + i]) return false;
    return true;
  }
}

interface WordView {
  readonly source: Buffer;
  /** source.byteOffset: the getter costs as much as comparing a few dozen bytes. */
  readonly byteOffset: number;
  /** The whole ArrayBuffer under `source`, as 32-bit words. */
  readonly words: Int32Array<ArrayBufferLike>;
}

// Most sources are a drained batch that every connection's parsers read in turn, so one view is
// kept. It holds that batch until the next source replaces it (a WeakRef would free it sooner,
// but its deref() costs as much as the rest of a comparison).
let lastView: WordView | undefined;

function wordsOf(source: Buffer): WordView {
  const last = lastView;
  if (last !== undefined && last.source === source) return last;
  const { buffer } = source;
  const view = { source, byteOffset: source.byteOffset, words: new Int32Array(buffer, 0, buffer.byteLength >> 2) };
  lastView = view;
  return view;
}

function isHeadEnd(bytes: Buffer, at: number): boolean {
  return bytes[at] === CR && bytes[at + 1] === LF && bytes[at + 2] === CR && bytes[at + 3] === LF;
}

/** Offset of the first CRLF in bytes[from, to), or -1. */
export function indexOfCrlf(bytes: Buffer, from: number, to: number): number {
  for (let i = from; i + 1 < to; i++) if (bytes[i] === CR && bytes[i + 1] === LF) return i;
  return -1;
}

/**
 * The start line bytes[start, end) of a head with these fields. Read in place while it is ASCII
 * (as it nearly always is: decoding is then the identity); decoded and read as text otherwise.
 */
function readStartLine(bytes: Buffer, start: number, end: number, kind: MessageKind, fields: HeaderFields): ParsedHead | undefined {
  return kind === 'request' ? requestLineAt(bytes, start, end, fields) : statusLineAt(bytes, start, end, fields);
}

/** The start line text[0, end) of a head with these fields. */
function parseStartLine(text: string, end: number, kind: MessageKind, fields: HeaderFields): ParsedHead | undefined {
  return kind === 'request' ? parseRequestLine(text, end, fields) : parseStatusLine(text, end, fields);
}

/** Offsets of the head being parsed, reused from head to head; each head keeps an exact copy. */
const scratchBounds: number[] = [];

/**
 * `{"name":"value",...}` of the head being read, written as Latin-1 bytes while its lines are
 * read, and decoded once. Unusable when a value needs escaping or does not fit Latin-1:
 * headersToJson covers those (and repeated names).
 */
class HeadJson {
  private bytes = Buffer.allocUnsafe(1024);
  private length = 0;
  /** Some value holds a character JSON must escape (names are tokens and never do). */
  escapes = false;
  /** Every character fitted in a byte. */
  latin1 = true;

  /** Starts an empty object with room for the fields of `textLength` characters of head. */
  start(textLength: number): void {
    // A field's JSON (`,"name":"value"`) is at most three characters longer than its line
    // (`\r\nname:value`), and a line is at least four characters: never more than twice the text.
    const needed = 2 * textLength + 8;
    if (needed > this.bytes.length) this.bytes = Buffer.allocUnsafe(2 * needed);
    this.bytes[0] = 0x7b; // {
    this.length = 1;
    this.escapes = false;
    this.latin1 = true;
  }

  get usable(): boolean {
    return !this.escapes && this.latin1;
  }

  /** The bytes to write at `written` (room is ensured by start()). */
  get out(): Buffer {
    return this.bytes;
  }

  get written(): number {
    return this.length;
  }

  set written(length: number) {
    this.length = length;
  }

  finish(): string {
    this.bytes[this.length++] = 0x7d; // }
    return this.bytes.toString('latin1', 0, this.length);
  }
}

const headJson = new HeadJson();

/** A trailer line (the same grammar as a header line) as [name, value], or undefined. */
export function parseTrailerLine(line: string): [string, string] | undefined {
  const bounds = [0, 0, 0, 0];
  headJson.start(line.length);
  if (readHeaderLine(line, 0, bounds, 0) !== line.length) return undefined;
  return [line.slice(bounds[0], bounds[1]), line.slice(bounds[2], bounds[3])];
}

const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * The line `name: value` at text[from], up to a CRLF or the end of the text, with optional blanks
 * around the value: writes its four offsets at bounds[at] and the field to headJson. Returns
 * where the line ends (its CR, or text.length); -1 unless the name is a token and the value has
 * no line break.
 */
function readHeaderLine(text: string, from: number, bounds: number[], at: number): number {
  const length = text.length;
  const out = headJson.out;
  let j = headJson.written;
  if (j > 1) out[j++] = COMMA;
  out[j++] = QUOTE;
  let i = from;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === COLON) break;
    if (c >= 128 || TOKEN_CHARS[c] === 0) return -1;
    out[j++] = c;
  }
  if (i === from || i === length) return -1;
  const colon = i;
  out[j++] = QUOTE;
  out[j++] = COLON;
  out[j++] = QUOTE;
  i++;
  while (i < length && isBlank(text.charCodeAt(i))) i++;
  const start = i;
  let end = i; // after the last character that is not blank
  let endJ = j;
  let firstTab = length;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c > SPACE && c < 0x7f && c !== QUOTE && c !== BACKSLASH) {
      out[j++] = c;
      end = i + 1;
      endJ = j;
      continue;
    }
    if (c === SPACE || c === TAB) {
      if (c === TAB && firstTab === length) firstTab = i;
      out[j++] = c;
      continue;
    }
    if (c === CR && text.charCodeAt(i + 1) === LF) break;
    if (c === CR || c === LF || c === 0x2028 || c === 0x2029) return -1;
    if (c < SPACE || c === QUOTE || c === BACKSLASH || (c >= 0xd800 && c <= 0xdfff)) headJson.escapes = true;
    if (c > 0xff) headJson.latin1 = false;
    out[j++] = c;
    end = i + 1;
    endJ = j;
  }
  // A tab inside the value (not trimmed off its end) must be escaped.
  if (firstTab < end) headJson.escapes = true;
  out[endJ] = QUOTE;
  headJson.written = endJ + 1;
  bounds[at] = from;
  bounds[at + 1] = colon;
  bounds[at + 2] = start;
  bounds[at + 3] = end;
  return i;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

const VERSION_SUFFIX = ' HTTP/1.';
const WHITESPACE = /\s/;

/** `METHOD target HTTP/1.d` in text[0, end), METHOD one of HTTP_METHODS, target without whitespace. */
function parseRequestLine(text: string, end: number, fields: HeaderFields): ParsedRequest | undefined {
  const space = text.indexOf(' ');
  const versionAt = end - VERSION_SUFFIX.length - 1;
  if (space <= 0 || space >= end || versionAt <= space + 1 || !text.startsWith(VERSION_SUFFIX, versionAt)) return undefined;
  const method = methodEndingAt(text, space);
  const minor = text.charCodeAt(end - 1) - 0x30;
  if (method === undefined || !(minor >= 0 && minor <= 9) || hasWhitespace(text, space + 1, versionAt)) return undefined;
  return new ParsedRequest(method, text.slice(space + 1, versionAt), minor, fields);
}

/** The method that is exactly text[0, end), as one shared string. */
function methodEndingAt(text: string, end: number): HttpMethod | undefined {
  for (const method of HTTP_METHODS) if (method.length === end && text.startsWith(method)) return method;
  return undefined;
}

/** What /\s/ finds in text[from, to), without a string for the common all-ASCII case. */
function hasWhitespace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return WHITESPACE.test(text.slice(from, to));
    if (c === SPACE || (c >= TAB && c <= CR)) return true;
  }
  return false;
}

const codesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const VERSION_SUFFIX_CODES = codesOf(VERSION_SUFFIX);
const METHOD_CODES = HTTP_METHODS.map(codesOf);
const STATUS_LINE_PREFIX_CODES = codesOf('HTTP/1.');

/**
 * parseRequestLine of bytes[start, end) decoded. What is checked against ASCII is read in place;
 * a target with a byte past ASCII sends the line through the text path (a UTF-8 decoder keeps
 * ASCII bytes as they are, so the checks made so far agree with what the text path finds).
 */
function requestLineAt(bytes: Buffer, start: number, end: number, fields: HeaderFields): ParsedRequest | undefined {
  let space = start;
  while (space < end && bytes[space] !== SPACE) space++;
  const versionAt = end - VERSION_SUFFIX.length - 1;
  if (space === start || space === end || versionAt <= space + 1 || !holdsCodes(bytes, versionAt, VERSION_SUFFIX_CODES)) return undefined;
  const method = methodAt(bytes, start, space);
  const minor = bytes[end - 1]! - 0x30;
  if (method === undefined || !(minor >= 0 && minor <= 9)) return undefined;
  for (let i = space + 1; i < versionAt; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) return parseRequestLine(...decoded(bytes, start, end), fields);
    if (c === SPACE || (c >= TAB && c <= CR)) return undefined;
  }
  return new ParsedRequest(method, asciiString(bytes, space + 1, versionAt), minor, fields);
}

/** Longest string asciiString() builds itself: past this, one call into the decoder is cheaper. */
const SHORT_STRING = 8;

/** The ASCII bytes[start, end) as a string (short ones, like most paths, without calling the decoder). */
function asciiString(bytes: Buffer, start: number, end: number): string {
  if (end - start > SHORT_STRING) return utf8(bytes, start, end);
  let text = '';
  let i = start;
  for (; i + 4 <= end; i += 4) text += String.fromCharCode(bytes[i]!, bytes[i + 1]!, bytes[i + 2]!, bytes[i + 3]!);
  for (; i < end; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** bytes[start, end) as UTF-8 text, and its length. */
function decoded(bytes: Buffer, start: number, end: number): [string, number] {
  const text = utf8(bytes, start, end);
  return [text, text.length];
}

/** The method that is exactly bytes[start, end). */
function methodAt(bytes: Buffer, start: number, end: number): HttpMethod | undefined {
  for (let m = 0; m < METHOD_CODES.length; m++) {
    const codes = METHOD_CODES[m]!;
    if (codes.length === end - start && holdsCodes(bytes, start, codes)) return HTTP_METHODS[m];
  }
  return undefined;
}

/** Whether bytes[at, at + codes.length) are `codes`. */
function holdsCodes(bytes: Buffer, at: number, codes: Uint8Array): boolean {
  for (let i = 0; i < codes.length; i++) if (bytes[at + i] !== codes[i]) return false;
  return true;
}

/** Whether bytes[at, at + text.length) are the characters of `text`, all ASCII. */
function holdsAsciiText(bytes: Buffer, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || bytes[at + i] !== c) return false;
  }
  return true;
}

/** parseStatusLine of bytes[start, end) decoded, read in place as requestLineAt is. */
function statusLineAt(bytes: Buffer, start: number, end: number, fields: HeaderFields): ParsedResponse | undefined {
  if (end - start < 12 || !holdsCodes(bytes, start, STATUS_LINE_PREFIX_CODES) || bytes[start + 8] !== SPACE) return undefined;
  const minor = bytes[start + 7]! - 0x30;
  const s0 = bytes[start + 9]! - 0x30;
  const s1 = bytes[start + 10]! - 0x30;
  const s2 = bytes[start + 11]! - 0x30;
  if (!(minor >= 0 && minor <= 9 && s0 >= 0 && s0 <= 9 && s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9)) return undefined;
  const status = s0 * 100 + s1 * 10 + s2;
  let reason = '';
  if (end - start > 12) {
    if (bytes[start + 12] !== SPACE) return undefined;
    const found = reasonPhraseAt(bytes, start + 13, end, status);
    if (found === NOT_ASCII) return parseStatusLine(...decoded(bytes, start, end), fields);
    if (found === undefined) return undefined;
    reason = found;
  }
  return new ParsedResponse(status, reason, minor, fields);
}

/** `HTTP/1.d ddd` and an optional ` reason` in text[0, end). */
function parseStatusLine(text: string, end: number, fields: HeaderFields): ParsedResponse | undefined {
  if (end < 12 || !text.startsWith('HTTP/1.') || text.charCodeAt(8) !== SPACE) return undefined;
  const minor = text.charCodeAt(7) - 0x30;
  const s0 = text.charCodeAt(9) - 0x30;
  const s1 = text.charCodeAt(10) - 0x30;
  const s2 = text.charCodeAt(11) - 0x30;
  if (!(minor >= 0 && minor <= 9 && s0 >= 0 && s0 <= 9 && s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9)) return undefined;
  const status = s0 * 100 + s1 * 10 + s2;
  let reason = '';
  if (end > 12) {
    if (text.charCodeAt(12) !== SPACE) return undefined;
    const found = reasonPhrase(text, 13, end, status);
    if (found === undefined) return undefined;
    reason = found;
  }
  return new ParsedResponse(status, reason, minor, fields);
}

/** The last valid reason phrase seen per status: most servers send one phrase per status. */
const recentReasons = new Map<number, string>();
const MAX_RECENT_REASONS = 64;

const NOT_ASCII = Symbol('not ASCII');

/** reasonPhrase of bytes[from, to) if they are ASCII (the recent reasons compared as they are). */
function reasonPhraseAt(bytes: Buffer, from: number, to: number, status: number): string | undefined | typeof NOT_ASCII {
  const recent = recentReasons.get(status);
  if (recent !== undefined && recent.length === to - from && holdsAsciiText(bytes, from, recent)) return recent;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c >= 0x80) return NOT_ASCII;
    if (c === CR || c === LF) return undefined;
  }
  return rememberReason(status, utf8(bytes, from, to));
}

/** text[from, to) unless it holds a line break; the string of the previous such reason when equal. */
function reasonPhrase(text: string, from: number, to: number, status: number): string | undefined {
  const recent = recentReasons.get(status);
  if (recent !== undefined && recent.length === to - from && text.startsWith(recent, from)) return recent;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === CR || c === LF || c === 0x2028 || c === 0x2029) return undefined;
  }
  return rememberReason(status, text.slice(from, to));
}

function rememberReason(status: number, reason: string): string {
  if (recentReasons.size < MAX_RECENT_REASONS || recentReasons.has(status)) recentReasons.set(status, reason);
  return reason;
}
