// Collects plan nodes as the script runs, in creation order (which is topological: a node is
// only ever built from nodes that already exist). Bounded by maxNodes, and by the parts the
// nodes hold together: every column assignment copies the DataFrame's other columns into a new
// map node, so 2000 assignments on one DataFrame made a 234 MB plan from a 56 KB script.
import type { AggregateSpec, Expr, JoinType, NodeId, PlanNode, Relation, SourceSpan } from '../plan.js';
import { fail, type Pos } from '../parse/errors.js';
import { makeFrame, type Frame } from './frame.js';

type Body<N> = N extends PlanNode ? Omit<N, 'id' | 'relation' | 'at'> : never;

/** Objects and arrays all plan nodes may hold together (columns, expressions, specs): 250 times the bundled scripts' largest. */
export const MAX_PLAN_PARTS = 250_000;

/** Objects and arrays in `value`, counted until past `limit`. */
function partsOf(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 1;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (n > limit) break;
    n += partsOf(item, limit - n);
  }
  return n;
}

export class PlanBuilder {
  private readonly list: PlanNode[] = [];
  private parts = 0;

  constructor(private readonly maxNodes: number) {}

  get nodes(): readonly PlanNode[] {
    return this.list;
  }

  private add(body: Body<PlanNode>, relation: Relation, at: Pos): Frame {
    if (this.list.length >= this.maxNodes) {
      fail('limit', `the script builds more than ${this.maxNodes} plan operators; simplify it or raise the limit`, at);
    }
    const left = MAX_PLAN_PARTS - this.parts;
    this.parts += partsOf(body, left) + partsOf(relation, left);
    if (this.parts > MAX_PLAN_PARTS) {
      fail('limit', `the plan holds more than ${MAX_PLAN_PARTS} parts (columns and expressions) here; use fewer columns, smaller expressions or fewer operators`, at);
    }
    const id = this.list.length;
    const span: SourceSpan = { line: at.line, column: at.column };
    this.list.push({ ...body, id, relation, at: span } as PlanNode);
    return makeFrame(id, relation);
  }

  source(table: string, columns: readonly number[], relation: Relation, bounds: { startTime?: bigint; endTime?: bigint }, at: Pos): Frame {
    const body: Body<PlanNode> = { op: 'source', table, columns, ...(bounds.startTime !== undefined ? { startTime: bounds.startTime } : {}), ...(bounds.endTime !== undefined ? { endTime: bounds.endTime } : {}) };
    return this.add(body, relation, at);
  }

  map(input: Frame, exprs: readonly { name: string; expr: Expr }[], relation: Relation, at: Pos): Frame {
    return this.add({ op: 'map', input: input.node, exprs }, relation, at);
  }

  filter(input: Frame, predicate: Expr, at: Pos): Frame {
    return this.add({ op: 'filter', input: input.node, predicate }, input.relation, at);
  }

  limit(input: Frame, n: number, at: Pos): Frame {
    return this.add({ op: 'limit', input: input.node, n }, input.relation, at);
  }

  agg(input: Frame, groups: readonly number[], aggs: readonly AggregateSpec[], relation: Relation, at: Pos): Frame {
    return this.add({ op: 'agg', input: input.node, groups, aggs, mode: 'full' }, relation, at);
  }

  join(
    left: Frame,
    right: Frame,
    how: JoinType,
    leftOn: readonly number[],
    rightOn: readonly number[],
    output: readonly { side: 'left' | 'right'; index: number }[],
    relation: Relation,
    at: Pos,
  ): Frame {
    return this.add({ op: 'join', left: left.node, right: right.node, how, leftOn, rightOn, output }, relation, at);
  }

  union(inputs: readonly Frame[], at: Pos): Frame {
    const first = inputs[0];
    if (!first) throw new Error('union of nothing');
    return this.add({ op: 'union', inputs: inputs.map((f) => f.node) }, first.relation, at);
  }

  sink(input: Frame, name: string, at: Pos): NodeId {
    return this.add({ op: 'sink', input: input.node, name }, input.relation, at).node;
  }

  otelExport(input: Frame, spec: unknown, at: Pos): NodeId {
    return this.add({ op: 'otel_export', input: input.node, spec }, input.relation, at).node;
  }
}
