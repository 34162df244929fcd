// The entry function: a script's def called with the run's arguments (text), each converted by
// its annotation; the DataFrame it returns is displayed under the function's name.
import type { DefStmt, Param } from '../parse/ast.js';
import { fail } from '../parse/errors.js';
import type { CompileContext } from './context.js';
import type { Interpreter } from './interpreter.js';
import { parseDurationNs } from '../../../lib/duration.js';
import { didYouMean, quoteList } from './suggest.js';
import { lit } from './sym.js';
import { describe, exprValue, type KeywordArg, type Scope, type Value } from './values.js';

function convertArg(fn: string, p: Param, text: string, annotation: Value | undefined): Value {
  const bad = (what: string): never => fail('argument', `argument '${p.name}' of ${fn}() must be ${what}, got '${text}'`, p.pos);
  const kind = annotation?.kind === 'pytype' ? annotation.name : annotation?.kind === 'semantic' ? annotation.argType : annotation ? describe(annotation) : 'str';
  const tag = annotation?.kind === 'semantic' ? annotation.semantic : undefined;
  switch (kind) {
    case 'str':
    case 'string':
      return exprValue(lit('string', text, p.pos, tag));
    case 'int':
    case 'int64': {
      const t = text.trim();
      if (/^[+-]?\d+$/.test(t)) {
        const n = BigInt(t);
        if (n !== BigInt.asIntN(64, n)) bad('an int64');
        return exprValue(lit('int64', n, p.pos, tag));
      }
      const d = tag === 'duration_ns' ? parseDurationNs(t) : undefined;
      return d === undefined ? bad(tag === 'duration_ns' ? "nanoseconds or a duration such as '10s'" : 'an int') : exprValue(lit('int64', d, p.pos, tag));
    }
    case 'float':
    case 'float64': {
      const f = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(f)) bad('a number');
      return exprValue(lit('float64', f, p.pos, tag));
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(t)) return exprValue(lit('boolean', true, p.pos));
      if (['false', '0', 'no'].includes(t)) return exprValue(lit('boolean', false, p.pos));
      return bad('true or false');
    }
    default:
      if (annotation?.kind === 'builtin' && annotation.name === 'px.DataFrame') fail('argument', `argument '${p.name}' of ${fn}() is a DataFrame and cannot be given as a script argument`, p.pos);
      return fail('type', `argument '${p.name}' of ${fn}() is annotated with ${kind}; script arguments take str, int, float, bool or a px semantic type`, p.pos);
  }
}

/** Calls `entry` with `args`; a returned DataFrame becomes a sink named after the function. */
export function runEntry(interp: Interpreter, ctx: CompileContext, module: Scope, entry: string, args: Readonly<Record<string, string>>): void {
  const fnValue = module.lookup(entry);
  if (fnValue?.kind !== 'function') {
    const defined = module.names().filter((n) => module.lookup(n)?.kind === 'function');
    fail('unknown_name', `entry function '${entry}' is not defined in the script${didYouMean(entry, defined)}; it defines ${defined.length ? quoteList(defined) : 'no functions'}`, { line: 1, column: 1 });
  }
  const def: DefStmt = fnValue.def;
  const names = def.params.map((p) => p.name);
  for (const name of Object.keys(args)) {
    if (!names.includes(name)) fail('argument', `${entry}() has no argument '${name}'${didYouMean(name, names)}; it takes ${names.length ? quoteList(names) : 'none'}`, def.pos);
  }
  const missing = def.params.filter((p, i) => args[p.name] === undefined && fnValue.defaults[i] === undefined).map((p) => p.name);
  if (missing.length > 0) fail('argument', `${entry}() needs the argument${missing.length === 1 ? '' : 's'} ${quoteList(missing)}`, def.pos);
  const keywords: KeywordArg[] = [];
  for (const p of def.params) {
    const text = args[p.name];
    if (text === undefined) continue;
    const annotation = p.annotation ? interp.eval(p.annotation, fnValue.closure) : undefined;
    keywords.push({ name: p.name, value: convertArg(entry, p, text, annotation), pos: p.pos });
  }
  const displayed = ctx.displays.length;
  const result = interp.callFunction(fnValue, { pos: def.pos, args: [], keywords });
  if (result.kind === 'frame') {
    if (ctx.displays.includes(entry)) fail('value', `a table named '${entry}' is already displayed`, def.pos);
    ctx.builder.sink(result.frame, entry, def.pos);
    ctx.displays.push(entry);
  } else if (result.kind !== 'none' || ctx.displays.length === displayed) {
    fail('no_output', `entry function ${entry}() must return a DataFrame, got ${describe(result)}`, def.pos);
  }
}
