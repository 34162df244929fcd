// The Kubernetes types the reconcilers read and write.
import type { ResourceType } from '../../operator/runtime/types.js';
import { GROUP, VERSION, ALL_KINDS } from '../../crds/index.js';

const core = (kind: string, plural: string, namespaced = true): ResourceType => ({ group: '', version: 'v1', kind, plural, namespaced });
const apps = (kind: string, plural: string): ResourceType => ({ group: 'apps', version: 'v1', kind, plural, namespaced: true });
const rbac = (kind: string, plural: string, namespaced: boolean): ResourceType => ({ group: 'rbac.authorization.k8s.io', version: 'v1', kind, plural, namespaced });

export const Types = {
  Deployment: apps('Deployment', 'deployments'),
  StatefulSet: apps('StatefulSet', 'statefulsets'),
  DaemonSet: apps('DaemonSet', 'daemonsets'),
  Service: core('Service', 'services'),
  ConfigMap: core('ConfigMap', 'configmaps'),
  Secret: core('Secret', 'secrets'),
  ServiceAccount: core('ServiceAccount', 'serviceaccounts'),
  Pod: core('Pod', 'pods'),
  PersistentVolumeClaim: core('PersistentVolumeClaim', 'persistentvolumeclaims'),
  Node: core('Node', 'nodes', false),
  Role: rbac('Role', 'roles', true),
  RoleBinding: rbac('RoleBinding', 'rolebindings', true),
  ClusterRole: rbac('ClusterRole', 'clusterroles', false),
  ClusterRoleBinding: rbac('ClusterRoleBinding', 'clusterrolebindings', false),
} as const;

export function loupeType(kind: string): ResourceType {
  const def = ALL_KINDS.find((d) => d.kind === kind);
  if (!def) throw new Error(`unknown Loupe kind ${kind}`);
  return { group: GROUP, version: VERSION, kind: def.kind, plural: def.plural, namespaced: true };
}

export function typeOf(obj: { apiVersion?: string; kind?: string }): ResourceType {
  const t = Object.values(Types).find((t) => t.kind === obj.kind && (t.group ? `${t.group}/${t.version}` : t.version) === obj.apiVersion);
  if (!t) throw new Error(`no ResourceType for ${obj.apiVersion} ${obj.kind}`);
  return t;
}
