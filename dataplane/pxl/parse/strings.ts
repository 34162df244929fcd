// Python string literal text → its value: prefixes, quotes and backslash escapes.

export interface StringParts {
  /** Lower-cased prefix letters: '', 'r', 'f', 'b', 'rb', 'u'... */
  readonly prefix: string;
  /** The text between the quotes, escapes not yet decoded. */
  readonly body: string;
}

/** Splits `r'''text'''` into prefix and body. */
export function splitStringLiteral(text: string): StringParts {
  const m = /^([A-Za-z]*)('''|"""|'|")/.exec(text);
  if (!m) return { prefix: '', body: text };
  const quote = m[2] ?? '';
  const start = m[0].length;
  const end = text.endsWith(quote) && text.length - quote.length >= start ? text.length - quote.length : text.length;
  return { prefix: (m[1] ?? '').toLowerCase(), body: text.slice(start, end) };
}

const SIMPLE: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Decodes backslash escapes as Python does for str literals; unknown escapes stay as written. */
export function decodeEscapes(body: string): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[i + 1] ?? '';
    const simple = SIMPLE[next];
    if (simple !== undefined) {
      out += simple;
      i++;
    } else if (next === '\n') {
      i++;
    } else if (next === '\r') {
      i += body[i + 2] === '\n' ? 2 : 1;
    } else if (/[0-7]/.test(next)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i + 1)) ?? [''];
      out += String.fromCodePoint(parseInt(m[0], 8));
      i += m[0].length;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + width);
      const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === width ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(code) || code > 0x10ffff) {
        out += ch;
      } else {
        out += String.fromCodePoint(code);
        i += 1 + width;
      }
    } else {
      out += ch;
    }
  }
  return out;
}
