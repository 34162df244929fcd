// px.otel.*: calls that describe an OpenTelemetry export. They are captured as data (the export
// itself runs elsewhere); column expressions in them become plan expressions over the exported
// DataFrame, so the spec refers to its columns by position.
import type { Expr } from '../plan.js';
import type { CellValue } from '../../table-store/types.js';
import { fail, type Pos } from '../parse/errors.js';
import { bindArgs, type ParamSpec } from './args.js';
import type { Frame } from './frame.js';
import { lower } from './lower.js';
import { isLit, lit } from './sym.js';
import { describe, exprValue, type Arg, type CallSite, type Value } from './values.js';

export type OtelArg =
  | { readonly kind: 'value'; readonly value: CellValue | null }
  | { readonly kind: 'expr'; readonly expr: Expr }
  | { readonly kind: 'list'; readonly items: readonly OtelArg[] }
  | { readonly kind: 'dict'; readonly entries: readonly { readonly key: CellValue; readonly value: OtelArg }[] }
  | { readonly kind: 'call'; readonly fn: string; readonly args: Readonly<Record<string, OtelArg>> };

/** OtelExportNode.spec: the px.otel.Data(...) call. */
export interface OtelExportSpec {
  readonly fn: 'px.otel.Data';
  readonly args: Readonly<Record<string, OtelArg>>;
}

const kw = (name: string, required = false): ParamSpec => ({ name, required, keywordOnly: true });

const FUNCTIONS: Readonly<Record<string, readonly ParamSpec[]>> = {
  'px.otel.Data': [kw('resource', true), kw('data', true), kw('endpoint')],
  'px.otel.Endpoint': [kw('url', true), kw('headers'), kw('insecure'), kw('timeout')],
  'px.otel.metric.Gauge': [kw('name', true), kw('value', true), kw('description'), kw('attributes'), kw('unit')],
  'px.otel.metric.Summary': [kw('name', true), kw('count', true), kw('sum', true), kw('quantile_values', true), kw('description'), kw('attributes'), kw('unit')],
  'px.otel.trace.Span': [
    kw('name', true),
    kw('start_time', true),
    kw('end_time', true),
    kw('trace_id'),
    kw('span_id'),
    kw('parent_span_id'),
    kw('kind'),
    kw('attributes'),
    kw('status'),
  ],
};

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

const MEMBERS: Readonly<Record<string, readonly string[]>> = {
  'px.otel': ['Data', 'Endpoint', 'metric', 'trace'],
  'px.otel.metric': ['Gauge', 'Summary'],
  'px.otel.trace': ['Span', ...SPAN_KINDS.map((k) => `SPAN_KIND_${k}`)],
};

/** px.otel.<name>, px.otel.metric.<name>, px.otel.trace.<name>; undefined when there is none. */
export function otelMember(path: string, name: string, at: Pos): Value | undefined {
  if (!MEMBERS[path]?.includes(name)) return undefined;
  const full = `${path}.${name}`;
  if (MEMBERS[full]) return { kind: 'module', path: full };
  if (name.startsWith('SPAN_KIND_')) return exprValue(lit('int64', BigInt(SPAN_KINDS.indexOf(name.slice('SPAN_KIND_'.length))), at));
  const params = FUNCTIONS[full] ?? [];
  return { kind: 'builtin', name: full, call: (site: CallSite) => ({ kind: 'otel', fn: full, args: bindArgs(`${full}()`, site, params), pos: site.pos }) };
}

export function otelMembers(path: string): readonly string[] {
  return MEMBERS[path] ?? [];
}

function capture(arg: Arg, frame: Frame, what: string): OtelArg {
  const v = arg.value;
  switch (v.kind) {
    case 'expr':
      return isLit(v.sym) ? { kind: 'value', value: v.sym.value } : { kind: 'expr', expr: lower(v.sym, frame) };
    case 'none':
      return { kind: 'value', value: null };
    case 'list':
    case 'tuple':
      return { kind: 'list', items: v.items.map((item, i) => capture({ value: item, pos: arg.pos }, frame, `${what}[${i}]`)) };
    case 'dict':
      return {
        kind: 'dict',
        entries: v.entries.map((e) => {
          if (e.key.kind !== 'expr' || !isLit(e.key.sym)) fail('type', `the keys of ${what} must be constants, got ${describe(e.key)}`, e.pos);
          return { key: e.key.sym.value, value: capture({ value: e.value, pos: e.pos }, frame, `${what}[${String(e.key.sym.value)}]`) };
        }),
      };
    case 'otel': {
      const args: Record<string, OtelArg> = {};
      for (const [name, a] of v.args) args[name] = capture(a, frame, `${v.fn}(${name}=...)`);
      return { kind: 'call', fn: v.fn, args };
    }
    default:
      return fail('type', `${what} cannot be ${describe(v)} in an OpenTelemetry export`, arg.pos);
  }
}

function expectCalls(arg: Arg | undefined, allowed: readonly string[], what: string): void {
  if (!arg) return;
  const items = arg.value.kind === 'list' || arg.value.kind === 'tuple' ? arg.value.items : [arg.value];
  for (const item of items) {
    if (item.kind !== 'otel' || !allowed.includes(item.fn)) fail('type', `${what} must be ${allowed.join(' or ')}, got ${describe(item)}`, arg.pos);
  }
}

/** px.export(df, px.otel.Data(...)) → the spec of the otel_export node. */
export function exportSpec(frame: Frame, data: Arg): OtelExportSpec {
  const v = data.value;
  if (v.kind !== 'otel' || v.fn !== 'px.otel.Data') fail('type', `px.export() takes px.otel.Data(...) as its second argument, got ${describe(v)}`, data.pos);
  const resource = v.args.get('resource');
  if (resource && resource.value.kind !== 'dict') fail('type', `px.otel.Data(resource=...) must be a dict, got ${describe(resource.value)}`, resource.pos);
  const dataArg = v.args.get('data');
  if (dataArg && dataArg.value.kind !== 'list' && dataArg.value.kind !== 'tuple') fail('type', `px.otel.Data(data=...) must be a list, got ${describe(dataArg.value)}`, dataArg.pos);
  expectCalls(dataArg, ['px.otel.metric.Gauge', 'px.otel.metric.Summary', 'px.otel.trace.Span'], 'each entry of px.otel.Data(data=...)');
  expectCalls(v.args.get('endpoint'), ['px.otel.Endpoint'], 'px.otel.Data(endpoint=...)');
  const args: Record<string, OtelArg> = {};
  for (const [name, a] of v.args) args[name] = capture(a, frame, `px.otel.Data(${name}=...)`);
  return { fn: 'px.otel.Data', args };
}
