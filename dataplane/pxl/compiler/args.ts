// Matching a call's positional and keyword arguments to a builtin's parameters, with the
// messages Python users expect.
import { fail } from '../parse/errors.js';
import { didYouMean } from './suggest.js';
import type { Arg, CallSite } from './values.js';

export interface ParamSpec {
  readonly name: string;
  readonly required?: boolean;
  /** Only by keyword. */
  readonly keywordOnly?: boolean;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Binds `site` to `params`; `fn` names the callee in messages ("px.DataFrame()"). */
export function bindArgs(fn: string, site: CallSite, params: readonly ParamSpec[]): Map<string, Arg> {
  const out = new Map<string, Arg>();
  const positional = params.filter((p) => !p.keywordOnly);
  site.args.forEach((arg, i) => {
    const p = positional[i];
    if (!p) {
      const max = positional.length;
      fail('argument', `${fn} takes ${max === 0 ? 'no positional arguments' : `at most ${plural(max, 'positional argument')}`} (${site.args.length} given)`, arg.pos);
    }
    out.set(p.name, arg);
  });
  for (const kw of site.keywords) {
    const p = params.find((q) => q.name === kw.name);
    if (!p) {
      const names = params.map((q) => q.name);
      fail('argument', `${fn} got an unexpected keyword argument '${kw.name}'${didYouMean(kw.name, names)}; it takes ${names.length ? names.join(', ') : 'no keyword arguments'}`, kw.pos);
    }
    if (out.has(kw.name)) fail('argument', `${fn} got multiple values for argument '${kw.name}'`, kw.pos);
    out.set(kw.name, kw);
  }
  for (const p of params) {
    if (p.required && !out.has(p.name)) fail('argument', `${fn} is missing the required argument '${p.name}'`, site.pos);
  }
  return out;
}
