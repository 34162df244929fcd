// Step "prune": deletes the children this Vizier owns that the spec no longer renders (a
// component turned off, a storage mode changed). Objects of the same name owned by anyone
// else are left alone.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Vizier } from '../../../crds/kinds/vizier.js';
import type { ReconcileContext } from '../../../operator/runtime/types.js';
import { CLUSTER_CHILD_TYPES, NAMESPACED_CHILD_TYPES, childSelector, ownedBy } from '../ownership.js';

const identity = (kind: string | undefined, o: KubernetesObject) => `${kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/** Returns how many children were deleted. */
export async function pruneChildren(ctx: ReconcileContext, vz: Vizier, desired: readonly KubernetesObject[]): Promise<number> {
  const wanted = new Set(desired.map((o) => identity(o.kind, o)));
  const selector = childSelector(vz);
  let pruned = 0;
  for (const t of [...NAMESPACED_CHILD_TYPES, ...CLUSTER_CHILD_TYPES]) {
    for (const o of ctx.lister(t).list(t.namespaced ? vz.metadata.namespace : undefined, selector)) {
      if (!ownedBy(o, vz) || wanted.has(identity(t.kind, o))) continue;
      await ctx.client.delete(t, { namespace: o.metadata?.namespace ?? '', name: o.metadata!.name! });
      ctx.log.info({ kind: t.kind, child: o.metadata?.name }, 'pruned child no longer rendered');
      pruned++;
    }
  }
  return pruned;
}
