// How big compile-time values are. Values share their parts (after `x = x + x` both operands
// are one object), so a few lines can describe a value whose tree has 2^n parts, which
// lowering, comparing or encoding would walk in full: 30 such lines kept the compiler busy for
// minutes and took gigabytes. Sizes count the tree, memoised per object (values never change),
// so checking a new value costs as much as its direct parts.
import type { Sym } from './sym.js';
import type { Value } from './values.js';

/** Parts (tree nodes) one compile-time value may have: an expression, a list, a tuple, a dict. */
export const MAX_VALUE_PARTS = 10_000;

/** Characters of a string built at compile time: as many as the longest script has. */
export const MAX_STRING_CHARS = 1 << 20;

const parts = new WeakMap<object, number>();

export function symParts(s: Sym): number {
  if (s.k !== 'call') return 1;
  let n = parts.get(s);
  if (n === undefined) {
    n = 1;
    for (const a of s.args) n += symParts(a);
    parts.set(s, n);
  }
  return n;
}

export function valueParts(v: Value): number {
  switch (v.kind) {
    case 'expr':
      return symParts(v.sym);
    case 'list':
    case 'tuple':
    case 'dict': {
      let n = parts.get(v);
      if (n === undefined) {
        n = 1;
        if (v.kind === 'dict') for (const e of v.entries) n += valueParts(e.key) + valueParts(e.value);
        else for (const item of v.items) n += valueParts(item);
        parts.set(v, n);
      }
      return n;
    }
    default:
      return 1;
  }
}

/** A hint for a value past MAX_VALUE_PARTS. */
export const SIZE_HINT = 'is it built from itself again and again (x = x + x)? build it once from its parts';
