// A plan as readable text: one operator per line with its inputs and arguments, then the
// relation it outputs. For `loupe run --explain` and test failure messages.
import type { Expr, Plan, PlanNode, Relation } from '../plan.js';
import type { ColumnSchema } from '../../table-store/types.js';
import { showValue } from './sym.js';

const INFIX: Readonly<Record<string, string>> = {
  add: '+',
  subtract: '-',
  multiply: '*',
  divide: '/',
  modulo: '%',
  equal: '==',
  notEqual: '!=',
  lessThan: '<',
  lessThanEqual: '<=',
  greaterThan: '>',
  greaterThanEqual: '>=',
  logicalAnd: 'and',
  logicalOr: 'or',
};

export function showExpr(e: Expr): string {
  switch (e.kind) {
    case 'column':
      return e.name;
    case 'literal':
      return showValue(e.type, e.value);
    case 'call': {
      const op = INFIX[e.fn];
      const [a, b] = e.args;
      if (op && a && b && e.args.length === 2) return `(${showExpr(a)} ${op} ${showExpr(b)})`;
      if (e.fn === 'logicalNot' && a) return `not ${showExpr(a)}`;
      if (e.fn === 'negate' && a) return `-${showExpr(a)}`;
      return `${e.fn}(${e.args.map(showExpr).join(', ')})`;
    }
  }
}

function showDuration(ns: bigint): string {
  const units: [bigint, string][] = [
    [3_600_000_000_000n, 'h'],
    [60_000_000_000n, 'm'],
    [1_000_000_000n, 's'],
    [1_000_000n, 'ms'],
    [1_000n, 'us'],
    [1n, 'ns'],
  ];
  let rest = ns;
  let out = '';
  for (const [size, unit] of units) {
    if (rest >= size) {
      out += `${rest / size}${unit}`;
      rest %= size;
    }
  }
  return out || '0s';
}

function showTime(t: bigint, now: bigint): string {
  if (t === now) return 'now';
  if (t < now && now - t <= 366n * 86_400_000_000_000n) return `now-${showDuration(now - t)}`;
  const ms = Number(t / 1_000_000n);
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : `${t}ns`;
}

export function showRelation(r: Relation): string {
  return r.map((c) => `${c.name}:${c.type}${c.semantic && c.semantic !== 'none' ? `[${c.semantic}]` : ''}`).join(', ');
}

type InputColumn = (node: number, index: number) => ColumnSchema | undefined;

function describeNode(n: PlanNode, now: bigint, input: InputColumn): string {
  const col = (node: number, index: number): string => input(node, index)?.name ?? `#${index}`;
  switch (n.op) {
    case 'source': {
      const range = [n.startTime !== undefined ? `start=${showTime(n.startTime, now)}` : '', n.endTime !== undefined ? `end=${showTime(n.endTime, now)}` : ''].filter(Boolean).join(' ');
      return `source ${n.table} columns=[${n.columns.join(',')}]${range ? ` ${range}` : ''}`;
    }
    case 'map': {
      const passes = (e: { name: string; expr: Expr }): boolean => e.expr.kind === 'column' && e.expr.name === e.name && e.expr.semantic === input(n.input, e.expr.index)?.semantic;
      const computed = n.exprs.filter((e) => !passes(e));
      const passed = n.exprs.filter(passes).map((e) => e.name);
      const parts = computed.map((e) => `${e.name} = ${showExpr(e.expr)}`);
      if (passed.length) parts.push(`pass ${passed.join(', ')}`);
      return `map(#${n.input}) ${parts.join('; ')}`;
    }
    case 'filter':
      return `filter(#${n.input}) ${showExpr(n.predicate)}`;
    case 'limit':
      return `limit(#${n.input}) ${n.n}`;
    case 'agg': {
      const aggs = n.aggs.map((a) => `${a.name} = ${a.fn}(${col(n.input, a.arg)})`).join(', ');
      return `agg(#${n.input}) ${n.mode} by [${n.groups.map((g) => col(n.input, g)).join(', ')}]${aggs ? ` ${aggs}` : ''}`;
    }
    case 'join':
      return `join(#${n.left}, #${n.right}) ${n.how} on [${n.leftOn.map((i) => col(n.left, i)).join(', ')}] = [${n.rightOn.map((i) => col(n.right, i)).join(', ')}]`;
    case 'union':
      return `union(${n.inputs.map((i) => `#${i}`).join(', ')})`;
    case 'sink':
      return `sink(#${n.input}) '${n.name}'`;
    case 'otel_export':
      return `otel_export(#${n.input}) ${JSON.stringify(n.spec, (_, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))}`;
    case 'bridge_sink':
      return `bridge_sink(#${n.input}) bridge=${n.bridge}`;
    case 'bridge_source':
      return `bridge_source bridge=${n.bridge}`;
  }
}

/** Multi-line text of a plan: `#id operator ...` then `    -> relation` for every node. */
export function explain(plan: Plan): string {
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const input: InputColumn = (node, index) => byId.get(node)?.relation[index];
  const lines: string[] = [];
  for (const n of plan.nodes) {
    lines.push(`#${n.id} ${describeNode(n, plan.now, input)}`);
    lines.push(`    -> ${showRelation(n.relation)}`);
  }
  return lines.join('\n');
}
