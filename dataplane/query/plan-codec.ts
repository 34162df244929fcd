// Plans travel between broker, Kelvin and PEMs as JSON; bigints (times, int64 literals) are
// tagged so they come back as bigints, not as lossy numbers.
import { inputsOf, type Plan, type PlanNode } from '../pxl/plan.js';
import { parseWithBigInts, stringifyWithBigInts } from './wire.js';

export class PlanDecodeError extends Error {
  override readonly name = 'PlanDecodeError';
}

export function encodePlan(plan: Plan): string {
  return stringifyWithBigInts(plan);
}

const OPS = new Set(['source', 'map', 'filter', 'limit', 'agg', 'join', 'union', 'sink', 'otel_export', 'bridge_sink', 'bridge_source']);

export function decodePlan(text: string): Plan {
  let raw: unknown;
  try {
    raw = parseWithBigInts(text);
  } catch (err) {
    throw new PlanDecodeError(`plan is not valid JSON: ${(err as Error).message}`);
  }
  const plan = raw as Plan;
  if (!plan || typeof plan !== 'object' || !Array.isArray(plan.nodes) || typeof plan.now !== 'bigint') {
    throw new PlanDecodeError('plan must be an object with nodes (array) and now (bigint)');
  }
  const seen = new Set<number>();
  for (const [i, node] of (plan.nodes as PlanNode[]).entries()) {
    if (!node || typeof node !== 'object' || typeof node.id !== 'number' || !OPS.has(node.op) || !Array.isArray(node.relation)) {
      throw new PlanDecodeError(`plan node at position ${i} is malformed (needs a numeric id, a known op and a relation)`);
    }
    for (const input of inputsOf(node)) {
      if (!seen.has(input)) throw new PlanDecodeError(`plan node ${node.id} reads node ${input}, which does not come before it`);
    }
    if (seen.has(node.id)) throw new PlanDecodeError(`plan node id ${node.id} appears twice`);
    seen.add(node.id);
  }
  return plan;
}
