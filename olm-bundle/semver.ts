// Semantic versions (semver.org 2.0.0) and the version ranges OLM reads in `olm.skipRange` and
// channel entries' `skipRange`: comparators (>, >=, <, <=, =, !=) joined by spaces (all must
// hold) and `||` (either side). Strict, as OLM parses them: no leading "v", no leading zeros.

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Dot-separated pre-release identifiers ("rc", "1"); empty for a release. */
  readonly pre: readonly string[];
}

const NUM = '(0|[1-9]\\d*)';
const IDENT = '(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`);

/** The version, or undefined when `text` is not a strict semantic version. */
export function parseSemVer(text: string): SemVer | undefined {
  const m = SEMVER.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

function compareIdent(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an !== bn) return an ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Precedence as semver.org defines it (build metadata ignored): negative, zero or positive. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  const core = Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch);
  if (core !== 0) return core;
  if (a.pre.length === 0 || b.pre.length === 0) return Math.sign(b.pre.length - a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const c = compareIdent(a.pre[i]!, b.pre[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(a.pre.length - b.pre.length);
}

type Op = '>' | '>=' | '<' | '<=' | '=' | '!=';
interface Comparator {
  readonly op: Op;
  readonly version: SemVer;
}

/** Alternatives (`||`), each a list of comparators that must all hold. */
export type SemVerRange = readonly (readonly Comparator[])[];

const COMPARATOR = /^(>=|<=|!=|==|>|<|=|!)?(.+)$/;

/** The range, or a message saying which part of `text` is not a comparator. */
export function parseSemVerRange(text: string): SemVerRange | string {
  const alternatives: Comparator[][] = [];
  for (const alt of text.split('||')) {
    const parts = alt.trim().split(/\s+/).filter((p) => p !== '');
    if (parts.length === 0) return `"${text}" has an empty alternative`;
    const comparators: Comparator[] = [];
    for (const part of parts) {
      const m = COMPARATOR.exec(part)!;
      const version = parseSemVer(m[2]!);
      if (!version) return `"${part}" in "${text}" is not an operator (>, >=, <, <=, =, !=) followed by a semantic version`;
      const raw = m[1] ?? '=';
      comparators.push({ op: raw === '==' ? '=' : raw === '!' ? '!=' : (raw as Op), version });
    }
    alternatives.push(comparators);
  }
  return alternatives;
}

export function inRange(range: SemVerRange, v: SemVer): boolean {
  const holds = ({ op, version }: Comparator): boolean => {
    const c = compareSemVer(v, version);
    return { '>': c > 0, '>=': c >= 0, '<': c < 0, '<=': c <= 0, '=': c === 0, '!=': c !== 0 }[op];
  };
  return range.some((all) => all.every(holds));
}
