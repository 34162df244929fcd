// Which primary object an event on a child concerns.
import type { KubernetesObject } from '@kubernetes/client-node';
import { keyFromString, OWNER_ANNOTATION, type ObjectKey, type ResourceType } from './types.js';

/**
 * The owner of `child` of kind `owner`: named by the child's controller ownerReference
 * (matched on group and kind, any version), else by its `loupe.dev/owner` annotation
 * ("<namespace>/<name>"), which cluster-scoped children use because an ownerReference
 * cannot point from a cluster-scoped object to a namespaced one.
 */
export function ownerKeys(child: KubernetesObject, owner: ResourceType): ObjectKey[] {
  const meta = child.metadata;
  const ref = meta?.ownerReferences?.find((r) => r.controller === true && r.kind === owner.kind && groupOf(r.apiVersion) === owner.group);
  if (ref) return [{ namespace: owner.namespaced ? (meta?.namespace ?? '') : '', name: ref.name }];
  const annotated = meta?.annotations?.[OWNER_ANNOTATION];
  return annotated ? [keyFromString(annotated)] : [];
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}
