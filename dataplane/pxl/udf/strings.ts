// String functions. Positions and lengths count UTF-16 code units (the same as bytes for
// ASCII text). Regular expressions go through the per-query cache and guard of UdfContext.
import { impl, type ScalarImpl } from './impl.js';
import { rowwise } from './rowwise.js';

const str = (c: unknown): string => c as string;
const num = (c: unknown): number => Number(c as bigint);

/** RE2's rewrite string (\1 for a group, \\ for a backslash) → JavaScript's ($1, $$ for $). */
export function translateRewrite(rewrite: string): string {
  let out = '';
  for (let i = 0; i < rewrite.length; i++) {
    const c = rewrite[i]!;
    if (c === '\\' && i + 1 < rewrite.length) {
      const d = rewrite[++i]!;
      out += d >= '0' && d <= '9' ? `$${d}` : d;
    } else if (c === '$') out += '$$';
    else out += c;
  }
  return out;
}

export const STRING_FUNCTIONS: Record<string, ScalarImpl[]> = {
  contains: [impl(['string', 'string'], 'boolean', rowwise('contains', 'boolean', ([s, sub]) => str(s).includes(str(sub))))],
  find: [impl(['string', 'string'], 'int64', rowwise('find', 'int64', ([s, sub]) => BigInt(str(s).indexOf(str(sub)))))],
  substring: [
    impl(
      ['string', 'int64', 'int64'],
      'string',
      rowwise('substring', 'string', ([s, start, length]) => {
        const text = str(s);
        const p = num(start);
        const len = num(length);
        if (p < 0 || p > text.length || len <= 0) return '';
        return text.slice(p, p + len);
      }),
    ),
  ],
  replace: [
    impl(
      ['string', 'string', 'string'],
      'string',
      rowwise('replace', 'string', ([pattern, s, rewrite], ctx) => str(s).replace(ctx.regex(str(pattern), 'global'), translateRewrite(str(rewrite)))),
    ),
  ],
  regex_match: [impl(['string', 'string'], 'boolean', rowwise('regex_match', 'boolean', ([pattern, s], ctx) => ctx.regex(str(pattern), 'whole').test(str(s))))],
  split: [impl(['string', 'string'], 'string', rowwise('split', 'string', ([s, delim]) => JSON.stringify(str(s).split(str(delim)))))],
  length: [impl(['string'], 'int64', rowwise('length', 'int64', ([s]) => BigInt(str(s).length)))],
  toupper: [impl(['string'], 'string', rowwise('toupper', 'string', ([s]) => str(s).toUpperCase()))],
  tolower: [impl(['string'], 'string', rowwise('tolower', 'string', ([s]) => str(s).toLowerCase()))],
  trim: [impl(['string'], 'string', rowwise('trim', 'string', ([s]) => str(s).trim()))],
  /** strip_prefix(prefix, s) */
  strip_prefix: [impl(['string', 'string'], 'string', rowwise('strip_prefix', 'string', ([prefix, s]) => (str(s).startsWith(str(prefix)) ? str(s).slice(str(prefix).length) : str(s))))],
};
