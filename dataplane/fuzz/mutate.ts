// Raw mutations of valid inputs: bit flips, overwritten bytes and length fields, truncation,
// deletion, insertion and duplication of ranges. Positions are taken modulo the input's length,
// so one list of mutations applies to any base (and shrinks towards fewer, earlier edits).
import fc from 'fast-check';

export type ByteMutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'u32'; readonly at: number; readonly value: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'duplicate'; readonly at: number; readonly length: number; readonly to: number };

/** Byte values parsers treat specially: NUL, CR, LF, space, digits, separators, the top bit. */
const INTERESTING_BYTES = [0x00, 0x0d, 0x0a, 0x20, 0x30, 0x39, 0x3a, 0x3b, 0x2c, 0x7f, 0x80, 0xff];

/** Values a length or count field might be overwritten with: empty, one, the sign bit, 4 GiB - 1. */
const INTERESTING_U32 = [0, 1, 2, 7, 8, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

const position = fc.nat();

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: position, byte: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ op: fc.constant('u32' as const), at: position, value: fc.oneof(fc.constantFrom(...INTERESTING_U32), fc.nat({ max: 0xffffffff })) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 256 }), to: position }),
);

export const byteMutations = fc.array(byteMutation, { minLength: 1, maxLength: 8 });

/** `base` with `mutations` applied in order (a new buffer; `base` is not changed). */
export function mutateBytes(base: Uint8Array, mutations: readonly ByteMutation[]): Buffer {
  let bytes = Buffer.from(base);
  for (const m of mutations) {
    const length = bytes.length;
    const at = length === 0 ? 0 : m.at % length;
    switch (m.op) {
      case 'flip':
        if (length > 0) bytes[at] = bytes[at]! ^ (1 << m.bit);
        break;
      case 'set':
        if (length > 0) bytes[at] = m.byte;
        break;
      case 'u32': {
        const aligned = at & ~3;
        if (aligned + 4 <= length) bytes.writeUInt32LE(m.value >>> 0, aligned);
        break;
      }
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
        break;
      case 'duplicate': {
        const piece = bytes.subarray(at, at + m.length);
        const to = length === 0 ? 0 : m.to % (length + 1);
        bytes = Buffer.concat([bytes.subarray(0, to), piece, bytes.subarray(to)]);
        break;
      }
    }
  }
  return bytes;
}

export type TextMutation =
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'insert'; readonly at: number; readonly text: string }
  | { readonly op: 'replace'; readonly at: number; readonly length: number; readonly text: string }
  | { readonly op: 'duplicate'; readonly at: number; readonly length: number; readonly to: number }
  | { readonly op: 'truncate'; readonly at: number };

/**
 * Edits of text: `tokens` are what the format's own syntax is made of (brackets, quotes,
 * keywords, indentation), mixed with arbitrary characters, lone surrogates included.
 */
export function textMutations(tokens: readonly string[]): fc.Arbitrary<TextMutation[]> {
  const text = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }) });
  const mutation: fc.Arbitrary<TextMutation> = fc.oneof(
    fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ op: fc.constant('insert' as const), at: position, text }),
    fc.record({ op: fc.constant('replace' as const), at: position, length: fc.integer({ min: 1, max: 12 }), text }),
    fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 200 }), to: position }),
    fc.record({ op: fc.constant('truncate' as const), at: position }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 6 });
}

export function mutateText(base: string, mutations: readonly TextMutation[]): string {
  let text = base;
  for (const m of mutations) {
    const at = text.length === 0 ? 0 : m.at % (text.length + 1);
    switch (m.op) {
      case 'delete':
        text = text.slice(0, at) + text.slice(at + m.length);
        break;
      case 'insert':
        text = text.slice(0, at) + m.text + text.slice(at);
        break;
      case 'replace':
        text = text.slice(0, at) + m.text + text.slice(at + m.length);
        break;
      case 'duplicate': {
        const piece = text.slice(at, at + m.length);
        const to = text.length === 0 ? 0 : m.to % (text.length + 1);
        text = text.slice(0, to) + piece + text.slice(to);
        break;
      }
      case 'truncate':
        text = text.slice(0, at);
        break;
    }
  }
  return text;
}

/** Bytes as hex, 32 to a line, for failure reports. */
export function hexDump(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  const lines: string[] = [];
  for (let i = 0; i < hex.length; i += 64) lines.push(hex.slice(i, i + 64));
  return `${bytes.byteLength} bytes:\n${lines.join('\n')}`;
}
