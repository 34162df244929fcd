// Runs a PxL module symbolically: statements bind names to values, DataFrame operations add
// plan nodes, scalar operations build typed expressions. Nothing touches data.
import type { Expr as AstExpr, Module, Stmt } from '../parse/ast.js';
import { fail, unsupported, type Pos } from '../parse/errors.js';
import { BINARY_FUNCTIONS, COMPARE_FUNCTIONS, makeCall } from './calls.js';
import type { CompileContext } from './context.js';
import { assignColumn, ctxLookup, frameAttribute, frameSubscript, groupedAttribute } from './dataframe.js';
import { applySemantic, pxMember } from './px.js';
import { MAX_VALUE_PARTS, SIZE_HINT, valueParts } from './size.js';
import { didYouMean } from './suggest.js';
import { lit, truthy, type Sym } from './sym.js';
import { NONE, Scope, constant, describe, exprValue, type Arg, type CallSite, type KeywordArg, type Value } from './values.js';

export interface InterpreterLimits {
  /** Deepest chain of user-function calls (bounds recursion). */
  readonly maxCallDepth: number;
  /** User-function calls in one compile (bounds fan-out recursion). */
  readonly maxCalls: number;
}

type FunctionValue = Extract<Value, { kind: 'function' }>;
type Completion = { readonly returned: Value } | undefined;

/** Python builtins a script might reach for; none exists in PxL. */
const PYTHON_BUILTINS = new Set([
  '__import__', 'abs', 'all', 'any', 'ascii', 'bin', 'breakpoint', 'bytearray', 'bytes', 'callable', 'chr', 'classmethod', 'compile', 'delattr', 'dict', 'dir', 'divmod',
  'enumerate', 'eval', 'exec', 'exit', 'filter', 'format', 'frozenset', 'getattr', 'globals', 'hasattr', 'hash', 'help', 'hex', 'id', 'input', 'isinstance', 'issubclass',
  'iter', 'len', 'list', 'locals', 'map', 'max', 'memoryview', 'min', 'next', 'object', 'oct', 'open', 'ord', 'pow', 'print', 'property', 'quit', 'range', 'repr',
  'reversed', 'round', 'set', 'setattr', 'slice', 'sorted', 'staticmethod', 'sum', 'super', 'tuple', 'type', 'vars', 'zip', '__builtins__', '__name__', '__file__',
]);

function columnTruthError(at: Pos): never {
  fail('type', 'a column expression has no truth value at compile time; use it in a filter (df[cond]) or px.select(cond, a, b)', at);
}

/** Python truthiness of a compile-time value. */
function truthValue(v: Value, at: Pos): boolean {
  switch (v.kind) {
    case 'expr':
      return v.sym.k === 'lit' ? truthy(v.sym) : columnTruthError(at);
    case 'none':
      return false;
    case 'list':
    case 'tuple':
      return v.items.length > 0;
    case 'dict':
      return v.entries.length > 0;
    case 'frame':
    case 'grouped':
      return fail('type', `the truth value of ${describe(v)} is ambiguous in PxL`, at);
    default:
      return true;
  }
}

function sameConstant(a: Value, b: Value): boolean {
  if (a.kind === 'none' || b.kind === 'none') return a.kind === b.kind;
  const x = constant(a);
  const y = constant(b);
  if (x && y) return x.value === y.value || (typeof x.value !== 'string' && typeof y.value !== 'string' && Number(x.value) === Number(y.value));
  if ((a.kind === 'list' || a.kind === 'tuple') && a.kind === b.kind) return a.items.length === b.items.length && a.items.every((item, i) => sameConstant(item, b.items[i] as Value));
  return false;
}

/** A list, tuple or dict that is not too big to compare, capture or encode. */
function sized(v: Value, at: Pos): Value {
  const parts = valueParts(v);
  if (parts > MAX_VALUE_PARTS) fail('limit', `this ${v.kind} has ${parts} parts counting what it nests; the limit is ${MAX_VALUE_PARTS}; ${SIZE_HINT}`, at);
  return v;
}

function isConstantValue(v: Value): boolean {
  return v.kind === 'none' || constant(v) !== undefined || ((v.kind === 'list' || v.kind === 'tuple') && v.items.every(isConstantValue));
}

export class Interpreter {
  private depth = 0;
  private calls = 0;
  private readonly builtins = new Scope();

  constructor(
    private readonly ctx: CompileContext,
    private readonly limits: InterpreterLimits,
  ) {
    for (const name of ['str', 'int', 'float', 'bool'] as const) this.builtins.set(name, { kind: 'pytype', name });
  }

  runModule(module: Module): Scope {
    const scope = new Scope(this.builtins);
    this.execBlock(module.body, scope);
    return scope;
  }

  // ---- statements --------------------------------------------------------------------------

  private execBlock(body: readonly Stmt[], scope: Scope): Completion {
    for (const s of body) {
      const c = this.exec(s, scope);
      if (c) return c;
    }
    return undefined;
  }

  private exec(s: Stmt, scope: Scope): Completion {
    switch (s.kind) {
      case 'import':
        scope.set(s.alias, { kind: 'module', path: 'px' });
        return undefined;
      case 'expr':
        this.eval(s.value, scope);
        return undefined;
      case 'assign': {
        const value = this.eval(s.value, scope);
        for (const t of s.targets) this.assign(t, value, scope);
        return undefined;
      }
      case 'augassign': {
        const value = this.binary(s.op, this.eval(s.target, scope), this.eval(s.value, scope), s.opPos);
        this.assign(s.target, value, scope);
        return undefined;
      }
      case 'def':
        scope.set(s.name, { kind: 'function', def: s, closure: scope, defaults: s.params.map((p) => (p.default ? this.eval(p.default, scope) : undefined)) });
        return undefined;
      case 'return':
        return { returned: s.value ? this.eval(s.value, scope) : NONE };
      case 'if':
        return this.execBlock(this.condition(s.test, scope, 'an if condition') ? s.body : s.orelse, scope);
      case 'pass':
        return undefined;
    }
  }

  private condition(test: AstExpr, scope: Scope, what: string): boolean {
    const v = this.eval(test, scope);
    if (v.kind === 'expr' && v.sym.k !== 'lit') {
      fail('type', `${what} must be known at compile time; for a per-row choice use px.select(cond, a, b), or filter with df[cond]`, test.pos);
    }
    return truthValue(v, test.pos);
  }

  private assign(target: AstExpr, value: Value, scope: Scope): void {
    switch (target.kind) {
      case 'name':
        scope.set(target.id, value);
        return;
      case 'attribute':
        this.assignColumn(target.object, target.name, value, target.pos, scope);
        return;
      case 'subscript': {
        const holder = this.eval(target.object, scope);
        if (holder.kind !== 'frame') unsupported(`item assignment to ${describe(holder)}`, target.pos);
        const index = this.eval(target.index, scope);
        const name = constant(index);
        if (!name || typeof name.value !== 'string') fail('type', `a column is assigned with df['name'] = ...; got ${describe(index)} as the name`, target.index.pos);
        this.assignColumn(target.object, name.value, value, target.pos, scope);
        return;
      }
      case 'tuple':
      case 'list': {
        if ((value.kind !== 'tuple' && value.kind !== 'list') || value.items.length !== target.items.length) {
          fail('type', `cannot unpack ${describe(value)} into ${target.items.length} names`, target.pos);
        }
        target.items.forEach((t, i) => this.assign(t, value.items[i] as Value, scope));
        return;
      }
      default:
        unsupported(`assigning to this expression`, target.pos);
    }
  }

  /** `df.x = v` / `df['x'] = v`: a map node; the variable then names the new DataFrame. */
  private assignColumn(object: AstExpr, column: string, value: Value, at: Pos, scope: Scope): void {
    if (object.kind !== 'name') fail('type', 'columns are assigned on a DataFrame variable: df.x = ... or df["x"] = ...', object.pos);
    const holder = this.lookupName(object.id, scope, object.pos);
    if (holder.kind !== 'frame') fail('type', `cannot set '${column}' on ${describe(holder)}; only DataFrame columns can be assigned`, at);
    if (column === 'ctx') fail('value', "'ctx' is not a column; read metadata with df.ctx['pod']", at);
    scope.set(object.id, { kind: 'frame', frame: assignColumn(this.ctx, holder.frame, column, { value, pos: at }, at) });
  }

  // ---- expressions -------------------------------------------------------------------------

  eval(e: AstExpr, scope: Scope): Value {
    switch (e.kind) {
      case 'name':
        return this.lookupName(e.id, scope, e.pos);
      case 'int':
        return exprValue(lit('int64', e.value, e.pos));
      case 'float':
        return exprValue(lit('float64', e.value, e.pos));
      case 'str':
        return exprValue(lit('string', e.value, e.pos));
      case 'bool':
        return exprValue(lit('boolean', e.value, e.pos));
      case 'none':
        return NONE;
      case 'attribute':
        return this.attribute(this.eval(e.object, scope), e.name, e.namePos);
      case 'subscript':
        return this.subscript(this.eval(e.object, scope), { value: this.eval(e.index, scope), pos: e.index.pos }, e.pos);
      case 'call': {
        const callee = this.eval(e.callee, scope);
        const site: CallSite = {
          pos: e.pos,
          args: e.args.map((a) => ({ value: this.eval(a, scope), pos: a.pos })),
          keywords: e.keywords.map((k): KeywordArg => ({ name: k.name, value: this.eval(k.value, scope), pos: k.pos })),
        };
        return this.call(callee, site);
      }
      case 'binary':
        return this.binary(e.op, this.eval(e.left, scope), this.eval(e.right, scope), e.opPos);
      case 'unary':
        return this.unary(e.op, this.eval(e.operand, scope), e.pos);
      case 'boolean':
        return this.boolean(e.op, e.left, e.right, e.opPos, scope);
      case 'compare': {
        let left = this.eval(e.left, scope);
        let result: Value | undefined;
        for (const c of e.comparisons) {
          const right = this.eval(c.right, scope);
          const one = this.compare(c.op, left, right, c.opPos);
          result = result ? this.logical('and', result, one, c.opPos) : one;
          left = right;
        }
        return result ?? NONE;
      }
      case 'list':
        return sized({ kind: 'list', items: e.items.map((i) => this.eval(i, scope)) }, e.pos);
      case 'tuple':
        return sized({ kind: 'tuple', items: e.items.map((i) => this.eval(i, scope)) }, e.pos);
      case 'dict':
        return sized({ kind: 'dict', entries: e.entries.map((en) => ({ key: this.eval(en.key, scope), value: this.eval(en.value, scope), pos: en.key.pos })) }, e.pos);
      case 'conditional':
        return this.eval(this.condition(e.test, scope, 'the condition of an if-expression') ? e.body : e.orelse, scope);
    }
  }

  private lookupName(id: string, scope: Scope, at: Pos): Value {
    const v = scope.lookup(id);
    if (v) return v;
    if (id === 'px') fail('unknown_name', "name 'px' is not defined; start the script with `import px`", at);
    if (PYTHON_BUILTINS.has(id)) unsupported(`the Python builtin '${id}'`, at);
    return fail('unknown_name', `name '${id}' is not defined${didYouMean(id, scope.names())}`, at);
  }

  private attribute(obj: Value, name: string, at: Pos): Value {
    switch (obj.kind) {
      case 'module':
        return pxMember(this.ctx, obj.path, name, at);
      case 'frame':
        return frameAttribute(this.ctx, obj.frame, name, at);
      case 'grouped':
        return groupedAttribute(this.ctx, obj, name, at);
      default:
        if (name.startsWith('__')) unsupported(`the attribute '${name}'`, at);
        return unsupported(`the attribute '.${name}' of ${describe(obj)}`, at, 'only px, DataFrames and their columns have attributes');
    }
  }

  private subscript(obj: Value, index: Arg, at: Pos): Value {
    switch (obj.kind) {
      case 'frame':
        return frameSubscript(this.ctx, obj.frame, index, at);
      case 'ctx':
        return ctxLookup(obj.frame, index, at);
      case 'list':
      case 'tuple': {
        const c = constant(index.value);
        if (!c || typeof c.value !== 'bigint' || c.type !== 'int64') fail('type', `a ${obj.kind} index must be an int, got ${describe(index.value)}`, index.pos);
        const n = BigInt(obj.items.length);
        const i = c.value < 0n ? c.value + n : c.value;
        if (i < 0n || i >= n) fail('value', `index ${c.value} is out of range for a ${obj.kind} of ${obj.items.length}`, index.pos);
        return obj.items[Number(i)] as Value;
      }
      case 'dict': {
        const hit = obj.entries.find((e) => sameConstant(e.key, index.value));
        if (!hit) fail('value', `key ${describe(index.value)} is not in the dict`, index.pos);
        return hit.value;
      }
      default:
        return fail('type', `${describe(obj)} cannot be subscripted`, at);
    }
  }

  private call(callee: Value, site: CallSite): Value {
    switch (callee.kind) {
      case 'builtin':
        return callee.call(site);
      case 'function':
        return this.callFunction(callee, site);
      case 'semantic':
        return applySemantic(callee, site);
      case 'pytype':
        return this.convert(callee.name, site);
      case 'aggregate':
        return fail('type', `px.${callee.name} is an aggregate; use it inside agg(): agg(out=('column', px.${callee.name}))`, site.pos);
      default:
        return fail('type', `${describe(callee)} is not callable`, site.pos);
    }
  }

  /** str(x), int(x), float(x), bool(x) on constants. */
  private convert(to: 'str' | 'int' | 'float' | 'bool', site: CallSite): Value {
    const [arg, extra] = site.args;
    if (!arg || extra || site.keywords.length > 0) fail('argument', `${to}() takes 1 argument`, site.pos);
    const c = constant(arg.value);
    if (!c) fail('type', `${to}() converts constants; got ${describe(arg.value)}${to === 'int' ? ' (for a column use px.atoi)' : ''}`, arg.pos);
    const v = c.value;
    const at = site.pos;
    switch (to) {
      case 'str':
        return exprValue(lit('string', typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'number' && Number.isInteger(v) ? v.toFixed(1) : String(v), at));
      case 'bool':
        return exprValue(lit('boolean', truthy(c), at));
      case 'float': {
        const f = typeof v === 'string' ? Number(v.trim()) : Number(v);
        if (typeof v === 'string' && (v.trim() === '' || Number.isNaN(f)) && !/^\s*[+-]?nan\s*$/i.test(v)) fail('value', `float() cannot convert '${v}'`, arg.pos);
        return exprValue(lit('float64', f, at));
      }
      case 'int': {
        if (typeof v === 'string') {
          if (!/^\s*[+-]?\d+\s*$/.test(v)) fail('value', `int() cannot convert '${v}'`, arg.pos);
          return exprValue(lit('int64', BigInt.asIntN(64, BigInt(v.trim())), at));
        }
        if (typeof v === 'number') {
          if (!Number.isFinite(v)) fail('value', `int() cannot convert ${v}`, arg.pos);
          return exprValue(lit('int64', BigInt(Math.trunc(v)), at));
        }
        return exprValue(lit('int64', typeof v === 'boolean' ? BigInt(v) : v, at));
      }
    }
  }

  callFunction(fn: FunctionValue, site: CallSite): Value {
    const def = fn.def;
    if (this.depth >= this.limits.maxCallDepth) fail('limit', `calls nest deeper than ${this.limits.maxCallDepth} levels (is ${def.name}() recursive without end?)`, site.pos);
    if (++this.calls > this.limits.maxCalls) fail('limit', `the script makes more than ${this.limits.maxCalls} function calls`, site.pos);
    const label = `${def.name}()`;
    const scope = new Scope(fn.closure);
    const given = new Set<string>();
    site.args.forEach((a, i) => {
      const p = def.params[i];
      if (!p) fail('argument', `${label} takes ${def.params.length} positional argument${def.params.length === 1 ? '' : 's'} (${site.args.length} given)`, a.pos);
      scope.set(p.name, a.value);
      given.add(p.name);
    });
    for (const kw of site.keywords) {
      const names = def.params.map((p) => p.name);
      if (!names.includes(kw.name)) fail('argument', `${label} got an unexpected keyword argument '${kw.name}'${didYouMean(kw.name, names)}; it takes ${names.join(', ') || 'no arguments'}`, kw.pos);
      if (given.has(kw.name)) fail('argument', `${label} got multiple values for argument '${kw.name}'`, kw.pos);
      scope.set(kw.name, kw.value);
      given.add(kw.name);
    }
    def.params.forEach((p, i) => {
      if (given.has(p.name)) return;
      const d = fn.defaults[i];
      if (!d) fail('argument', `${label} is missing the required argument '${p.name}'`, site.pos);
      scope.set(p.name, d);
    });
    this.depth++;
    try {
      return this.execBlock(def.body, scope)?.returned ?? NONE;
    } finally {
      this.depth--;
    }
  }

  // ---- operators ---------------------------------------------------------------------------

  private binary(op: string, l: Value, r: Value, at: Pos): Value {
    if (l.kind === 'expr' && r.kind === 'expr') {
      if (op === '//') return exprValue(this.floorDivide(l.sym, r.sym, at));
      const fn = BINARY_FUNCTIONS[op];
      if (!fn) unsupported(`the operator '${op}'`, at);
      return exprValue(makeCall(fn, [l.sym, r.sym], at, `operator '${op}'`));
    }
    if (op === '+' && (l.kind === 'list' || l.kind === 'tuple') && l.kind === r.kind) return sized({ kind: l.kind, items: [...l.items, ...r.items] }, at);
    return fail('type', `operator '${op}' cannot combine ${describe(l)} and ${describe(r)}`, at);
  }

  private floorDivide(a: Sym, b: Sym, at: Pos): Sym {
    if (a.k === 'lit' && b.k === 'lit' && typeof a.value === 'bigint' && typeof b.value === 'bigint') {
      if (b.value === 0n) fail('value', 'integer division by zero', at);
      let q = a.value / b.value;
      if (a.value % b.value !== 0n && a.value < 0n !== b.value < 0n) q -= 1n;
      return lit('int64', q, at);
    }
    const label = "operator '//'";
    return makeCall('floor', [makeCall('divide', [a, b], at, label)], at, label);
  }

  private unary(op: string, v: Value, at: Pos): Value {
    if (op === 'not') {
      if (v.kind === 'expr' && v.sym.k !== 'lit') return exprValue(makeCall('logicalNot', [v.sym], at, "operator 'not'"));
      return exprValue(lit('boolean', !truthValue(v, at), at));
    }
    if (v.kind !== 'expr') fail('type', `unary '${op}' does not apply to ${describe(v)}`, at);
    if (op === '-') return exprValue(makeCall('negate', [v.sym], at, "unary '-'"));
    if (op === '~') return exprValue(makeCall('invert', [v.sym], at, "operator '~'"));
    if (v.sym.type !== 'int64' && v.sym.type !== 'float64') fail('type', `unary '+' needs a number, got ${v.sym.type}`, at);
    return v;
  }

  private boolean(op: 'and' | 'or', leftExpr: AstExpr, rightExpr: AstExpr, at: Pos, scope: Scope): Value {
    const left = this.eval(leftExpr, scope);
    if (left.kind !== 'expr' || left.sym.k === 'lit') {
      // Python semantics on compile-time values: short-circuit, and the result is an operand.
      const t = truthValue(left, leftExpr.pos);
      if (op === 'and') return t ? this.eval(rightExpr, scope) : left;
      return t ? left : this.eval(rightExpr, scope);
    }
    return this.logical(op, left, this.eval(rightExpr, scope), at);
  }

  /** `and` / `or` where at least one side may be a column: boolean columns, constants folded. */
  private logical(op: 'and' | 'or', left: Value, right: Value, at: Pos): Value {
    const fold = (column: Sym, other: Value): Value => {
      if (column.type !== 'boolean') fail('type', `operator '${op}' needs boolean operands, got ${column.type}`, column.pos);
      const t = truthValue(other, at);
      if (op === 'and') return t ? exprValue(column) : exprValue(lit('boolean', false, at));
      return t ? exprValue(lit('boolean', true, at)) : exprValue(column);
    };
    const lcol = left.kind === 'expr' && left.sym.k !== 'lit' ? left.sym : undefined;
    const rcol = right.kind === 'expr' && right.sym.k !== 'lit' ? right.sym : undefined;
    if (lcol && rcol) return exprValue(makeCall(op === 'and' ? 'logicalAnd' : 'logicalOr', [lcol, rcol], at, `operator '${op}'`));
    if (lcol) return fold(lcol, right);
    if (rcol) return fold(rcol, left);
    const t = truthValue(left, at);
    if (op === 'and') return t ? right : left;
    return t ? left : right;
  }

  private compare(op: string, l: Value, r: Value, at: Pos): Value {
    const fn = COMPARE_FUNCTIONS[op];
    if (fn && l.kind === 'expr' && r.kind === 'expr') return exprValue(makeCall(fn, [l.sym, r.sym], at, `operator '${op}'`));
    if (op === '==' || op === '!=' || op === 'is' || op === 'is not') {
      if ((op === 'is' || op === 'is not') && l.kind !== 'none' && r.kind !== 'none') unsupported(`'${op}' between values other than None`, at);
      if (isConstantValue(l) && isConstantValue(r)) {
        const same = sameConstant(l, r);
        return exprValue(lit('boolean', op === '==' || op === 'is' ? same : !same, at));
      }
    }
    if (op === 'in' || op === 'not in') {
      const needle = constant(l);
      let found: boolean | undefined;
      if (needle && (r.kind === 'list' || r.kind === 'tuple')) found = r.items.some((i) => sameConstant(i, l));
      else if (needle && r.kind === 'dict') found = r.entries.some((e) => sameConstant(e.key, l));
      else if (needle && typeof needle.value === 'string') {
        const hay = constant(r);
        if (hay && typeof hay.value === 'string') found = hay.value.includes(needle.value);
      }
      if (found === undefined) unsupported(`'${op}' on ${describe(l)} and ${describe(r)}`, at, 'it works on compile-time values; for columns use == with or, or px.contains');
      return exprValue(lit('boolean', op === 'in' ? found : !found, at));
    }
    return fail('type', `operator '${op}' cannot compare ${describe(l)} and ${describe(r)}`, at);
  }
}

