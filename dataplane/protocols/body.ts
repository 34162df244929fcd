// Body capture and rendering. A parser keeps only a bounded prefix of each body (plus the total
// size); rendering applies the data-access mode (only Full shows bodies) and the truncation limit.
import type { CaptureOptions } from './types.js';

/** Appended to a body that was cut at the limit; `*_body_size` still has the full size. */
export const TRUNCATION_MARKER = '... [TRUNCATED]';

/** Shown instead of a non-empty body outside Full mode, and of non-empty headers in Restricted mode. */
export const REDACTED_VALUE = '<REDACTED>';

/**
 * What a parser kept of a body: a prefix of at most the capture limit, and the full size. One is
 * made per message body: its fields are declared rather than defined, as ParsedRequest's are.
 */
export class CapturedBody {
  /** The prefix is store[start, end). */
  declare private readonly store: Buffer;
  declare private readonly start: number;
  declare private readonly end: number;
  /** Full size in bytes (decoded from chunked framing where applicable); for a cut body, the bytes before the cut. */
  declare readonly size: number;
  /** The message ended at a loss whose extent in the body is unknown: the body is shown cut. */
  declare readonly cut: boolean;
  declare private view: Buffer | undefined;

  constructor(store: Buffer, start: number, end: number, size: number, cut = false) {
    this.store = store;
    this.start = start;
    this.end = end;
    this.size = size;
    this.cut = cut;
    this.view = undefined;
  }

  /** The first bytes of the body, at most the capture limit. */
  get prefix(): Buffer {
    return (this.view ??= this.store.subarray(this.start, this.end));
  }

  get prefixLength(): number {
    return this.end - this.start;
  }

  /** The prefix decoded as UTF-8 (without making a view of it). */
  text(): string {
    return utf8(this.store, this.start, this.end);
  }
}

/**
 * bytes[start, end) decoded as UTF-8. Buffer#toString goes straight to the decoder when no
 * encoding is named (UTF-8 is the default); naming it costs a lookup per call.
 */
export function utf8(bytes: Buffer, start: number, end: number): string {
  return bytes.toString(undefined, start, end);
}

export const EMPTY_BODY = new CapturedBody(Buffer.alloc(0), 0, 0, 0);

/** How many body bytes a parser must keep for these options: none unless Full (bodies are never recorded otherwise). */
export function bodyCaptureBytes(options: CaptureOptions): number {
  return options.dataAccess === 'Full' ? options.bodyLimitBytes : 0;
}

// Small first parts are copied into shared slabs, as Buffer.allocUnsafe does into its pool, but
// without making a Buffer for each: most bodies are rendered once and never looked at as bytes.
const SLAB_BYTES = 8 * 1024;
const SLAB_PART_BYTES = SLAB_BYTES / 2;
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

/** One body at a time: a parser reset()s its capture for each message. */
export class BodyCapture {
  // The first part kept is store[storeStart, storeStart + firstLength); most bodies come in one.
  private store: Buffer | undefined;
  private storeStart = 0;
  private firstLength = 0;
  private rest: Buffer[] | undefined;
  private captured = 0;
  private total = 0;
  /** Set once bytes were skipped: later bytes would not continue the prefix, so none are kept. */
  private sealed = false;
  private cut = false;

  constructor(private readonly limitBytes: number) {}

  /** Forgets the body so far, to capture the next. */
  reset(): void {
    this.store = undefined;
    this.rest = undefined;
    this.captured = 0;
    this.total = 0;
    this.sealed = false;
    this.cut = false;
  }

  add(bytes: Buffer): void {
    this.addRange(bytes, 0, bytes.length);
  }

  /** add(source.subarray(start, end)) without the intermediate view; copies what it keeps. */
  addRange(source: Buffer, start: number, end: number): void {
    const length = end - start;
    this.total += length;
    const room = this.sealed ? 0 : this.limitBytes - this.captured;
    if (room <= 0 || length <= 0) return;
    const size = Math.min(room, length);
    if (this.store === undefined) {
      this.keepFirst(source, start, size);
    } else {
      const kept = Buffer.allocUnsafe(size);
      copyInto(kept, 0, size, source, start);
      (this.rest ??= []).push(kept);
    }
    this.captured += size;
  }

  /** `count` body bytes were lost: counted in the size, and the prefix ends where they start. */
  skip(count: number): void {
    this.total += count;
    this.sealed = true;
  }

  /** The body ends here, at a loss of unknown extent: it is shown cut, its size the bytes so far. */
  markCut(): void {
    this.sealed = true;
    this.cut = true;
  }

  get size(): number {
    return this.total;
  }

  finish(): CapturedBody {
    if (this.total === 0 && !this.cut) return EMPTY_BODY;
    const store = this.store;
    if (store === undefined) return new CapturedBody(EMPTY_BODY.prefix, 0, 0, this.total, this.cut);
    const first = this.storeStart;
    if (this.rest === undefined) return new CapturedBody(store, first, first + this.firstLength, this.total, this.cut);
    const prefix = Buffer.concat([store.subarray(first, first + this.firstLength), ...this.rest], this.captured);
    return new CapturedBody(prefix, 0, prefix.length, this.total, this.cut);
  }

  private keepFirst(source: Buffer, start: number, size: number): void {
    if (size > SLAB_PART_BYTES) {
      this.store = Buffer.allocUnsafe(size);
      this.storeStart = 0;
    } else {
      if (slabUsed + size > SLAB_BYTES) {
        slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
        slabUsed = 0;
      }
      this.store = slab;
      this.storeStart = slabUsed;
      slabUsed += size;
    }
    this.firstLength = size;
    copyInto(this.store, this.storeStart, size, source, start);
  }
}

// Below this, a loop beats Buffer#copy, which makes a view of a partial source range first.
const SMALL_COPY_BYTES = 64;

/** Copies source[start, start + size) to target[at]. */
function copyInto(target: Buffer, at: number, size: number, source: Buffer, start: number): void {
  if (size > SMALL_COPY_BYTES) {
    source.copy(target, at, start, start + size);
    return;
  }
  for (let i = 0; i < size; i++) target[at + i] = source[start + i]!;
}

export function renderBody(body: CapturedBody, options: CaptureOptions): string {
  if (body.size === 0 && !body.cut) return '';
  if (options.dataAccess !== 'Full') return REDACTED_VALUE;
  if (isWhole(body, options)) return body.text();
  return decodeUtf8Prefix(body.prefix, options.bodyLimitBytes) + TRUNCATION_MARKER;
}

/** The whole body was captured and fits the limit (a body with lost bytes is shown as cut). */
function isWhole(body: CapturedBody, options: CaptureOptions): boolean {
  return !body.cut && body.size <= options.bodyLimitBytes && body.prefixLength === body.size;
}

/** Decodes at most `maxBytes`, without a character cut in half at the end. */
export function decodeUtf8Prefix(bytes: Buffer, maxBytes: number): string {
  let end = Math.min(bytes.length, maxBytes);
  let lead = end - 1;
  while (lead >= 0 && end - lead < 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  if (lead >= 0) {
    const byte = bytes[lead]!;
    const sequenceLength = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    if (lead + sequenceLength > end) end = lead;
  }
  return bytes.subarray(0, end).toString('utf8');
}
