// Step "finalizer": a Vizier carries a finalizer so that, when it is deleted, the operator
// removes what garbage collection cannot reach (cluster-scoped children, which cannot carry an
// ownerReference to a namespaced owner, and the volume claims its StatefulSets made).
import type { Vizier } from '../../../crds/kinds/vizier.js';
import type { ReconcileContext } from '../../../operator/runtime/types.js';
import { Types } from '../../common/resources.js';
import { VIZIER } from '../kind.js';
import { CLUSTER_CHILD_TYPES, childSelector, ownedBy } from '../ownership.js';
import { metadataClusterRoleName } from '../render.js';

export const CLEANUP_FINALIZER = 'loupe.dev/cluster-resources';

const keyOf = (vz: Vizier) => ({ namespace: vz.metadata.namespace!, name: vz.metadata.name! });

/** Adds the cleanup finalizer when it is missing; no write when it is there. */
export async function ensureFinalizer(ctx: ReconcileContext, vz: Vizier): Promise<void> {
  const finalizers = vz.metadata.finalizers ?? [];
  if (finalizers.includes(CLEANUP_FINALIZER)) return;
  // The resourceVersion makes the merge patch fail on a stale list instead of dropping another controller's finalizer.
  await ctx.client.patchMetadata(VIZIER, keyOf(vz), { finalizers: [...finalizers, CLEANUP_FINALIZER], resourceVersion: vz.metadata.resourceVersion });
}

/** For a Vizier being deleted: cleans up, then removes only its own finalizer. */
export async function finalize(ctx: ReconcileContext, vz: Vizier): Promise<void> {
  const finalizers = vz.metadata.finalizers ?? [];
  if (!finalizers.includes(CLEANUP_FINALIZER)) return;
  await deleteVolumeClaims(ctx, vz);
  await deleteClusterScoped(ctx, vz);
  await ctx.client.patchMetadata(VIZIER, keyOf(vz), { finalizers: finalizers.filter((f) => f !== CLEANUP_FINALIZER), resourceVersion: vz.metadata.resourceVersion });
  ctx.log.info('removed cluster-scoped children, volume claims and the cleanup finalizer');
}

async function deleteVolumeClaims(ctx: ReconcileContext, vz: Vizier): Promise<void> {
  for (const pvc of ctx.lister(Types.PersistentVolumeClaim).list(vz.metadata.namespace, childSelector(vz))) {
    await ctx.client.delete(Types.PersistentVolumeClaim, { namespace: vz.metadata.namespace!, name: pvc.metadata!.name! });
  }
}

async function deleteClusterScoped(ctx: ReconcileContext, vz: Vizier): Promise<void> {
  // The known names first, straight to the API server: the cache may not have seen them yet.
  const known = metadataClusterRoleName(vz.metadata.namespace!, vz.metadata.name!);
  for (const t of CLUSTER_CHILD_TYPES) await ctx.client.delete(t, { namespace: '', name: known });
  for (const t of CLUSTER_CHILD_TYPES) {
    for (const o of ctx.lister(t).list()) {
      if (ownedBy(o, vz)) await ctx.client.delete(t, { namespace: '', name: o.metadata!.name! });
    }
  }
}
