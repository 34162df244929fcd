// Plan clean-up after compiling: drop operators no sink reads, drop columns no sink needs (so
// sources scan and PEMs ship only what is used), and drop maps that pass every column through.
// The relations of sinks and exports never change.
import { inputsOf, type AggregateSpec, type Expr, type NodeId, type Plan, type PlanNode } from '../plan.js';

function readColumns(e: Expr, out: Set<number>): void {
  if (e.kind === 'column') out.add(e.index);
  else if (e.kind === 'call') for (const a of e.args) readColumns(a, out);
}

function remapExpr(e: Expr, remap: readonly number[]): Expr {
  if (e.kind === 'column') {
    const index = remap[e.index];
    if (index === undefined || index < 0) throw new Error(`optimizer lost column ${e.name}`);
    return { ...e, index };
  }
  if (e.kind === 'call') return { ...e, args: e.args.map((a) => remapExpr(a, remap)) };
  return e;
}

const all = (n: PlanNode): number[] => n.relation.map((_, i) => i);

/** Aggregates of `n` that survive, by position in n.aggs. */
function keptAggs(n: Extract<PlanNode, { op: 'agg' }>, need: ReadonlySet<number>): number[] {
  const kept = n.aggs.map((_, j) => j).filter((j) => need.has(n.groups.length + j));
  // With no groups the row count comes from the aggregate itself: keep one.
  return kept.length === 0 && n.groups.length === 0 && n.aggs.length > 0 ? [0] : kept;
}

/** Which output columns of every node its readers need (phase 1, readers before inputs). */
function neededColumns(nodes: readonly PlanNode[]): Map<NodeId, Set<number>> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const need = new Map<NodeId, Set<number>>(nodes.map((n) => [n.id, new Set<number>()]));
  const add = (id: NodeId, cols: Iterable<number>): void => {
    const s = need.get(id);
    if (s) for (const c of cols) s.add(c);
  };
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k] as PlanNode;
    const mine = need.get(n.id) as Set<number>;
    switch (n.op) {
      case 'map': {
        if (mine.size === 0) mine.add(0);
        const read = new Set<number>();
        for (const i of mine) readColumns((n.exprs[i] as { expr: Expr }).expr, read);
        if (read.size === 0) read.add(0);
        add(n.input, read);
        break;
      }
      case 'filter': {
        const read = new Set(mine);
        readColumns(n.predicate, read);
        add(n.input, read);
        break;
      }
      case 'limit':
        add(n.input, mine);
        break;
      case 'agg': {
        const aggs = keptAggs(n, mine);
        add(n.input, [...n.groups, ...aggs.map((j) => (n.aggs[j] as AggregateSpec).arg)]);
        break;
      }
      case 'join':
        add(n.left, n.leftOn);
        add(n.right, n.rightOn);
        for (const i of mine) {
          const o = n.output[i];
          if (o) add(o.side === 'left' ? n.left : n.right, [o.index]);
        }
        break;
      default:
        // Sinks, exports, unions and bridges keep every column of what they read.
        for (const input of inputsOf(n)) add(input, all(byId.get(input) as PlanNode));
    }
  }
  return need;
}

/** Phase 2: rewrite every node to its needed columns, inputs first. */
function prune(nodes: readonly PlanNode[]): PlanNode[] {
  const need = neededColumns(nodes);
  const remaps = new Map<NodeId, number[]>();
  const out: PlanNode[] = [];
  const remapOf = (id: NodeId): number[] => remaps.get(id) as number[];
  const keepFrom = (n: PlanNode, keep: readonly number[]): number[] => {
    const remap = n.relation.map(() => -1);
    keep.forEach((old, i) => (remap[old] = i));
    remaps.set(n.id, remap);
    return remap;
  };
  const sorted = (s: ReadonlySet<number>): number[] => [...s].sort((a, b) => a - b);
  for (const n of nodes) {
    const mine = need.get(n.id) as Set<number>;
    switch (n.op) {
      case 'source': {
        const keep = mine.size === 0 ? [0] : sorted(mine);
        keepFrom(n, keep);
        out.push({ ...n, columns: keep.map((i) => n.columns[i] as number), relation: keep.map((i) => n.relation[i]!) });
        break;
      }
      case 'map': {
        const keep = sorted(mine);
        keepFrom(n, keep);
        const inRemap = remapOf(n.input);
        const exprs = keep.map((i) => {
          const e = n.exprs[i]!;
          return { name: e.name, expr: remapExpr(e.expr, inRemap) };
        });
        out.push({ ...n, exprs, relation: keep.map((i) => n.relation[i]!) });
        break;
      }
      case 'filter':
      case 'limit': {
        const inRemap = remapOf(n.input);
        remaps.set(n.id, inRemap);
        const relation = n.relation.filter((_, i) => (inRemap[i] as number) >= 0);
        out.push(n.op === 'filter' ? { ...n, predicate: remapExpr(n.predicate, inRemap), relation } : { ...n, relation });
        break;
      }
      case 'agg': {
        const inRemap = remapOf(n.input);
        const aggs = keptAggs(n, mine);
        const g = n.groups.length;
        keepFrom(n, [...n.groups.map((_, i) => i), ...aggs.map((j) => g + j)]);
        out.push({
          ...n,
          groups: n.groups.map((i) => inRemap[i] as number),
          aggs: aggs.map((j) => {
            const a = n.aggs[j]!;
            return { ...a, arg: inRemap[a.arg] as number };
          }),
          relation: [...n.relation.slice(0, g), ...aggs.map((j) => n.relation[g + j]!)],
        });
        break;
      }
      case 'join': {
        const keep = sorted(mine);
        keepFrom(n, keep);
        const l = remapOf(n.left);
        const r = remapOf(n.right);
        out.push({
          ...n,
          leftOn: n.leftOn.map((i) => l[i] as number),
          rightOn: n.rightOn.map((i) => r[i] as number),
          output: keep.map((i) => {
            const o = n.output[i]!;
            return { side: o.side, index: (o.side === 'left' ? l : r)[o.index] as number };
          }),
          relation: keep.map((i) => n.relation[i]!),
        });
        break;
      }
      default:
        keepFrom(n, all(n));
        out.push(n);
    }
  }
  return out;
}

function isIdentityMap(n: PlanNode, byId: ReadonlyMap<NodeId, PlanNode>): boolean {
  if (n.op !== 'map') return false;
  const input = byId.get(n.input);
  if (!input || input.relation.length !== n.exprs.length) return false;
  return n.exprs.every((e, i) => {
    const c = input.relation[i];
    return e.expr.kind === 'column' && e.expr.index === i && c !== undefined && c.name === e.name && c.type === e.expr.type && (c.semantic ?? 'none') === (e.expr.semantic ?? 'none');
  });
}

/** Keeps what sinks and exports read, without unused columns; ids renumbered from 0. */
export function optimize(plan: Plan): Plan {
  const live = new Set<NodeId>();
  for (let k = plan.nodes.length - 1; k >= 0; k--) {
    const n = plan.nodes[k] as PlanNode;
    if (n.op === 'sink' || n.op === 'otel_export' || n.op === 'bridge_sink' || live.has(n.id)) {
      live.add(n.id);
      for (const i of inputsOf(n)) live.add(i);
    }
  }
  const pruned = prune(plan.nodes.filter((n) => live.has(n.id)));
  const byId = new Map(pruned.map((n) => [n.id, n]));
  const alias = new Map<NodeId, NodeId>();
  const renumber = new Map<NodeId, NodeId>();
  const resolve = (id: NodeId): NodeId => {
    let cur = id;
    while (alias.has(cur)) cur = alias.get(cur) as NodeId;
    return renumber.get(cur) as NodeId;
  };
  const nodes: PlanNode[] = [];
  for (const n of pruned) {
    if (n.op === 'map' && isIdentityMap(n, byId)) {
      alias.set(n.id, n.input);
      continue;
    }
    const id = nodes.length;
    renumber.set(n.id, id);
    nodes.push(relink(n, id, resolve));
  }
  return { nodes, now: plan.now };
}

function relink(n: PlanNode, id: NodeId, resolve: (id: NodeId) => NodeId): PlanNode {
  switch (n.op) {
    case 'source':
    case 'bridge_source':
      return { ...n, id };
    case 'join':
      return { ...n, id, left: resolve(n.left), right: resolve(n.right) };
    case 'union':
      return { ...n, id, inputs: n.inputs.map(resolve) };
    default:
      return { ...n, id, input: resolve(n.input) };
  }
}
