// Naming and labelling of children, following app.kubernetes.io conventions.
import type { V1OwnerReference } from '@kubernetes/client-node';
import { OWNER_ANNOTATION } from '../../operator/runtime/types.js';

export const MANAGED_BY = 'loupe-operator';
export const VERSION_LABEL = 'app.kubernetes.io/version';

export interface Owner {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string };
}

/** Labels every child of `app` (vizier, profileagent, ...) instance `instance` carries. */
export function commonLabels(app: string, instance: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'loupe',
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

/** The subset used in selectors: immutable on workloads, so it never includes the version. */
export function selectorLabels(app: string, instance: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': instance, 'app.kubernetes.io/component': component };
}

/** The server-side selector for all children of one app, used to keep informer caches small. */
export function ownedSelector(app: string): string {
  return `app.kubernetes.io/name=${app},app.kubernetes.io/managed-by=${MANAGED_BY}`;
}

export function controllerRef(owner: Owner): V1OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Cluster-scoped children cannot reference a namespaced owner; they carry this annotation instead. */
export function ownerAnnotation(owner: Owner): Record<string, string> {
  return { [OWNER_ANNOTATION]: `${owner.metadata.namespace}/${owner.metadata.name}` };
}

/**
 * `<instance>-<component>`, shortened with a hash past `max` characters. 63 is the limit for
 * Services and label values; StatefulSets need 52, because their pods carry a
 * `controller-revision-hash` label of `<name>-<10 characters>`.
 */
export function childName(instance: string, component: string, max = 63): string {
  const name = `${instance}-${component}`;
  if (name.length <= max) return name;
  return `${name.slice(0, max - 9)}-${shortHash(name)}`;
}
export const STATEFULSET_NAME_MAX = 52;

export function shortHash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}
