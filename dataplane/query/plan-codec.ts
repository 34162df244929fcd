// Plans travel between broker, Kelvin and PEMs as JSON text that names its protocol version;
// bigints (times, int64 literals) and the floats JSON cannot write (NaN, ±Infinity, -0) are
// tagged so they come back exact.
import { inputsOf, type Plan, type PlanNode } from '../pxl/plan.js';
import { describeVersion, PROTOCOL_VERSION, speaks, supportedVersions, THIS_BUILD, type Protocol } from './protocol-version.js';
import { parseWithBigInts, stringifyWithBigInts } from './wire.js';

export class PlanDecodeError extends Error {
  override readonly name = 'PlanDecodeError';

  constructor(
    message: string,
    /** The plan is well formed but of a protocol version the decoder does not read. */
    readonly unsupportedVersion = false,
  ) {
    super(message);
  }
}

/** The plan as protocol `version` writes it (every version this build speaks writes this form). */
export function encodePlan(plan: Plan, version: number = PROTOCOL_VERSION): string {
  return stringifyWithBigInts({ version, ...plan });
}

const OPS = new Set(['source', 'map', 'filter', 'limit', 'agg', 'join', 'union', 'sink', 'otel_export', 'bridge_sink', 'bridge_source']);

/** A plan and the protocol version it was written in (the version its results go back in). */
export interface VersionedPlan {
  readonly version: number;
  readonly plan: Plan;
}

export function decodeVersionedPlan(text: string, protocol: Protocol = THIS_BUILD): VersionedPlan {
  let raw: unknown;
  try {
    raw = parseWithBigInts(text);
  } catch (err) {
    throw new PlanDecodeError(`plan is not valid JSON: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new PlanDecodeError('plan must be a JSON object with version, nodes and now');
  const { version, ...plan } = raw as Plan & { readonly version?: unknown };
  if (!speaks(protocol, version)) throw new PlanDecodeError(`plan of ${describeVersion(version)}; this build reads ${supportedVersions(protocol)}`, true);
  if (!Array.isArray(plan.nodes) || typeof plan.now !== 'bigint') {
    throw new PlanDecodeError('plan must be an object with nodes (array) and now (bigint)');
  }
  const seen = new Set<number>();
  for (const [i, node] of (plan.nodes as PlanNode[]).entries()) {
    if (!node || typeof node !== 'object' || typeof node.id !== 'number' || !OPS.has(node.op) || !Array.isArray(node.relation)) {
      throw new PlanDecodeError(`plan node at position ${i} is malformed (needs a numeric id, a known op and a relation)`);
    }
    // Read from untrusted JSON: a union's `inputs` may be anything, another node's `input` missing.
    const inputs: unknown = inputsOf(node);
    if (!Array.isArray(inputs) || !inputs.every((input) => typeof input === 'number')) {
      const [want, got] =
        node.op === 'union' ? ['inputs must be an array of node ids', node.inputs] : node.op === 'join' ? ['left and right must be node ids', inputs] : ['input must be a node id', (node as { input?: unknown }).input];
      throw new PlanDecodeError(`plan node ${node.id} (${node.op}): ${want}, got ${stringifyWithBigInts(got)?.slice(0, 60) ?? 'nothing'}`);
    }
    for (const input of inputs) {
      if (!seen.has(input)) throw new PlanDecodeError(`plan node ${node.id} reads node ${input}, which does not come before it`);
    }
    if (seen.has(node.id)) throw new PlanDecodeError(`plan node id ${node.id} appears twice`);
    seen.add(node.id);
  }
  return { version, plan };
}

export function decodePlan(text: string, protocol: Protocol = THIS_BUILD): Plan {
  return decodeVersionedPlan(text, protocol).plan;
}
