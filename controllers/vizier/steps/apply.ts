// Step "apply": server-side apply of every rendered child that is not already up to date,
// never taking over an object another owner controls. A child the API server refuses with a
// client error is reported (and the others still applied); conflicts, throttling and server
// errors are thrown so the reconcile is retried with backoff.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Vizier } from '../../../crds/kinds/vizier.js';
import { ApiError } from '../../../lib/kube/api-error.js';
import type { ReconcileContext, ResourceType } from '../../../operator/runtime/types.js';
import { stampHash, upToDate } from '../../common/apply.js';
import { typeOf } from '../../common/resources.js';
import { foreignOwner } from '../ownership.js';

export interface ApplyFailure {
  kind: string;
  name: string;
  /** The API server's message, or why the operator did not apply it. */
  message: string;
}

export interface ApplyResult {
  applied: number;
  failures: ApplyFailure[];
}

export const describeFailure = (f: ApplyFailure) => `${f.kind} ${f.name}: ${f.message}`;

const IMMUTABLE_STATEFULSET = /updates to statefulset spec for fields other than/;

/** Whether the error is worth retrying as is, rather than reporting to the user. */
function retriable(err: ApiError): boolean {
  return err.status === 409 || err.status === 429 || err.status >= 500;
}

/** Applies one child; returns the server's refusal instead of throwing it. */
export async function applyChild(ctx: ReconcileContext, t: ResourceType, obj: KubernetesObject): Promise<string | undefined> {
  try {
    await ctx.client.apply(obj);
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError) || retriable(err)) throw err;
    if (t.kind === 'StatefulSet' && err.status === 422 && IMMUTABLE_STATEFULSET.test(err.serverMessage)) return recreateStatefulSet(ctx, t, obj);
    return err.serverMessage;
  }
}

/** Volume claim templates and selectors cannot change in place: replace the StatefulSet, keeping its pods until the new one adopts them. */
async function recreateStatefulSet(ctx: ReconcileContext, t: ResourceType, obj: KubernetesObject): Promise<string | undefined> {
  ctx.log.info({ child: obj.metadata?.name }, 'recreating StatefulSet to change an immutable field');
  await ctx.client.delete(t, { namespace: obj.metadata!.namespace!, name: obj.metadata!.name! }, 'Orphan');
  try {
    await ctx.client.apply(obj);
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError) || retriable(err)) throw err;
    return err.serverMessage;
  }
}

export async function applyChildren(ctx: ReconcileContext, vz: Vizier, desired: readonly KubernetesObject[]): Promise<ApplyResult> {
  const result: ApplyResult = { applied: 0, failures: [] };
  for (const rendered of desired) {
    const obj = stampHash(rendered);
    const t = typeOf(obj);
    const name = obj.metadata!.name!;
    const live = ctx.lister(t).get(obj.metadata?.namespace ?? '', name);
    if (upToDate(obj, live)) continue;
    const foreign = foreignOwner(live, vz);
    if (foreign) {
      result.failures.push({ kind: t.kind, name, message: `already belongs to ${foreign}; rename one of the two so their children's names differ` });
      continue;
    }
    const refused = await applyChild(ctx, t, obj);
    if (refused) result.failures.push({ kind: t.kind, name, message: refused });
    else result.applied++;
  }
  if (result.applied) ctx.log.info({ applied: result.applied }, 'applied children');
  return result;
}
