// Body capture and rendering. A parser keeps only a bounded prefix of each body (plus the total
// size); rendering applies the data-access mode and the truncation limit.
import { redactPii } from './pii-redaction.js';
import type { CaptureOptions } from './types.js';

/** Appended to a body that was cut at the limit; `*_body_size` still has the full size. */
export const TRUNCATION_MARKER = '... [TRUNCATED]';

/** Shown instead of a non-empty body in Restricted mode. */
export const REDACTED_BODY = '<REDACTED>';

// PIIRestricted redacts a little past the limit so that an address or card number straddling
// the cut is recognised whole rather than leaking its first half.
const REDACTION_LOOKAHEAD_BYTES = 128;

export interface CapturedBody {
  /** The first bytes of the body, at most the capture limit. */
  readonly prefix: Buffer;
  /** Full size in bytes (decoded from chunked framing where applicable). */
  readonly size: number;
}

export const EMPTY_BODY: CapturedBody = { prefix: Buffer.alloc(0), size: 0 };

/** How many body bytes a parser must keep for these options. */
export function bodyCaptureBytes(options: CaptureOptions): number {
  switch (options.dataAccess) {
    case 'Restricted':
      return 0;
    case 'PIIRestricted':
      return options.bodyLimitBytes + REDACTION_LOOKAHEAD_BYTES;
    case 'Full':
      return options.bodyLimitBytes;
  }
}

export class BodyCapture {
  private readonly parts: Buffer[] = [];
  private captured = 0;
  private total = 0;
  /** Set once bytes were skipped: later bytes would not continue the prefix, so none are kept. */
  private sealed = false;

  constructor(private readonly limitBytes: number) {}

  add(bytes: Buffer): void {
    this.addRange(bytes, 0, bytes.length);
  }

  /** add(source.subarray(start, end)) without the intermediate view; copies what it keeps. */
  addRange(source: Buffer, start: number, end: number): void {
    const length = end - start;
    this.total += length;
    const room = this.sealed ? 0 : this.limitBytes - this.captured;
    if (room <= 0 || length <= 0) return;
    const kept = Buffer.allocUnsafe(Math.min(room, length));
    copyInto(kept, source, start);
    this.parts.push(kept);
    this.captured += kept.length;
  }

  /** `count` body bytes were lost: counted in the size, and the prefix ends where they start. */
  skip(count: number): void {
    this.total += count;
    this.sealed = true;
  }

  get size(): number {
    return this.total;
  }

  finish(): CapturedBody {
    if (this.total === 0) return EMPTY_BODY;
    const prefix = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.captured);
    return { prefix, size: this.total };
  }
}

// Below this, a loop beats Buffer#copy, which makes a view of a partial source range first.
const SMALL_COPY_BYTES = 64;

/** Fills `target` from source[start, start + target.length). */
function copyInto(target: Buffer, source: Buffer, start: number): void {
  if (target.length > SMALL_COPY_BYTES) {
    source.copy(target, 0, start, start + target.length);
    return;
  }
  for (let i = 0; i < target.length; i++) target[i] = source[start + i]!;
}

export function renderBody(body: CapturedBody, options: CaptureOptions): string {
  if (body.size === 0) return '';
  switch (options.dataAccess) {
    case 'Restricted':
      return REDACTED_BODY;
    case 'Full': {
      if (isWhole(body, options)) return body.prefix.toString('utf8');
      return decodeUtf8Prefix(body.prefix, options.bodyLimitBytes) + TRUNCATION_MARKER;
    }
    case 'PIIRestricted': {
      const redacted = redactPii(body.prefix.toString('utf8'));
      if (isWhole(body, options)) return redacted;
      return decodeUtf8Prefix(Buffer.from(redacted, 'utf8'), options.bodyLimitBytes) + TRUNCATION_MARKER;
    }
  }
}

/** The whole body was captured and fits the limit (a body with lost bytes is shown as cut). */
function isWhole(body: CapturedBody, options: CaptureOptions): boolean {
  return body.size <= options.bodyLimitBytes && body.prefix.length === body.size;
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
