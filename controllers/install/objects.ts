// The one source of the operator's install: every object `kubectl apply -k operator/deploy`,
// install.yaml and the Helm chart create (CRDs, namespace, ServiceAccount, RBAC, the operator's
// Deployment), for given settings. Pure: the generators (generate.ts) turn it into files and the
// install-path tests compare what kustomize, helm and install.yaml make of them against it.
import type { KubernetesObject, V1Deployment, V1Namespace, V1ServiceAccount } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ALL_KINDS } from '../../crds/index.js';
import { toCRD } from '../../crds/definition.js';
import { DEFAULT_REGISTRY } from '../../crds/kinds/vizier.js';
import { OPERATOR_ACCOUNT, OPERATOR_NAMESPACE, renderRbac } from '../generate-rbac.js';

/** The repository (under the registry) of the one Loupe image: every role, the operator included. */
export const IMAGE_REPOSITORY = 'loupe';
export const OPERATOR_NAME = 'loupe-operator';
export const OPERATOR_CONTAINER = 'operator';
export const LABELS = { 'app.kubernetes.io/name': OPERATOR_NAME, 'app.kubernetes.io/part-of': 'loupe' };

export interface InstallSettings {
  /** Where the operator runs (its Deployment, ServiceAccount, leader-election Lease). */
  readonly namespace: string;
  /** Registry (and path) of the operator image and, through --registry, of every image a Vizier runs. */
  readonly registry: string;
  /** The Loupe release: the image tag and the version label. */
  readonly version: string;
  /** sha256:<hex> of the image: pins the operator image by digest instead of by tag. */
  readonly digest?: string;
}

export const defaultSettings = (version: string): InstallSettings => ({ namespace: OPERATOR_NAMESPACE, registry: DEFAULT_REGISTRY, version });

export function operatorImage(s: Pick<InstallSettings, 'registry' | 'version' | 'digest'>): string {
  return `${s.registry}/${IMAGE_REPOSITORY}${s.digest ? `@${s.digest}` : `:${s.version}`}`;
}

/** Resources of the operator container (the Helm chart's default `resources` value). */
export const OPERATOR_RESOURCES = { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } };
/** Two replicas: one leads, one stands by and takes over through the Lease. */
export const OPERATOR_REPLICAS = 2;

export function operatorDeployment(s: InstallSettings): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: OPERATOR_NAME, namespace: s.namespace, labels: { ...LABELS, 'app.kubernetes.io/version': s.version } },
    spec: {
      replicas: OPERATOR_REPLICAS,
      selector: { matchLabels: { 'app.kubernetes.io/name': OPERATOR_NAME } },
      template: {
        metadata: { labels: LABELS },
        spec: {
          serviceAccountName: OPERATOR_ACCOUNT,
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: OPERATOR_CONTAINER,
              image: operatorImage(s),
              args: ['operator', '--health-addr=0.0.0.0:8081', `--registry=${s.registry}`],
              env: [
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              ports: [{ name: 'health', containerPort: 8081 }],
              livenessProbe: { httpGet: { path: '/healthz', port: 'health' }, periodSeconds: 10 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, periodSeconds: 5 },
              resources: OPERATOR_RESOURCES,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
}

export const namespaceObject = (s: InstallSettings): V1Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: s.namespace, labels: LABELS } });

export const serviceAccount = (s: InstallSettings): V1ServiceAccount => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: OPERATOR_ACCOUNT, namespace: s.namespace, labels: LABELS },
});

interface RbacObject extends KubernetesObject {
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** The generated RBAC (controllers/generate-rbac.ts) with its namespaced parts in `namespace`. */
export function rbacObjects(namespace: string): KubernetesObject[] {
  return parseAllDocuments(renderRbac()).map((d) => {
    const o = d.toJS() as RbacObject;
    if (o.metadata?.namespace) o.metadata.namespace = namespace;
    for (const subject of o.subjects ?? []) if (subject.kind === 'ServiceAccount') subject.namespace = namespace;
    return o;
  });
}

export const crdObjects = (): KubernetesObject[] => ALL_KINDS.map((def) => toCRD(def) as KubernetesObject);

/** Every object of the install, in the order `kubectl apply` should create them. */
export function renderInstall(s: InstallSettings): KubernetesObject[] {
  return [...crdObjects(), namespaceObject(s), serviceAccount(s), ...rbacObjects(s.namespace), operatorDeployment(s)];
}
