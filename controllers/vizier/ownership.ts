// Which objects are a Vizier's children: its instance label plus its ownerReference
// (namespaced children) or the owner annotation (cluster-scoped ones, which cannot point at a
// namespaced owner).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Vizier } from '../../crds/kinds/vizier.js';
import { OWNER_ANNOTATION, type ResourceType } from '../../operator/runtime/types.js';
import { Types } from '../common/resources.js';
import { APP } from './components.js';

/** The kinds a Vizier renders, by scope. */
export const NAMESPACED_CHILD_TYPES: readonly ResourceType[] = [Types.ConfigMap, Types.Secret, Types.ServiceAccount, Types.Service, Types.Deployment, Types.StatefulSet, Types.DaemonSet];
export const CLUSTER_CHILD_TYPES: readonly ResourceType[] = [Types.ClusterRole, Types.ClusterRoleBinding];

export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** The labels every child of `vz` carries, as a lister selector. */
export function childSelector(vz: Vizier): Record<string, string> {
  return { [INSTANCE_LABEL]: vz.metadata.name!, 'app.kubernetes.io/name': APP };
}

const ownerValue = (vz: Vizier) => `${vz.metadata.namespace}/${vz.metadata.name}`;

export function ownedBy(o: KubernetesObject, vz: Vizier): boolean {
  if (o.metadata?.labels?.[INSTANCE_LABEL] !== vz.metadata.name) return false;
  if (o.metadata?.namespace) return !!o.metadata.ownerReferences?.some((r) => r.uid === vz.metadata.uid);
  return o.metadata?.annotations?.[OWNER_ANNOTATION] === ownerValue(vz);
}

/** Who else controls an existing object of the same name, if anyone: never take over another owner's child. */
export function foreignOwner(live: KubernetesObject | undefined, vz: Vizier): string | undefined {
  if (!live) return undefined;
  if (live.metadata?.namespace) {
    const ref = live.metadata.ownerReferences?.find((r) => r.controller);
    return ref && ref.uid !== vz.metadata.uid ? `${ref.kind} ${ref.name}` : undefined;
  }
  const owner = live.metadata?.annotations?.[OWNER_ANNOTATION];
  return owner && owner !== ownerValue(vz) ? `Vizier ${owner}` : undefined;
}
