// REST paths for any group/version/plural: /api/v1/... for the core group,
// /apis/{group}/{version}/... for the others.
import type { ObjectKey, ResourceType } from './types.js';

export type ResourcePathType = Pick<ResourceType, 'group' | 'version' | 'plural' | 'namespaced'>;

/** 'v1' for the core group, otherwise 'group/version'. */
export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/**
 * The collection path (no name), or an object's path. A namespaced type without a
 * namespace yields the all-namespaces collection.
 */
export function resourcePath(type: ResourcePathType, namespace?: string, name?: string, subresource?: string): string {
  let path = groupVersionPath(apiVersionOf(type));
  if (type.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${type.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

export function objectPath(type: ResourcePathType, key: ObjectKey, subresource?: string): string {
  return resourcePath(type, key.namespace, key.name, subresource);
}

/** "Deployment pl/vz-kelvin", for messages. */
export function describeObject(kind: string | undefined, key: ObjectKey): string {
  return `${kind ?? 'object'} ${key.namespace ? `${key.namespace}/` : ''}${key.name}`;
}
