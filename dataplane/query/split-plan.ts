// The distributed planner: cuts a compiled plan into the fragment every PEM runs over its own
// table store and the fragment Kelvin runs over what the PEMs send. PEMs do what needs only
// local rows (scan, filter, map — metadata lookups included, since upids are node-local — partial
// aggregation, and a limit as an early cut); Kelvin does the rest (final aggregation, joins,
// unions, limits, sinks). Each edge that crosses becomes a bridge: a bridge_sink on the PEM
// side, a bridge_source on Kelvin's, carrying the union of every PEM's batches.
import type { AggNode, AggregateSpec, BridgeSinkNode, BridgeSourceNode, NodeId, Plan, PlanNode, Relation } from '../pxl/plan.js';
import { inputsOf } from '../pxl/plan.js';

export interface DistributedPlan {
  /** Runs on every PEM; its outputs are bridge_sink nodes only. */
  readonly pem: Plan;
  /** Runs on Kelvin; reads bridge_source nodes. */
  readonly kelvin: Plan;
  /** Bridge id → the relation its batches carry. */
  readonly bridges: ReadonlyMap<number, Relation>;
}

/** The relation a partial aggregation emits: group columns, then one state column per aggregate. */
export function partialRelation(agg: AggNode, input: Relation): Relation {
  return [
    ...agg.groups.map((g) => input[g]!),
    ...agg.aggs.map((a) => ({ name: a.name, type: 'string' as const, description: `partial ${a.fn} state` })),
  ];
}

/** The final aggregation that merges partial states: groups are the leading columns, states follow. */
function finalAggregates(agg: AggNode): AggregateSpec[] {
  return agg.aggs.map((a, i) => ({ ...a, arg: agg.groups.length + i }));
}

export function splitPlan(plan: Plan): DistributedPlan {
  const byId = new Map<NodeId, PlanNode>(plan.nodes.map((n) => [n.id, n]));
  let nextId = Math.max(0, ...plan.nodes.map((n) => n.id)) + 1;
  let nextBridge = 0;

  // A node is local when it and everything under it can run on one PEM over its own rows.
  const local = new Set<NodeId>();
  for (const node of plan.nodes) {
    if (node.op === 'bridge_sink' || node.op === 'bridge_source') throw new Error(`plan node ${node.id} is already a bridge: split a compiled plan, not a fragment`);
    const inputsLocal = inputsOf(node).every((i) => local.has(i));
    if (node.op === 'source' || ((node.op === 'map' || node.op === 'filter') && inputsLocal)) local.add(node.id);
  }

  const pem: PlanNode[] = [];
  const kelvin: PlanNode[] = [];
  const bridges = new Map<number, Relation>();
  // A local node whose output Kelvin reads → the bridge_source standing for it on Kelvin.
  const crossed = new Map<NodeId, BridgeSourceNode>();

  const bridge = (inputId: NodeId, relation: Relation): BridgeSourceNode => {
    const id = nextBridge++;
    bridges.set(id, relation);
    const sink: BridgeSinkNode = { id: nextId++, op: 'bridge_sink', input: inputId, bridge: id, relation };
    pem.push(sink);
    const source: BridgeSourceNode = { id: nextId++, op: 'bridge_source', bridge: id, relation };
    kelvin.push(source);
    return source;
  };
  const kelvinInput = (inputId: NodeId): NodeId => {
    if (!local.has(inputId)) return inputId;
    let source = crossed.get(inputId);
    if (!source) {
      source = bridge(inputId, byId.get(inputId)!.relation);
      crossed.set(inputId, source);
    }
    return source.id;
  };

  for (const node of plan.nodes) {
    if (local.has(node.id)) {
      pem.push(node);
      continue;
    }
    if (node.op === 'agg' && node.mode === 'full' && local.has(node.input)) {
      const input = byId.get(node.input)!;
      const partial: AggNode = { ...node, id: nextId++, mode: 'partial', relation: partialRelation(node, input.relation) };
      pem.push(partial);
      const source = bridge(partial.id, partial.relation);
      kelvin.push({ ...node, input: source.id, mode: 'final', groups: node.groups.map((_, i) => i), aggs: finalAggregates(node) });
      continue;
    }
    if (node.op === 'limit' && local.has(node.input)) {
      // Each PEM stops after n rows; Kelvin applies the limit again over their union.
      const early = { ...node, id: nextId++ };
      pem.push(early);
      const source = bridge(early.id, early.relation);
      kelvin.push({ ...node, input: source.id });
      continue;
    }
    switch (node.op) {
      case 'join':
        kelvin.push({ ...node, left: kelvinInput(node.left), right: kelvinInput(node.right) });
        break;
      case 'union':
        kelvin.push({ ...node, inputs: node.inputs.map(kelvinInput) });
        break;
      case 'source':
      case 'bridge_source':
      case 'bridge_sink':
        throw new Error(`unreachable: ${node.op} node ${node.id} outside the PEM fragment`);
      default:
        kelvin.push({ ...node, input: kelvinInput(node.input) });
    }
  }
  // Kelvin's bridge sources were appended when first needed, possibly after nodes that do not
  // read them; put sources first so the fragment stays in topological order.
  kelvin.sort((a, b) => Number(b.op === 'bridge_source') - Number(a.op === 'bridge_source'));
  return { pem: { nodes: pem, now: plan.now }, kelvin: { nodes: kelvin, now: plan.now }, bridges };
}
