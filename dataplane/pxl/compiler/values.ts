// What names are bound to while a script is interpreted: scalars and column expressions (Sym),
// DataFrames, Python containers, px functions, user functions, captured px.otel calls.
import type { DataType, SemanticType } from '../../table-store/types.js';
import type { DefStmt } from '../parse/ast.js';
import { fail, type Pos } from '../parse/errors.js';
import type { Frame } from './frame.js';
import { isLit, type LitSym, type Sym } from './sym.js';

export interface Arg {
  readonly value: Value;
  readonly pos: Pos;
}

export interface KeywordArg extends Arg {
  readonly name: string;
}

/** One call as the callee sees it: evaluated arguments with their positions. */
export interface CallSite {
  readonly pos: Pos;
  readonly args: readonly Arg[];
  readonly keywords: readonly KeywordArg[];
}

export type Value =
  | { readonly kind: 'expr'; readonly sym: Sym }
  | { readonly kind: 'none' }
  | { readonly kind: 'list'; readonly items: readonly Value[] }
  | { readonly kind: 'tuple'; readonly items: readonly Value[] }
  | { readonly kind: 'dict'; readonly entries: readonly { readonly key: Value; readonly value: Value; readonly pos: Pos }[] }
  | { readonly kind: 'frame'; readonly frame: Frame }
  | { readonly kind: 'grouped'; readonly frame: Frame; readonly groups: readonly string[] }
  | { readonly kind: 'ctx'; readonly frame: Frame }
  | { readonly kind: 'module'; readonly path: string }
  | { readonly kind: 'builtin'; readonly name: string; readonly call: (site: CallSite) => Value }
  | { readonly kind: 'aggregate'; readonly name: string }
  /** px.Pod, px.DurationNanos, ...: wraps a value, and annotates an argument of that type. */
  | { readonly kind: 'semantic'; readonly name: string; readonly semantic: SemanticType; readonly argType: DataType }
  | { readonly kind: 'pytype'; readonly name: 'str' | 'int' | 'float' | 'bool' }
  | { readonly kind: 'function'; readonly def: DefStmt; readonly closure: Scope; readonly defaults: readonly (Value | undefined)[] }
  | { readonly kind: 'otel'; readonly fn: string; readonly args: ReadonlyMap<string, Arg>; readonly pos: Pos };

export const NONE: Value = { kind: 'none' };

export const exprValue = (sym: Sym): Value => ({ kind: 'expr', sym });

/** Variables of one module or one function call. */
export class Scope {
  private readonly vars = new Map<string, Value>();
  constructor(readonly parent?: Scope) {}

  lookup(name: string): Value | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }

  set(name: string, value: Value): void {
    this.vars.set(name, value);
  }

  names(): string[] {
    return [...this.vars.keys(), ...(this.parent?.names() ?? [])];
  }
}

const ARTICLE: Readonly<Record<DataType, string>> = { boolean: 'a boolean', int64: 'an int', uint128: 'a uint128', float64: 'a float', string: 'a string', time64ns: 'a time' };

/** "a DataFrame", "a string constant", "a column expression of type int64", ... */
export function describe(v: Value): string {
  switch (v.kind) {
    case 'expr':
      return isLit(v.sym) ? `${ARTICLE[v.sym.type]} constant` : `a column expression of type ${v.sym.type}`;
    case 'none':
      return 'None';
    case 'list':
      return 'a list';
    case 'tuple':
      return 'a tuple';
    case 'dict':
      return 'a dict';
    case 'frame':
      return 'a DataFrame';
    case 'grouped':
      return 'a grouped DataFrame';
    case 'ctx':
      return 'a DataFrame context (df.ctx)';
    case 'module':
      return `the module ${v.path}`;
    case 'builtin':
      return `${v.name}()`;
    case 'aggregate':
      return `the aggregate px.${v.name}`;
    case 'semantic':
      return `the type px.${v.name}`;
    case 'pytype':
      return `the type ${v.name}`;
    case 'function':
      return `the function ${v.def.name}()`;
    case 'otel':
      return `${v.fn}(...)`;
  }
}

export function constant(v: Value): LitSym | undefined {
  return v.kind === 'expr' && isLit(v.sym) ? v.sym : undefined;
}

export function constString(arg: Arg, what: string): string {
  const c = constant(arg.value);
  if (!c || typeof c.value !== 'string') fail('type', `${what} must be a string, got ${describe(arg.value)}`, arg.pos);
  return c.value;
}

export function constInt(arg: Arg, what: string): bigint {
  const c = constant(arg.value);
  if (!c || c.type !== 'int64' || typeof c.value !== 'bigint') fail('type', `${what} must be an int, got ${describe(arg.value)}`, arg.pos);
  return c.value;
}

/** 'a' or ['a', 'b'] → ['a', 'b']. */
export function stringList(arg: Arg, what: string): string[] {
  const v = arg.value;
  if (v.kind === 'list' || v.kind === 'tuple') {
    return v.items.map((item) => constString({ value: item, pos: arg.pos }, `each entry of ${what}`));
  }
  const c = constant(v);
  if (c && typeof c.value === 'string') return [c.value];
  fail('type', `${what} must be a column name or a list of column names, got ${describe(v)}`, arg.pos);
}

/** A value used as a scalar: a constant or a column expression. */
export function symOf(arg: Arg, what: string): Sym {
  if (arg.value.kind === 'expr') return arg.value.sym;
  const hint = arg.value.kind === 'frame' ? "; pick a column with df['name'] or df.name" : '';
  fail('type', `${what} must be a column expression or a constant, got ${describe(arg.value)}${hint}`, arg.pos);
}
