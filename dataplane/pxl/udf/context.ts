// Per-query state the functions share: the metadata view, the deployment's identity, the query's "now", compiled regular
// expressions and per-dictionary results (a function over a dictionary column computes each
// distinct entry once; a dictionary shared by many batches is computed once per query, and a
// value seen in another batch's dictionary is not computed again: see `entries`).
import { EMPTY_METADATA, NO_IDENTITY, type ClusterIdentity, type MetadataView } from '../../metadata/types.js';
import { compactDict, isScalar, type Value } from './values.js';
import type { DictVector } from '../../table-store/types.js';

/** A function was given an argument it cannot work with (bad duration text, rejected regex). */
export class UdfError extends Error {
  constructor(
    readonly code: 'bad_argument' | 'rejected_pattern',
    message: string,
  ) {
    super(message);
    this.name = 'UdfError';
  }
}

/** Longest regular expression a script may use; longer patterns are rejected. */
export const MAX_PATTERN_LENGTH = 1000;

export interface Entries<T> {
  /** Per row: the index into `results` (the dictionary code). */
  readonly codes: Uint32Array;
  /** Mask for `codes` (0 when the argument was a constant). */
  readonly m: number;
  /** The dictionary the codes point into (possibly compacted). */
  readonly dict: readonly string[];
  readonly results: T[];
}

export class UdfContext {
  readonly metadata: MetadataView;
  readonly identity: ClusterIdentity;
  readonly now: bigint;
  private readonly regexes = new Map<string, RegExp>();
  private readonly perDict = new WeakMap<readonly string[], Map<string, unknown[]>>();
  private readonly parsed = new Map<string, unknown>();
  /** Per function key: input string → result, across dictionaries (bounded: MEMO_ENTRIES in all). */
  private readonly memo = new Map<string, Map<string, unknown>>();
  private memoSize = 0;

  constructor(opts: { metadata?: MetadataView; identity?: ClusterIdentity; now?: bigint } = {}) {
    this.metadata = opts.metadata ?? EMPTY_METADATA;
    this.identity = opts.identity ?? NO_IDENTITY;
    this.now = opts.now ?? BigInt(Date.now()) * 1_000_000n;
  }

  /**
   * f applied once per dictionary entry of a string argument. `key` names the function and its
   * constant arguments; results for a dictionary are cached for the rest of the query. A batch
   * that uses a small part of a large dictionary is compacted first, so the work is bounded by
   * the rows, not the dictionary.
   */
  entries<T>(v: Value, n: number, key: string, f: (s: string) => T): Entries<T> {
    if (isScalar(v)) return { codes: ZERO, m: 0, dict: [v.value as string], results: [f(v.value as string)] };
    let vec = v as DictVector;
    const cached = this.perDict.get(vec.dict)?.get(key);
    if (cached) return { codes: vec.codes, m: -1, dict: vec.dict, results: cached as T[] };
    const large = vec.dict.length > 2 * n + 64;
    if (large) vec = compactDict(vec, n);
    const results = this.memoized(key, vec.dict, f);
    if (!large) {
      let byKey = this.perDict.get(vec.dict);
      if (!byKey) this.perDict.set(vec.dict, (byKey = new Map()));
      byKey.set(key, results);
    }
    return { codes: vec.codes, m: -1, dict: vec.dict, results };
  }

  /**
   * f over every entry of `dict`, through the query's memo for `key`: every table-store batch
   * has its own dictionary, but the same values (upids, paths) recur in each, and f (a metadata
   * lookup, a string function) is pure within a query. At most MEMO_ENTRIES results are kept
   * per query; once it is full, new values are computed without being remembered.
   */
  private memoized<T>(key: string, dict: readonly string[], f: (s: string) => T): T[] {
    let memo = this.memo.get(key) as Map<string, T> | undefined;
    if (!memo) this.memo.set(key, (memo = new Map()));
    const results = new Array<T>(dict.length);
    for (let i = 0; i < dict.length; i++) {
      const s = dict[i]!;
      let r = memo.get(s);
      if (r === undefined && !memo.has(s)) {
        r = f(s);
        if (this.memoSize < MEMO_ENTRIES) {
          memo.set(s, r);
          this.memoSize++;
        }
      }
      results[i] = r as T;
    }
    return results;
  }

  /** JSON text parsed once per query (a bounded cache): undefined when the text is not JSON. */
  json(text: string): unknown {
    if (this.parsed.has(text)) return this.parsed.get(text);
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    if (this.parsed.size >= JSON_CACHE_ENTRIES) this.parsed.clear();
    this.parsed.set(text, v);
    return v;
  }

  /**
   * A compiled regular expression (cached per query). Patterns use RE2-like syntax as in
   * Pixie; `(?P<name>` groups and leading inline flags `(?i)`, `(?s)`, `(?m)` are translated.
   * Rejected: patterns longer than MAX_PATTERN_LENGTH, backreferences and lookaround (RE2 has
   * neither), and a quantified group that itself contains a quantifier (`(a+)+`, `(.*)*`), the
   * shape that makes a backtracking engine take exponential time.
   */
  regex(pattern: string, mode: 'whole' | 'global'): RegExp {
    const key = `${mode}\u0000${pattern}`;
    let re = this.regexes.get(key);
    if (!re) {
      re = compilePattern(pattern, mode);
      this.regexes.set(key, re);
    }
    re.lastIndex = 0;
    return re;
  }
}

const ZERO = new Uint32Array(1);
const JSON_CACHE_ENTRIES = 4096;
/** Results the per-query memo of `entries` keeps, over all functions. */
export const MEMO_ENTRIES = 65_536;

function compilePattern(pattern: string, mode: 'whole' | 'global'): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new UdfError('rejected_pattern', `regular expression is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`);
  }
  let body = pattern;
  let flags = '';
  for (let m = /^\(\?([ism]+)\)/.exec(body); m; m = /^\(\?([ism]+)\)/.exec(body)) {
    for (const f of m[1]!) if (!flags.includes(f)) flags += f;
    body = body.slice(m[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<');
  if (/\\[1-9]|\\k</.test(body)) throw new UdfError('rejected_pattern', `regular expression '${pattern}' uses a backreference, which RE2 syntax does not have`);
  if (/\(\?<?[=!]/.test(body)) throw new UdfError('rejected_pattern', `regular expression '${pattern}' uses lookaround, which RE2 syntax does not have`);
  if (nestedQuantifier(body)) {
    throw new UdfError('rejected_pattern', `regular expression '${pattern}' repeats a group that itself repeats (like (a+)+); it can take exponential time. Remove the inner or the outer repetition`);
  }
  try {
    if (mode === 'whole') return new RegExp(`^(?:${body})$`, flags);
    return new RegExp(body, flags + 'g');
  } catch (e) {
    throw new UdfError('bad_argument', `invalid regular expression '${pattern}': ${(e as Error).message}`);
  }
}

/** True when a group followed by a quantifier contains a quantifier itself. */
function nestedQuantifier(body: string): boolean {
  const stack: { quantified: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push({ quantified: false });
    else if (c === ')') {
      const g = stack.pop();
      const next = body[i + 1];
      const outer = next === '*' || next === '+' || (next === '{' && /^\{\d*,\d*\}|^\{\d{2,}\}/.test(body.slice(i + 1)));
      if (g?.quantified && outer) return true;
      if (g?.quantified && stack.length > 0) stack[stack.length - 1]!.quantified = true;
      if (outer && stack.length > 0) stack[stack.length - 1]!.quantified = true;
    } else if ((c === '*' || c === '+' || c === '{') && stack.length > 0) {
      stack[stack.length - 1]!.quantified = true;
    }
  }
  return false;
}
