// The px module: px.DataFrame, px.display, px.export, scalar functions, aggregates, durations,
// semantic types, px.script_reference, px.otel and px.plugin.
import type { DataType, SemanticType } from '../../table-store/types.js';
import { fail, type Pos } from '../parse/errors.js';
import { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS } from '../udf/signatures.js';
import { bindArgs } from './args.js';
import { makeCall } from './calls.js';
import type { CompileContext } from './context.js';
import { newDataFrame } from './dataframe.js';
import { exportSpec, otelMember, otelMembers } from './otel.js';
import { didYouMean } from './suggest.js';
import { lit, tagged, type Sym } from './sym.js';
import { DURATION_UNIT_NS } from '../../../lib/duration.js';
import { NONE, constString, describe, exprValue, symOf, type Arg, type CallSite, type Value } from './values.js';

/** Semantic types: wrappers for values and annotations for function arguments. */
export const SEMANTIC_TYPES: Readonly<Record<string, { readonly semantic: SemanticType; readonly argType: DataType }>> = {
  DurationNanos: { semantic: 'duration_ns', argType: 'int64' },
  Bytes: { semantic: 'bytes', argType: 'int64' },
  Percent: { semantic: 'percent', argType: 'float64' },
  Pod: { semantic: 'pod_name', argType: 'string' },
  Service: { semantic: 'service_name', argType: 'string' },
  Namespace: { semantic: 'namespace_name', argType: 'string' },
  Node: { semantic: 'node_name', argType: 'string' },
  Container: { semantic: 'container_name', argType: 'string' },
};

const DURATIONS: Readonly<Record<string, bigint>> = {
  microseconds: DURATION_UNIT_NS.us,
  milliseconds: DURATION_UNIT_NS.ms,
  seconds: DURATION_UNIT_NS.s,
  minutes: DURATION_UNIT_NS.m,
  hours: DURATION_UNIT_NS.h,
};

const ALIASES: Readonly<Record<string, string>> = { pluck_float: 'pluck_float64', pluck_int: 'pluck_int64' };

const SPECIAL = ['DataFrame', 'display', 'export', 'now', 'script_reference', 'otel', 'plugin'];

const builtin = (name: string, call: (site: CallSite) => Value): Value => ({ kind: 'builtin', name, call });

function noKeywords(label: string, site: CallSite): void {
  const kw = site.keywords[0];
  if (kw) fail('argument', `${label} takes no keyword arguments`, kw.pos);
}

function arityMessage(fn: string, label: string, given: number): string | undefined {
  const sigs = SCALAR_FUNCTIONS[fn] ?? [];
  if (sigs.some((s) => (s.variadic ? given >= s.args.length - 1 : given === s.args.length))) return undefined;
  const counts = [...new Set(sigs.map((s) => (s.variadic ? `${s.args.length - 1} or more` : String(s.args.length))))];
  return `${label} takes ${counts.join(' or ')} argument${counts.length === 1 && counts[0] === '1' ? '' : 's'} (${given} given)`;
}

function scalar(fn: string, label: string): Value {
  return builtin(label, (site) => {
    noKeywords(label, site);
    const arity = arityMessage(fn, label, site.args.length);
    if (arity) fail('argument', arity, site.pos);
    const args = site.args.map((a, i) => symOf(a, `argument ${i + 1} of ${label}`));
    return exprValue(makeCall(fn, args, site.pos, label));
  });
}

function oneArg(label: string, site: CallSite): Arg {
  noKeywords(label, site);
  const [first, second] = site.args;
  if (!first || second) fail('argument', `${label} takes 1 argument (${site.args.length} given)`, second?.pos ?? site.pos);
  return first;
}

function duration(name: string, unit: bigint): Value {
  const label = `px.${name}()`;
  return builtin(label, (site) => {
    const arg = oneArg(label, site);
    const s = symOf(arg, `the argument of ${label}`);
    if (s.k === 'lit' && typeof s.value === 'bigint') return exprValue(lit('int64', BigInt.asIntN(64, s.value * unit), site.pos, 'duration_ns'));
    if (s.k === 'lit' && typeof s.value === 'number' && Number.isFinite(s.value)) return exprValue(lit('int64', BigInt(Math.round(s.value * Number(unit))), site.pos, 'duration_ns'));
    return exprValue(makeCall('multiply', [s, lit('int64', unit, site.pos)], site.pos, label, 'duration_ns'));
  });
}

function semanticWrapper(name: string, semantic: SemanticType, argType: DataType): Value {
  return { kind: 'semantic', name, semantic, argType };
}

/** px.Pod(x), px.DurationNanos(x), ...: the value with its semantic type set. */
export function applySemantic(v: Extract<Value, { kind: 'semantic' }>, site: CallSite): Value {
  const label = `px.${v.name}()`;
  const arg = oneArg(label, site);
  return exprValue(tagged(symOf(arg, `the argument of ${label}`), v.semantic));
}

function asString(s: Sym, at: Pos, what: string): Sym {
  if (s.type === 'string') return s;
  if (s.type === 'int64') return makeCall('int64_to_string', [s], at, what);
  if (s.type === 'float64') return makeCall('float64_to_string', [s], at, what);
  return fail('type', `${what} must be a string or a number, got ${s.type}`, at);
}

function scriptReference(site: CallSite): Value {
  const label = 'px.script_reference()';
  const a = bindArgs(label, site, [{ name: 'label', required: true }, { name: 'script', required: true }, { name: 'args' }]);
  const labelArg = a.get('label') as Arg;
  const scriptArg = a.get('script') as Arg;
  const parts: Sym[] = [asString(symOf(labelArg, 'the label'), labelArg.pos, 'the label'), asString(symOf(scriptArg, 'the script'), scriptArg.pos, 'the script')];
  const argsArg = a.get('args');
  if (argsArg && argsArg.value.kind !== 'none') {
    if (argsArg.value.kind !== 'dict') fail('type', `the script arguments must be a dict such as {'pod': df.pod}, got ${describe(argsArg.value)}`, argsArg.pos);
    for (const e of argsArg.value.entries) {
      const key = constString({ value: e.key, pos: e.pos }, 'a script argument name');
      parts.push(lit('string', key, e.pos), asString(symOf({ value: e.value, pos: e.pos }, `script argument '${key}'`), e.pos, `script argument '${key}'`));
    }
  }
  return exprValue(makeCall('script_reference', parts, site.pos, label));
}

function display(ctx: CompileContext, site: CallSite): Value {
  const a = bindArgs('px.display()', site, [{ name: 'df', required: true }, { name: 'name' }]);
  const dfArg = a.get('df') as Arg;
  if (dfArg.value.kind !== 'frame') fail('type', `px.display() shows a DataFrame, got ${describe(dfArg.value)}`, dfArg.pos);
  const nameArg = a.get('name');
  const name = nameArg ? constString(nameArg, 'the display name') : 'output';
  if (ctx.displays.includes(name)) fail('value', `a table named '${name}' is already displayed; give each px.display() its own name`, nameArg?.pos ?? site.pos);
  ctx.builder.sink(dfArg.value.frame, name, site.pos);
  ctx.displays.push(name);
  return NONE;
}

function exportCall(ctx: CompileContext, site: CallSite): Value {
  const a = bindArgs('px.export()', site, [{ name: 'df', required: true }, { name: 'data', required: true }]);
  const dfArg = a.get('df') as Arg;
  if (dfArg.value.kind !== 'frame') fail('type', `px.export() exports a DataFrame, got ${describe(dfArg.value)}`, dfArg.pos);
  ctx.builder.otelExport(dfArg.value.frame, exportSpec(dfArg.value.frame, a.get('data') as Arg), site.pos);
  ctx.exports++;
  return NONE;
}

function pluginMember(ctx: CompileContext, name: string, at: Pos): Value {
  if (name !== 'start_time' && name !== 'end_time') fail('unknown_function', `px.plugin has no attribute '${name}'; it has start_time and end_time`, at);
  if (!ctx.plugin) fail('value', `px.plugin.${name} is only set when a Plugin runs the script; give the time yourself, e.g. '-5m'`, at);
  return exprValue(lit('time64ns', name === 'start_time' ? ctx.plugin.startTime : ctx.plugin.endTime, at));
}

function allPxNames(): string[] {
  return [...SPECIAL, ...Object.keys(SEMANTIC_TYPES), ...Object.keys(DURATIONS), ...Object.keys(ALIASES), ...Object.keys(AGGREGATE_FUNCTIONS), ...Object.keys(SCALAR_FUNCTIONS)];
}

/** `<path>.<name>` where path is px or one of its sub-modules. */
export function pxMember(ctx: CompileContext, path: string, name: string, at: Pos): Value {
  if (path === 'px.plugin') return pluginMember(ctx, name, at);
  if (path !== 'px') {
    const v = otelMember(path, name, at);
    if (!v) fail('unknown_function', `${path} has no attribute '${name}'${didYouMean(name, otelMembers(path))}; it has ${otelMembers(path).join(', ')}`, at);
    return v;
  }
  switch (name) {
    case 'DataFrame':
      return builtin('px.DataFrame', (site) => newDataFrame(ctx, site));
    case 'display':
      return builtin('px.display', (site) => display(ctx, site));
    case 'export':
      return builtin('px.export', (site) => exportCall(ctx, site));
    case 'now':
      return builtin('px.now', (site) => {
        noKeywords('px.now()', site);
        if (site.args[0]) fail('argument', `px.now() takes no arguments (${site.args.length} given)`, site.args[0].pos);
        return exprValue(lit('time64ns', ctx.now, site.pos));
      });
    case 'script_reference':
      return builtin('px.script_reference', scriptReference);
    case 'otel':
    case 'plugin':
      return { kind: 'module', path: `px.${name}` };
  }
  const sem = SEMANTIC_TYPES[name];
  if (sem) return semanticWrapper(name, sem.semantic, sem.argType);
  const unit = DURATIONS[name];
  if (unit !== undefined) return duration(name, unit);
  if (AGGREGATE_FUNCTIONS[name]) return { kind: 'aggregate', name };
  const fn = ALIASES[name] ?? name;
  if (SCALAR_FUNCTIONS[fn]) return scalar(fn, `px.${name}()`);
  if (name.startsWith('__')) fail('unsupported', `the attribute '${name}' is not supported in PxL`, at);
  return fail('unknown_function', `px has no function '${name}'${didYouMean(name, allPxNames())}`, at);
}
