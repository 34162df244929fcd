// Fixed lists OLM and OperatorHub check bundles against, in one place: the kinds a registry+v1
// bundle may carry, the capability levels, the standard categories, and the Kubernetes APIs
// removed since 1.16 (from the Kubernetes deprecation guide).

/** Kinds operator-registry accepts in a registry+v1 bundle's manifests/. */
export const SUPPORTED_KINDS: ReadonlySet<string> = new Set([
  'ClusterServiceVersion', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'Service', 'ServiceAccount', 'Role', 'RoleBinding',
  'PrometheusRule', 'ServiceMonitor', 'PodMonitor', 'Secret', 'ConfigMap', 'PodDisruptionBudget', 'PriorityClass', 'VerticalPodAutoscaler',
  'ConsoleYAMLSample', 'ConsoleQuickStart', 'ConsoleCLIDownload', 'ConsoleLink', 'ConsolePlugin', 'NetworkPolicy',
]);

/** The operator capability model's levels, lowest first. */
export const CAPABILITY_LEVELS: readonly string[] = ['Basic Install', 'Seamless Upgrades', 'Full Lifecycle', 'Deep Insights', 'Auto Pilot'];

/** OperatorHub's standard categories. */
export const STANDARD_CATEGORIES: readonly string[] = [
  'AI/Machine Learning', 'Application Runtime', 'Big Data', 'Cloud Provider', 'Developer Tools', 'Database', 'Integration & Delivery',
  'Logging & Tracing', 'Monitoring', 'Modernization & Migration', 'Networking', 'OpenShift Optional', 'Security', 'Storage',
  'Streaming & Messaging', 'Observability',
];

interface RemovedApi {
  readonly apiVersion: string;
  readonly kinds: readonly string[];
  readonly removedIn: string;
}

const REMOVED: readonly RemovedApi[] = [
  { apiVersion: 'extensions/v1beta1', kinds: ['Deployment', 'DaemonSet', 'ReplicaSet', 'NetworkPolicy', 'PodSecurityPolicy'], removedIn: '1.16' },
  { apiVersion: 'apps/v1beta1', kinds: ['Deployment', 'StatefulSet', 'ReplicaSet'], removedIn: '1.16' },
  { apiVersion: 'apps/v1beta2', kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'], removedIn: '1.16' },
  { apiVersion: 'admissionregistration.k8s.io/v1beta1', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], removedIn: '1.22' },
  { apiVersion: 'apiextensions.k8s.io/v1beta1', kinds: ['CustomResourceDefinition'], removedIn: '1.22' },
  { apiVersion: 'apiregistration.k8s.io/v1beta1', kinds: ['APIService'], removedIn: '1.22' },
  { apiVersion: 'authentication.k8s.io/v1beta1', kinds: ['TokenReview'], removedIn: '1.22' },
  { apiVersion: 'authorization.k8s.io/v1beta1', kinds: ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview'], removedIn: '1.22' },
  { apiVersion: 'certificates.k8s.io/v1beta1', kinds: ['CertificateSigningRequest'], removedIn: '1.22' },
  { apiVersion: 'coordination.k8s.io/v1beta1', kinds: ['Lease'], removedIn: '1.22' },
  { apiVersion: 'extensions/v1beta1', kinds: ['Ingress'], removedIn: '1.22' },
  { apiVersion: 'networking.k8s.io/v1beta1', kinds: ['Ingress', 'IngressClass'], removedIn: '1.22' },
  { apiVersion: 'rbac.authorization.k8s.io/v1beta1', kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], removedIn: '1.22' },
  { apiVersion: 'scheduling.k8s.io/v1beta1', kinds: ['PriorityClass'], removedIn: '1.22' },
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], removedIn: '1.22' },
  { apiVersion: 'batch/v1beta1', kinds: ['CronJob'], removedIn: '1.25' },
  { apiVersion: 'discovery.k8s.io/v1beta1', kinds: ['EndpointSlice'], removedIn: '1.25' },
  { apiVersion: 'events.k8s.io/v1beta1', kinds: ['Event'], removedIn: '1.25' },
  { apiVersion: 'autoscaling/v2beta1', kinds: ['HorizontalPodAutoscaler'], removedIn: '1.25' },
  { apiVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget', 'PodSecurityPolicy'], removedIn: '1.25' },
  { apiVersion: 'node.k8s.io/v1beta1', kinds: ['RuntimeClass'], removedIn: '1.25' },
  { apiVersion: 'autoscaling/v2beta2', kinds: ['HorizontalPodAutoscaler'], removedIn: '1.26' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.26' },
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIStorageCapacity'], removedIn: '1.27' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.29' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.32' },
];

export interface ApiUse {
  /** Where it is used, for the message. */
  readonly where: string;
  /** group/version, or a bare version where the group is not known (a CSV's owned-CRD resources). */
  readonly apiVersion: string;
  readonly kind: string;
}

/** The uses of APIs Kubernetes has removed, each with the release that removed it. */
export function removedApis(uses: readonly ApiUse[]): (ApiUse & { removedIn: string })[] {
  return uses.flatMap((use) => {
    const bareVersion = !use.apiVersion.includes('/');
    const hit = REMOVED.find((r) => r.kinds.includes(use.kind) && (bareVersion ? r.apiVersion.endsWith(`/${use.apiVersion}`) : r.apiVersion === use.apiVersion));
    return hit ? [{ ...use, removedIn: hit.removedIn }] : [];
  });
}
