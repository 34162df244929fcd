// DataFrame operations: px.DataFrame, column reads and assignment, filters, projections, drop,
// head, groupby/agg, merge, append and df.ctx. Each one adds a plan node with its relation.
import type { AggregateSpec, Expr, JoinType, Relation } from '../plan.js';
import type { ColumnSchema, SemanticType } from '../../table-store/types.js';
import { fail, unsupported, type Pos } from '../parse/errors.js';
import { resolveAggregate } from '../udf/signatures.js';
import { bindArgs } from './args.js';
import { makeCall } from './calls.js';
import type { CompileContext } from './context.js';
import { showRelation } from './explain.js';
import { column, columnIndex, columnOf, type Frame } from './frame.js';
import { lower } from './lower.js';
import { didYouMean, quoteList } from './suggest.js';
import type { Sym } from './sym.js';
import { timeBound } from './time.js';
import { constInt, constString, constant, describe, exprValue, stringList, symOf, type Arg, type CallSite, type Value } from './values.js';

const frameValue = (frame: Frame): Value => ({ kind: 'frame', frame });

function columnExpr(c: ColumnSchema, index: number): Expr {
  return c.semantic && c.semantic !== 'none' ? { kind: 'column', index, name: c.name, type: c.type, semantic: c.semantic } : { kind: 'column', index, name: c.name, type: c.type };
}

const relationOf = (exprs: readonly { name: string; expr: Expr }[]): Relation => exprs.map((e) => column(e.name, e.expr.type, e.expr.semantic));

function formatTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : `${ns} ns`;
}

// ---- px.DataFrame -------------------------------------------------------------------------

function bound(ctx: CompileContext, arg: Arg | undefined, what: string): bigint | undefined {
  if (!arg || arg.value.kind === 'none') return undefined;
  const c = constant(arg.value);
  if (!c) fail('type', `${what} must be known at compile time (a duration such as '-5m', a time, or nanoseconds); got ${describe(arg.value)}`, arg.pos);
  const b = timeBound(c.type, c.value, ctx.now);
  if ('error' in b) fail('value', `${what}: ${b.error}`, arg.pos);
  return b.ns;
}

export function newDataFrame(ctx: CompileContext, site: CallSite): Value {
  const fn = 'px.DataFrame()';
  const a = bindArgs(fn, site, [{ name: 'table', required: true }, { name: 'select' }, { name: 'start_time' }, { name: 'end_time' }]);
  const tableArg = a.get('table') as Arg;
  const table = constString(tableArg, 'the table name');
  const schema = ctx.schema(table);
  if (!schema) {
    const known = [...ctx.tableNames].sort();
    fail('unknown_table', `unknown table '${table}'${didYouMean(table, known)}; known tables: ${known.length ? known.join(', ') : '(none)'}`, tableArg.pos);
  }
  let positions = schema.columns.map((_, i) => i);
  const selectArg = a.get('select');
  if (selectArg && selectArg.value.kind !== 'none') {
    const names = stringList(selectArg, 'select');
    const available = schema.columns.map((c) => c.name);
    positions = names.map((name) => {
      const i = available.indexOf(name);
      if (i < 0) fail('unknown_column', `table '${table}' has no column '${name}'${didYouMean(name, available)}; it has: ${available.join(', ')}`, selectArg.pos);
      return i;
    });
    if (new Set(positions).size !== positions.length) fail('value', 'select names a column twice', selectArg.pos);
  }
  const startTime = bound(ctx, a.get('start_time'), 'start_time');
  const endTime = bound(ctx, a.get('end_time'), 'end_time');
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    fail('value', `start_time (${formatTime(startTime)}) is after end_time (${formatTime(endTime)})`, (a.get('start_time') as Arg).pos);
  }
  const relation = positions.map((i) => {
    const c = schema.columns[i] as ColumnSchema;
    return column(c.name, c.type, c.semantic);
  });
  return frameValue(ctx.builder.source(table, positions, relation, { startTime, endTime }, site.pos));
}

// ---- reading columns ----------------------------------------------------------------------

export function columnSym(frame: Frame, name: string, at: Pos): Sym {
  const c = columnOf(frame, name, at);
  return c.semantic ? { k: 'col', name, type: c.type, semantic: c.semantic, pos: at } : { k: 'col', name, type: c.type, pos: at };
}

const CTX_KEYS: Readonly<Record<string, { fn: string; semantic?: SemanticType }>> = {
  pod: { fn: 'upid_to_pod_name', semantic: 'pod_name' },
  pod_name: { fn: 'upid_to_pod_name', semantic: 'pod_name' },
  pod_id: { fn: 'upid_to_pod_id' },
  service: { fn: 'upid_to_service_name', semantic: 'service_name' },
  service_name: { fn: 'upid_to_service_name', semantic: 'service_name' },
  service_id: { fn: 'upid_to_service_id' },
  namespace: { fn: 'upid_to_namespace', semantic: 'namespace_name' },
  node: { fn: 'upid_to_node_name', semantic: 'node_name' },
  node_name: { fn: 'upid_to_node_name', semantic: 'node_name' },
  hostname: { fn: 'upid_to_hostname' },
  container: { fn: 'upid_to_container_name', semantic: 'container_name' },
  container_name: { fn: 'upid_to_container_name', semantic: 'container_name' },
  container_id: { fn: 'upid_to_container_id' },
  pid: { fn: 'upid_to_pid' },
  cmdline: { fn: 'upid_to_cmdline' },
};

/** df.ctx['pod'] → upid_to_pod_name(df.upid). */
export function ctxLookup(frame: Frame, key: Arg, at: Pos): Value {
  const name = constString(key, "a df.ctx key");
  const entry = CTX_KEYS[name];
  if (!entry) {
    const keys = Object.keys(CTX_KEYS);
    fail('argument', `unknown df.ctx key '${name}'${didYouMean(name, keys)}; known keys: ${keys.join(', ')}`, key.pos);
  }
  if (!frame.index.has('upid')) {
    fail('unknown_column', `df.ctx['${name}'] reads the metadata of the row's process through its upid column, and this DataFrame has no upid column; it has: ${frame.relation.map((c) => c.name).join(', ')}`, at);
  }
  return exprValue(makeCall(entry.fn, [columnSym(frame, 'upid', at)], at, `df.ctx['${name}']`, entry.semantic));
}

// ---- map, filter, projection --------------------------------------------------------------

export function assignColumn(ctx: CompileContext, frame: Frame, name: string, value: Arg, at: Pos): Frame {
  const expr = lower(symOf(value, `the value assigned to column '${name}'`), frame);
  const exprs = frame.relation.map((c, i) => ({ name: c.name, expr: columnExpr(c, i) }));
  const existing = frame.index.get(name);
  if (existing === undefined) exprs.push({ name, expr });
  else exprs[existing] = { name, expr };
  return ctx.builder.map(frame, exprs, relationOf(exprs), at);
}

function project(ctx: CompileContext, frame: Frame, names: readonly string[], at: Pos): Frame {
  const seen = new Set<string>();
  const exprs = names.map((name) => {
    if (seen.has(name)) fail('value', `column '${name}' is listed twice`, at);
    seen.add(name);
    const i = columnIndex(frame, name, at);
    return { name, expr: columnExpr(frame.relation[i] as ColumnSchema, i) };
  });
  if (exprs.length === 0) fail('value', 'a projection needs at least one column', at);
  return ctx.builder.map(frame, exprs, relationOf(exprs), at);
}

function filter(ctx: CompileContext, frame: Frame, cond: Sym, at: Pos): Frame {
  const predicate = lower(cond, frame);
  if (predicate.type !== 'boolean') fail('type', `a filter needs a boolean expression; this one is ${predicate.type}`, cond.pos);
  if (predicate.kind === 'literal' && predicate.value === true) return frame;
  return ctx.builder.filter(frame, predicate, at);
}

/** df['col'], df[['a', 'b']], df[condition]. */
export function frameSubscript(ctx: CompileContext, frame: Frame, index: Arg, at: Pos): Value {
  const v = index.value;
  if (v.kind === 'list' || v.kind === 'tuple') return frameValue(project(ctx, frame, stringList(index, 'the projection'), index.pos));
  const c = constant(v);
  if (c && typeof c.value === 'string') return exprValue(columnSym(frame, c.value, index.pos));
  if (v.kind === 'expr' && !c) return frameValue(filter(ctx, frame, v.sym, at));
  if (c && c.type === 'boolean') return frameValue(filter(ctx, frame, c, at));
  fail('type', `a DataFrame subscript takes a column name, a list of column names or a boolean expression; got ${describe(v)}`, index.pos);
}

// ---- methods ------------------------------------------------------------------------------

function drop(ctx: CompileContext, frame: Frame, site: CallSite): Value {
  const a = bindArgs('drop()', site, [{ name: 'columns', required: true }]);
  const arg = a.get('columns') as Arg;
  const names = new Set(stringList(arg, 'the columns to drop'));
  for (const n of names) columnIndex(frame, n, arg.pos);
  const keep = frame.relation.filter((c) => !names.has(c.name)).map((c) => c.name);
  if (keep.length === 0) fail('value', 'drop() would leave the DataFrame without columns', arg.pos);
  return frameValue(project(ctx, frame, keep, site.pos));
}

function head(ctx: CompileContext, frame: Frame, site: CallSite): Value {
  const a = bindArgs('head()', site, [{ name: 'n' }]);
  const arg = a.get('n');
  const n = arg ? constInt(arg, 'head(n)') : 5n;
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) fail('value', `head(n) needs 0 <= n <= ${Number.MAX_SAFE_INTEGER}, got ${n}`, arg?.pos ?? site.pos);
  return frameValue(ctx.builder.limit(frame, Number(n), site.pos));
}

function groupby(frame: Frame, site: CallSite): Value {
  const a = bindArgs('groupby()', site, [{ name: 'by', required: true }]);
  const arg = a.get('by') as Arg;
  const groups = stringList(arg, 'groupby()');
  if (groups.length === 0) fail('value', 'groupby() needs at least one column', arg.pos);
  if (new Set(groups).size !== groups.length) fail('value', 'groupby() names a column twice', arg.pos);
  for (const g of groups) columnIndex(frame, g, arg.pos);
  return { kind: 'grouped', frame, groups };
}

/** Aggregates whose result means the same as their input (a max latency is a latency). */
const KEEPS_SEMANTIC = new Set(['min', 'max', 'any', 'sum', 'mean']);

export function aggregate(ctx: CompileContext, frame: Frame, groups: readonly string[], site: CallSite): Value {
  const first = site.args[0];
  if (first) fail('argument', "agg() takes keyword arguments only: agg(name=('column', px.count), ...)", first.pos);
  const groupIdx = groups.map((g) => columnIndex(frame, g, site.pos));
  const aggs: AggregateSpec[] = [];
  for (const kw of site.keywords) {
    const v = kw.value;
    const pair = (v.kind === 'tuple' || v.kind === 'list') && v.items.length === 2 ? v.items : undefined;
    if (!pair) fail('type', `agg argument '${kw.name}' must be a pair ('column', px.<aggregate>), got ${describe(v)}`, kw.pos);
    const [item0, item1] = pair as [Value, Value];
    const colName = constString({ value: item0, pos: kw.pos }, `the column of aggregate '${kw.name}'`);
    if (item1.kind !== 'aggregate') fail('type', `the second element of agg argument '${kw.name}' must be an aggregate such as px.count or px.mean, got ${describe(item1)}`, kw.pos);
    if (groups.includes(kw.name)) fail('value', `aggregate '${kw.name}' has the same name as a group column`, kw.pos);
    const index = columnIndex(frame, colName, kw.pos);
    const col = frame.relation[index] as ColumnSchema;
    const r = resolveAggregate(item1.name, col.type);
    if (!r.ok) fail('type', `aggregate '${kw.name}' over column '${colName}': ${r.message}`, kw.pos);
    const semantic = r.signature.semantic ?? (KEEPS_SEMANTIC.has(item1.name) ? col.semantic : undefined);
    const spec: AggregateSpec = { name: kw.name, fn: item1.name, arg: index, argType: col.type, type: r.signature.returns };
    aggs.push(semantic && semantic !== 'none' ? { ...spec, semantic } : spec);
  }
  if (aggs.length === 0 && groups.length === 0) fail('argument', "agg() without groupby needs at least one aggregate: agg(name=('column', px.count))", site.pos);
  const relation: Relation = [...groupIdx.map((i) => frame.relation[i] as ColumnSchema), ...aggs.map((s) => column(s.name, s.type, s.semantic))];
  return frameValue(ctx.builder.agg(frame, groupIdx, aggs, relation, site.pos));
}

const JOIN_TYPES: readonly JoinType[] = ['inner', 'left', 'right', 'outer'];

function frameArg(arg: Arg, what: string): Frame {
  if (arg.value.kind !== 'frame') fail('type', `${what} must be a DataFrame, got ${describe(arg.value)}`, arg.pos);
  return arg.value.frame;
}

function merge(ctx: CompileContext, left: Frame, site: CallSite): Value {
  const a = bindArgs('merge()', site, [{ name: 'right', required: true }, { name: 'how' }, { name: 'left_on' }, { name: 'right_on' }, { name: 'on' }, { name: 'suffixes' }]);
  const right = frameArg(a.get('right') as Arg, 'the right side of merge()');
  const howArg = a.get('how');
  const how = (howArg ? constString(howArg, 'how') : 'inner') as JoinType;
  if (!JOIN_TYPES.includes(how)) fail('value', `merge(how='${how}') is not a join type; use one of ${quoteList(JOIN_TYPES)}`, (howArg as Arg).pos);
  const on = a.get('on');
  const leftOnArg = a.get('left_on') ?? on;
  const rightOnArg = a.get('right_on') ?? on;
  if (on && (a.has('left_on') || a.has('right_on'))) fail('argument', 'merge() takes either on= or left_on= and right_on=, not both', on.pos);
  if (!leftOnArg || !rightOnArg) fail('argument', 'merge() needs the key columns: left_on= and right_on= (or on=)', site.pos);
  const leftOn = stringList(leftOnArg, 'left_on');
  const rightOn = stringList(rightOnArg, 'right_on');
  if (leftOn.length === 0 || leftOn.length !== rightOn.length) {
    fail('value', `merge() needs as many left_on as right_on columns, at least one (got ${leftOn.length} and ${rightOn.length})`, rightOnArg.pos);
  }
  const leftIdx = leftOn.map((n) => columnIndex(left, n, leftOnArg.pos));
  const rightIdx = rightOn.map((n) => columnIndex(right, n, rightOnArg.pos));
  leftIdx.forEach((li, k) => {
    const l = left.relation[li] as ColumnSchema;
    const r = right.relation[rightIdx[k] as number] as ColumnSchema;
    if (l.type !== r.type) fail('type', `merge() key '${l.name}' is ${l.type} on the left but '${r.name}' is ${r.type} on the right`, rightOnArg.pos);
  });
  let suffixes: readonly [string, string] = ['_x', '_y'];
  const sArg = a.get('suffixes');
  if (sArg) {
    const list = sArg.value.kind === 'list' || sArg.value.kind === 'tuple' ? sArg.value.items : [];
    if (list.length !== 2) fail('type', `suffixes must be a pair of strings such as ['_x', '_y'], got ${describe(sArg.value)}`, sArg.pos);
    suffixes = [constString({ value: list[0] as Value, pos: sArg.pos }, 'a suffix'), constString({ value: list[1] as Value, pos: sArg.pos }, 'a suffix')];
  }
  const output: { side: 'left' | 'right'; index: number }[] = [];
  const relation: ColumnSchema[] = [];
  const seen = new Set<string>();
  const addSide = (side: 'left' | 'right', frame: Frame, other: Frame, suffix: string): void => {
    frame.relation.forEach((c, index) => {
      const name = other.index.has(c.name) ? c.name + suffix : c.name;
      if (seen.has(name)) fail('value', `merge() would produce two columns named '${name}'; pass suffixes= that tell them apart`, sArg?.pos ?? site.pos);
      seen.add(name);
      output.push({ side, index });
      relation.push(column(name, c.type, c.semantic));
    });
  };
  addSide('left', left, right, suffixes[0]);
  addSide('right', right, left, suffixes[1]);
  return frameValue(ctx.builder.join(left, right, how, leftIdx, rightIdx, output, relation, site.pos));
}

function append(ctx: CompileContext, frame: Frame, site: CallSite): Value {
  const a = bindArgs('append()', site, [{ name: 'objs', required: true }]);
  const arg = a.get('objs') as Arg;
  const v = arg.value;
  const others = (v.kind === 'list' || v.kind === 'tuple' ? v.items : [v]).map((item) => frameArg({ value: item, pos: arg.pos }, 'append()'));
  const inputs = [frame];
  for (const other of others) {
    const same = other.relation.length === frame.relation.length && other.relation.every((c, i) => c.name === frame.relation[i]?.name && c.type === frame.relation[i]?.type);
    if (same) {
      inputs.push(other);
      continue;
    }
    const mismatch = frame.relation.length !== other.relation.length || frame.relation.some((c) => other.index.get(c.name) === undefined || other.relation[other.index.get(c.name) as number]?.type !== c.type);
    if (mismatch) fail('type', `append() needs DataFrames with the same columns and types; this one has (${showRelation(frame.relation)}) and the appended one has (${showRelation(other.relation)})`, arg.pos);
    // Same columns in another order: reorder the appended side.
    inputs.push(project(ctx, other, frame.relation.map((c) => c.name), arg.pos));
  }
  return frameValue(ctx.builder.union(inputs, site.pos));
}

const PANDAS_ONLY = new Set([
  'apply', 'assign', 'at', 'copy', 'count', 'describe', 'distinct', 'dropna', 'fillna', 'filter', 'iat', 'iloc', 'iterrows', 'join', 'loc', 'max', 'mean', 'min', 'pivot', 'query',
  'rename', 'reset_index', 'sort', 'sort_values', 'sum', 'tail', 'to_csv', 'unique', 'value_counts', 'where',
]);

const METHODS = ['agg', 'append', 'ctx', 'drop', 'groupby', 'head', 'merge'];

function method(name: string, call: (site: CallSite) => Value): Value {
  return { kind: 'builtin', name, call };
}

/** df.<name>: a method, df.ctx, or a column. */
export function frameAttribute(ctx: CompileContext, frame: Frame, name: string, at: Pos): Value {
  switch (name) {
    case 'ctx':
      return { kind: 'ctx', frame };
    case 'agg':
      return method('agg', (site) => aggregate(ctx, frame, [], site));
    case 'groupby':
      return method('groupby', (site) => groupby(frame, site));
    case 'drop':
      return method('drop', (site) => drop(ctx, frame, site));
    case 'head':
      return method('head', (site) => head(ctx, frame, site));
    case 'merge':
      return method('merge', (site) => merge(ctx, frame, site));
    case 'append':
      return method('append', (site) => append(ctx, frame, site));
  }
  if (frame.index.has(name)) return exprValue(columnSym(frame, name, at));
  if (name.startsWith('__')) unsupported(`the attribute '${name}'`, at);
  if (PANDAS_ONLY.has(name)) unsupported(`the DataFrame method '${name}'`, at, `DataFrames have ${METHODS.join(', ')}, and columns`);
  return exprValue(columnSym(frame, name, at));
}

export function groupedAttribute(ctx: CompileContext, grouped: { frame: Frame; groups: readonly string[] }, name: string, at: Pos): Value {
  if (name === 'agg') return method('agg', (site) => aggregate(ctx, grouped.frame, grouped.groups, site));
  return unsupported(`'${name}' on a grouped DataFrame`, at, "follow groupby(...) with .agg(name=('column', px.fn), ...)");
}
