// The logical plan: what the PxL compiler produces, the distributed planner splits, and the
// executor runs. A plan is a DAG of operators in topological order; every operator states the
// relation (ordered, typed columns) it outputs, and expressions refer to input columns by
// position (names are kept for messages and for printing plans).
import type { CellValue, ColumnSchema, DataType, SemanticType } from '../table-store/types.js';

export type Relation = readonly ColumnSchema[];

export type NodeId = number;

/** Where in the script a plan element came from, for runtime errors. 1-based line and column. */
export interface SourceSpan {
  readonly line: number;
  readonly column: number;
}

export type Expr =
  | { readonly kind: 'column'; readonly index: number; readonly name: string; readonly type: DataType; readonly semantic?: SemanticType }
  | { readonly kind: 'literal'; readonly type: DataType; readonly value: CellValue; readonly semantic?: SemanticType }
  | {
      readonly kind: 'call';
      /** A scalar function of the UDF registry (udf/registry.ts), e.g. 'add', 'equal', 'contains', 'upid_to_pod_name'. */
      readonly fn: string;
      readonly args: readonly Expr[];
      readonly type: DataType;
      readonly semantic?: SemanticType;
      readonly at?: SourceSpan;
    };

export interface AggregateSpec {
  /** Output column name. */
  readonly name: string;
  /** An aggregate of the UDA registry: 'count', 'sum', 'mean', 'min', 'max', 'quantiles', 'any'. */
  readonly fn: string;
  /** Input column position; count accepts any column. */
  readonly arg: number;
  readonly argType: DataType;
  readonly type: DataType;
  readonly semantic?: SemanticType;
}

export type JoinType = 'inner' | 'left' | 'right' | 'outer';

interface NodeBase {
  readonly id: NodeId;
  readonly relation: Relation;
  readonly at?: SourceSpan;
}

export interface SourceNode extends NodeBase {
  readonly op: 'source';
  readonly table: string;
  /** Positions in the table's schema, in output order. */
  readonly columns: readonly number[];
  /** Inclusive bounds on the table's time column, ns since the epoch; absent = unbounded. */
  readonly startTime?: bigint;
  readonly endTime?: bigint;
}

export interface MapNode extends NodeBase {
  readonly op: 'map';
  readonly input: NodeId;
  /** One output column per entry, in order. */
  readonly exprs: readonly { readonly name: string; readonly expr: Expr }[];
}

export interface FilterNode extends NodeBase {
  readonly op: 'filter';
  readonly input: NodeId;
  /** A boolean expression; output relation = input relation. */
  readonly predicate: Expr;
}

export interface LimitNode extends NodeBase {
  readonly op: 'limit';
  readonly input: NodeId;
  readonly n: number;
}

/**
 * Group-by aggregation. Output: the group columns, then one column per aggregate.
 * `partial` outputs group columns then one serialized state column (string) per aggregate;
 * `final` takes that relation and merges states; `full` does both in one place.
 */
export interface AggNode extends NodeBase {
  readonly op: 'agg';
  readonly input: NodeId;
  readonly groups: readonly number[];
  readonly aggs: readonly AggregateSpec[];
  readonly mode: 'full' | 'partial' | 'final';
}

export interface JoinNode extends NodeBase {
  readonly op: 'join';
  readonly left: NodeId;
  readonly right: NodeId;
  readonly how: JoinType;
  readonly leftOn: readonly number[];
  readonly rightOn: readonly number[];
  /** Output columns, in order: which side and which position there. */
  readonly output: readonly { readonly side: 'left' | 'right'; readonly index: number }[];
}

/** df.append(other): same relation (names and types) on every input. */
export interface UnionNode extends NodeBase {
  readonly op: 'union';
  readonly inputs: readonly NodeId[];
}

/** px.display(df, name): a named result table. */
export interface SinkNode extends NodeBase {
  readonly op: 'sink';
  readonly input: NodeId;
  readonly name: string;
}

/** px.export(df, px.otel.Data(...)): planned now, executed by a later issue. */
export interface OtelExportNode extends NodeBase {
  readonly op: 'otel_export';
  readonly input: NodeId;
  /** The px.otel.Data(...) call as data: resource attributes and metrics/spans, column refs by position. */
  readonly spec: unknown;
}

/** Distributed plans only: batches cross between PEM and Kelvin fragments through bridges. */
export interface BridgeSinkNode extends NodeBase {
  readonly op: 'bridge_sink';
  readonly input: NodeId;
  readonly bridge: number;
}

export interface BridgeSourceNode extends NodeBase {
  readonly op: 'bridge_source';
  readonly bridge: number;
}

export type PlanNode =
  | SourceNode
  | MapNode
  | FilterNode
  | LimitNode
  | AggNode
  | JoinNode
  | UnionNode
  | SinkNode
  | OtelExportNode
  | BridgeSinkNode
  | BridgeSourceNode;

export interface Plan {
  /** Topological order: inputs come before the nodes that read them. */
  readonly nodes: readonly PlanNode[];
  /** The query's "now" (ns since the epoch): px.now() and relative start_time resolve to it. */
  readonly now: bigint;
}

export function inputsOf(node: PlanNode): readonly NodeId[] {
  switch (node.op) {
    case 'source':
    case 'bridge_source':
      return [];
    case 'join':
      return [node.left, node.right];
    case 'union':
      return node.inputs;
    default:
      return [node.input];
  }
}
