// Vizier spec -> every child object of the data plane. Pure: same input, same output.
import { createHash } from 'node:crypto';
import type {
  KubernetesObject, V1Container, V1EnvVar, V1PodTemplateSpec, V1Volume, V1VolumeMount, V1Service, V1ServicePort,
  V1StatefulSet, V1Deployment, V1DaemonSet, V1ConfigMap, V1Secret, V1ServiceAccount, V1ClusterRole, V1ClusterRoleBinding,
  V1PersistentVolumeClaim, V1Toleration,
} from '@kubernetes/client-node';
import type { VizierSpec } from '../../crds/kinds/vizier.js';
import type { DefaultedVizier } from './kind.js';
import { CLOUD_CONNECTOR_CONTRACT, KELVIN_CONTRACT, METADATA_CONTRACT, METADATA_DATA_DIR, PEM_CONTRACT, Ports, QUERY_BROKER_CONTRACT } from '../../crds/contract/index.js';
import { toEnv } from '../../crds/contract/role-config.js';
import { CidrError, parseCidr, type Cidr } from '../../lib/cidr.js';
import { parseDurationMs } from '../../lib/duration.js';
import { formatHostPort } from '../../lib/host-port.js';
import { parseQuantity } from '../../lib/quantity.js';
import { commonLabels, selectorLabels, controllerRef, ownerAnnotation, childName, VERSION_LABEL, STATEFULSET_NAME_MAX } from '../common/labels.js';
import { applyPodPolicy, toRequirements, type ResourceSpec } from '../common/podpolicy.js';
import { applyPatches } from '../common/patches.js';
import type { TlsMaterial } from '../common/tls.js';
import type { PolicyRule } from '../../operator/runtime/types.js';
import { APP, componentsOf, serviceNames, type Component } from './components.js';

export const NATS_IMAGE = 'nats:2.9.25-alpine';
export const ETCD_IMAGE = 'etcd:3.5.15';
export const TLS_MOUNT = '/etc/loupe/tls';
export const CONFIG_HASH_ANNOTATION = 'loupe.dev/config-hash';

export interface RenderInput {
  /** The Vizier with metadata (name, namespace, uid) and a fully defaulted spec (withDefaults). */
  vizier: DefaultedVizier;
  tls: TlsMaterial;
  /** Version each component runs (the rollout plan); a missing entry means spec.version. */
  versions?: Partial<Record<Component, string>>;
}

const DEFAULT_RESOURCES: Record<'nats' | 'etcd' | 'metadata' | 'query-broker' | 'cloud-connector', ResourceSpec> = {
  nats: { cpuRequest: '100m', memoryRequest: '128Mi', memoryLimit: '512Mi' },
  etcd: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '1Gi' },
  metadata: { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '1Gi' },
  'query-broker': { cpuRequest: '100m', memoryRequest: '256Mi', memoryLimit: '1Gi' },
  'cloud-connector': { cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '512Mi' },
};

export function tlsSecretName(instance: string): string {
  return childName(instance, 'tls');
}

/**
 * What the metadata ClusterRole grants. The operator must hold these rules itself (RBAC lets
 * no one grant more than they have), so its own RBAC is generated with them.
 */
export const METADATA_READ_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['pods', 'services', 'nodes', 'namespaces', 'endpoints'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['replicasets', 'deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'list', 'watch'] },
  // Service membership comes from EndpointSlices (dataplane/metadata/cluster-index.ts).
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
];

/** ':' cannot occur in namespace or object names, so no two Viziers share this name. */
export function metadataClusterRoleName(namespace: string, instance: string): string {
  return `loupe:${namespace}:${instance}:metadata`;
}

/** Bytes of the PEM memory limit the table store may use. */
export function tableStoreBytes(spec: VizierSpec): number {
  return Math.floor((parseQuantity(spec.pem.resources.memoryLimit) * spec.pem.tableStorePercent) / 100);
}

function hash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** A spec value the schema lets through but the operator cannot use; the Vizier reports it as InvalidSpec. */
export class InvalidSpecError extends Error {
  override readonly name = 'InvalidSpecError';
}

function specCidrs<K extends string>(field: string, key: K, values: readonly string[] | undefined): { [P in K]?: Cidr[] } {
  if (values === undefined) return {};
  const parsed = values.map((v, i) => {
    try {
      return parseCidr(v);
    } catch (err) {
      if (err instanceof CidrError) throw new InvalidSpecError(`${field}[${i}] ${err.message}`);
      throw err;
    }
  });
  return { [key]: parsed } as { [P in K]?: Cidr[] };
}

export function renderVizier(input: RenderInput): KubernetesObject[] {
  const vz = input.vizier;
  const spec = vz.spec;
  const name = vz.metadata.name!;
  const ns = vz.metadata.namespace!;
  const svc = serviceNames(name);
  const comps = componentsOf(spec);
  const versionOf = (c: Component) => input.versions?.[c] ?? spec.version;
  const image = (c: Component) => `${spec.registry}/loupe:${versionOf(c)}`;
  const extraLabels = spec.podPolicy.labels ?? {};

  const meta = (component: string, objName = childName(name, component), version?: string) => ({
    name: objName,
    namespace: ns,
    labels: { ...extraLabels, ...commonLabels(APP, name, component), ...(version ? { [VERSION_LABEL]: version } : {}) },
    ownerReferences: [controllerRef(vz)],
  });

  const natsUrl = `tls://${svc['nats']}.${ns}.svc:${Ports.natsClient}`;
  const queryBrokerService = { host: `${svc['queryBroker']}.${ns}.svc`, port: Ports.queryBroker };
  const configData: Record<string, string> = {
    clusterName: spec.clusterName || `${ns}/${name}`,
    dataAccess: spec.dataAccess,
    protocols: spec.pem.protocols.join(','),
    dataRetention: spec.pem.dataRetention,
    tableStoreLimitBytes: String(tableStoreBytes(spec)),
    natsUrl,
    metadataAddr: `${svc['metadata']}.${ns}.svc:${Ports.metadata}`,
    queryBrokerAddr: formatHostPort(queryBrokerService),
    kelvinAddr: `${svc['kelvin']}.${ns}.svc:${Ports.kelvin}`,
    metadataStorage: spec.metadata.storage,
    ...(spec.metadata.storage === 'etcd' ? { etcdEndpoints: `https://${svc['etcd']}.${ns}.svc:${Ports.etcdClient}` } : {}),
  };
  const configMap: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('config'), data: configData };
  // Pods restart when their configuration or certificate changes.
  const podHash = hash(JSON.stringify(configData), input.tls.crt);

  const fieldEnv = (envName: string, fieldPath: string): V1EnvVar => ({ name: envName, valueFrom: { fieldRef: { fieldPath } } });
  // Each Loupe container gets what its role contract declares (crds/contract/), nothing else.
  const connection = { nats: natsUrl, tlsDir: TLS_MOUNT, healthAddr: { host: '0.0.0.0', port: Ports.health } };
  const identity = { clusterName: configData['clusterName']!, vizierName: name };
  const tlsVolume: V1Volume = { name: 'tls', secret: { secretName: tlsSecretName(name), defaultMode: 0o440 } };
  const tlsMount: V1VolumeMount = { name: 'tls', mountPath: TLS_MOUNT, readOnly: true };

  // Defaults fill what podPolicy.resources leaves out, but a default request never exceeds a user's lower limit.
  const resourcesFor = (c: keyof typeof DEFAULT_RESOURCES): ResourceSpec => {
    const r: ResourceSpec = { ...DEFAULT_RESOURCES[c], ...(spec.podPolicy.resources ?? {}) };
    const user: ResourceSpec = spec.podPolicy.resources ?? {};
    if (!user.memoryRequest && r.memoryLimit && r.memoryRequest && parseQuantity(r.memoryRequest) > parseQuantity(r.memoryLimit)) r.memoryRequest = r.memoryLimit;
    if (!user.cpuRequest && r.cpuLimit && r.cpuRequest && parseQuantity(r.cpuRequest) > parseQuantity(r.cpuLimit)) r.cpuRequest = r.cpuLimit;
    return r;
  };

  const loupeContainer = (c: Component, extra: { env: V1EnvVar[]; ports?: { name: string; port: number }[]; resources: ResourceSpec; mounts?: V1VolumeMount[] }): V1Container => ({
    name: c,
    image: image(c),
    args: [c],
    env: extra.env,
    ports: [{ name: 'health', containerPort: Ports.health }, ...(extra.ports ?? []).map((p) => ({ name: p.name, containerPort: p.port }))],
    resources: toRequirements(extra.resources),
    readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, periodSeconds: 5, failureThreshold: 3 },
    livenessProbe: { httpGet: { path: '/healthz', port: 'health' }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
    volumeMounts: [tlsMount, ...(extra.mounts ?? [])],
    // The image runs as 65532 by default; the PEM loads eBPF programs, which takes root's capabilities.
    ...(c === 'pem' ? { securityContext: { privileged: true, runAsUser: 0 } } : { securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001 } }),
  });

  const template = (c: Component, podSpec: NonNullable<V1PodTemplateSpec['spec']>, opts: { privileged?: boolean; nodeSelector?: Record<string, string>; tolerations?: V1Toleration[] } = {}): V1PodTemplateSpec =>
    applyPodPolicy(
      {
        // NATS and etcd images do not follow the Loupe version: a version label would restart them for nothing.
        metadata: { labels: { ...commonLabels(APP, name, c), ...(c === 'nats' || c === 'etcd' ? {} : { [VERSION_LABEL]: versionOf(c) }) }, annotations: { [CONFIG_HASH_ANNOTATION]: podHash } },
        spec: { ...podSpec, nodeSelector: { 'kubernetes.io/os': 'linux', ...(podSpec.nodeSelector ?? {}) } },
      },
      spec.podPolicy,
      { privileged: opts.privileged, extraNodeSelector: opts.nodeSelector, extraTolerations: opts.tolerations },
    );

  const service = (component: string, ports: V1ServicePort[], opts: { headless?: boolean; objName?: string; selectComponent?: string } = {}): V1Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(component, opts.objName),
    spec: {
      ...(opts.headless ? { clusterIP: 'None', publishNotReadyAddresses: true } : {}),
      selector: selectorLabels(APP, name, opts.selectComponent ?? component),
      ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    },
  });

  const sa = (component: string, automount: boolean): V1ServiceAccount => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(component, childName(name, component)),
    automountServiceAccountToken: automount,
    ...(spec.podPolicy.imagePullSecrets?.length ? { imagePullSecrets: spec.podPolicy.imagePullSecrets.map((s) => ({ name: s.name })) } : {}),
  });
  const saPem = childName(name, 'pem');
  const saMetadata = childName(name, 'metadata');
  const saVizier = childName(name, 'vizier');
  const saKelvin = childName(name, 'kelvin');

  const out: KubernetesObject[] = [];
  out.push(configMap);
  out.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('tls', tlsSecretName(name)),
    type: 'kubernetes.io/tls',
    data: {
      'ca.crt': b64(input.tls.caCrt),
      'tls.crt': b64(input.tls.crt),
      'tls.key': b64(input.tls.key),
    },
  } as V1Secret);
  out.push({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('tls-ca', childName(name, 'tls-ca')),
    type: 'Opaque',
    data: { 'ca.crt': b64(input.tls.caCrt), 'ca.key': b64(input.tls.caKey) },
  } as V1Secret);
  out.push(sa('pem', true), sa('metadata', true), sa('kelvin', true), sa('vizier', false));

  // Metadata reads cluster-wide objects: a ClusterRole bound to its ServiceAccount, and to the
  // PEM's and Kelvin's, which watch pods, services and EndpointSlices for the query's metadata
  // functions (dataplane/roles/kube.ts).
  const crName = metadataClusterRoleName(ns, name);
  const clusterMeta = { name: crName, labels: { ...extraLabels, ...commonLabels(APP, name, 'metadata') }, annotations: ownerAnnotation(vz) };
  out.push({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: clusterMeta,
    rules: structuredClone(METADATA_READ_RULES) as PolicyRule[],
  } as V1ClusterRole);
  out.push({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: clusterMeta,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: crName },
    subjects: [saMetadata, saPem, saKelvin].map((n) => ({ kind: 'ServiceAccount', name: n, namespace: ns })),
  } as V1ClusterRoleBinding);

  // NATS: the message bus every other component needs first.
  const natsConf = [
    `port: ${Ports.natsClient}`,
    `http_port: ${Ports.natsMonitor}`,
    'server_name: $POD_NAME',
    'tls {',
    `  cert_file: "${TLS_MOUNT}/tls.crt"`,
    `  key_file: "${TLS_MOUNT}/tls.key"`,
    `  ca_file: "${TLS_MOUNT}/ca.crt"`,
    '  verify: true',
    '}',
    'jetstream {',
    '  store_dir: "/data/jetstream"',
    '  max_memory_store: 256MB',
    '  max_file_store: 1GB',
    '}',
    '',
  ].join('\n');
  out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('nats', childName(name, 'nats-config')), data: { 'nats.conf': natsConf } } as V1ConfigMap);
  out.push(service('nats', [{ name: 'client', port: Ports.natsClient, targetPort: 'client' }]));
  out.push(
    service('nats', [
      { name: 'client', port: Ports.natsClient },
      { name: 'cluster', port: Ports.natsCluster },
      { name: 'monitor', port: Ports.natsMonitor },
    ], { headless: true, objName: svc['natsHeadless'] }),
  );
  out.push({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('nats', childName(name, 'nats', STATEFULSET_NAME_MAX), versionOf('nats')),
    spec: {
      replicas: 1,
      serviceName: svc['natsHeadless']!,
      selector: { matchLabels: selectorLabels(APP, name, 'nats') },
      template: template('nats', {
        serviceAccountName: saVizier,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: 'nats',
            image: `${spec.registry}/${NATS_IMAGE}`,
            args: ['-c', '/etc/nats/nats.conf'],
            env: [fieldEnv('POD_NAME', 'metadata.name')],
            ports: [
              { name: 'client', containerPort: Ports.natsClient },
              { name: 'cluster', containerPort: Ports.natsCluster },
              { name: 'monitor', containerPort: Ports.natsMonitor },
            ],
            resources: toRequirements(resourcesFor('nats')),
            livenessProbe: { httpGet: { path: '/healthz', port: 'monitor' }, initialDelaySeconds: 10, periodSeconds: 10 },
            readinessProbe: { httpGet: { path: '/healthz?js-enabled-only=true', port: 'monitor' }, periodSeconds: 5 },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001 },
            volumeMounts: [
              { name: 'config', mountPath: '/etc/nats', readOnly: true },
              { name: 'data', mountPath: '/data' },
              tlsMount,
            ],
          },
        ],
        volumes: [{ name: 'config', configMap: { name: childName(name, 'nats-config') } }, { name: 'data', emptyDir: {} }, tlsVolume],
      }),
    },
  } as V1StatefulSet);

  const pvc = (component: Component): V1PersistentVolumeClaim => ({
    // Full labels: the operator finds these claims (made by the StatefulSet controller) to delete them with the Vizier.
    metadata: { name: 'data', labels: commonLabels(APP, name, component) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: spec.metadata.storageSize } },
      ...(spec.metadata.storageClassName ? { storageClassName: spec.metadata.storageClassName } : {}),
    },
  });

  if (comps.has('etcd')) {
    out.push(service('etcd', [{ name: 'client', port: Ports.etcdClient }, { name: 'peer', port: Ports.etcdPeer }], { headless: true }));
    const etcdName = childName(name, 'etcd', STATEFULSET_NAME_MAX);
    out.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('etcd', etcdName, versionOf('etcd')),
      spec: {
        replicas: 1,
        serviceName: svc['etcd']!,
        selector: { matchLabels: selectorLabels(APP, name, 'etcd') },
        template: template('etcd', {
          serviceAccountName: saVizier,
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'etcd',
              image: `${spec.registry}/${ETCD_IMAGE}`,
              command: ['etcd'],
              args: [
                '--name=$(POD_NAME)',
                '--data-dir=/var/lib/etcd',
                `--listen-client-urls=https://0.0.0.0:${Ports.etcdClient}`,
                `--advertise-client-urls=https://$(POD_NAME).${svc['etcd']}.${ns}.svc:${Ports.etcdClient}`,
                `--listen-peer-urls=https://0.0.0.0:${Ports.etcdPeer}`,
                `--initial-advertise-peer-urls=https://$(POD_NAME).${svc['etcd']}.${ns}.svc:${Ports.etcdPeer}`,
                `--initial-cluster=$(POD_NAME)=https://$(POD_NAME).${svc['etcd']}.${ns}.svc:${Ports.etcdPeer}`,
                `--cert-file=${TLS_MOUNT}/tls.crt`, `--key-file=${TLS_MOUNT}/tls.key`, `--trusted-ca-file=${TLS_MOUNT}/ca.crt`, '--client-cert-auth',
                `--peer-cert-file=${TLS_MOUNT}/tls.crt`, `--peer-key-file=${TLS_MOUNT}/tls.key`, `--peer-trusted-ca-file=${TLS_MOUNT}/ca.crt`, '--peer-client-cert-auth',
              ],
              env: [fieldEnv('POD_NAME', 'metadata.name')],
              ports: [{ name: 'client', containerPort: Ports.etcdClient }, { name: 'peer', containerPort: Ports.etcdPeer }],
              resources: toRequirements(resourcesFor('etcd')),
              volumeMounts: [{ name: 'data', mountPath: '/var/lib/etcd' }, tlsMount],
            },
          ],
          volumes: [tlsVolume],
        }),
        volumeClaimTemplates: [pvc('etcd')],
      },
    } as V1StatefulSet);
  }

  // Metadata: one replica; its state lives where spec.metadata.storage says.
  out.push(service('metadata', [{ name: 'grpc', port: Ports.metadata }]));
  const metadataContainer = loupeContainer('metadata', {
    env: toEnv(METADATA_CONTRACT, { ...connection, storage: spec.metadata.storage, etcdEndpoints: configData['etcdEndpoints'] }),
    ports: [{ name: 'grpc', port: Ports.metadata }],
    resources: resourcesFor('metadata'),
    mounts: [{ name: 'data', mountPath: METADATA_DATA_DIR }],
  });
  const metadataPod = (volumes: V1Volume[]) =>
    template('metadata', { serviceAccountName: saMetadata, containers: [metadataContainer], volumes: [tlsVolume, ...volumes] });
  if (comps.get('metadata') === 'StatefulSet') {
    out.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('metadata', childName(name, 'metadata', STATEFULSET_NAME_MAX), versionOf('metadata')),
      spec: {
        replicas: 1,
        serviceName: svc['metadata']!,
        selector: { matchLabels: selectorLabels(APP, name, 'metadata') },
        template: metadataPod([]),
        volumeClaimTemplates: [pvc('metadata')],
      },
    } as V1StatefulSet);
  } else {
    out.push(deployment('metadata', 1, metadataPod([{ name: 'data', emptyDir: {} }])));
  }

  // Query broker and Kelvin: the query path.
  out.push(service('query-broker', [{ name: 'grpc', port: Ports.queryBroker }, { name: 'http', port: Ports.queryBrokerHttp }]));
  out.push(
    deployment('query-broker', 1, template('query-broker', {
      serviceAccountName: saVizier,
      automountServiceAccountToken: false,
      containers: [loupeContainer('query-broker', {
        env: toEnv(QUERY_BROKER_CONTRACT, connection),
        ports: [{ name: 'grpc', port: Ports.queryBroker }, { name: 'http', port: Ports.queryBrokerHttp }],
        resources: resourcesFor('query-broker'),
      })],
      volumes: [tlsVolume],
    })),
  );
  const kelvinLimit = spec.kelvin.resources.memoryLimit;
  out.push(service('kelvin', [{ name: 'grpc', port: Ports.kelvin }]));
  out.push(
    deployment('kelvin', spec.kelvin.replicas, template('kelvin', {
      serviceAccountName: saKelvin,
      automountServiceAccountToken: true,
      containers: [loupeContainer('kelvin', {
        env: toEnv(KELVIN_CONTRACT, { ...connection, ...identity, queryMemory: Math.floor(parseQuantity(kelvinLimit) / 2) }),
        ports: [{ name: 'grpc', port: Ports.kelvin }],
        resources: spec.kelvin.resources,
      })],
      volumes: [tlsVolume],
    })),
  );

  if (spec.cloud) {
    const cloud = spec.cloud;
    out.push(service('cloud-connector', [{ name: 'grpc', port: Ports.cloudConnector }]));
    const caVolume: V1Volume[] = cloud.caSecretRef ? [{ name: 'cloud-ca', secret: { secretName: cloud.caSecretRef.name, items: [{ key: cloud.caSecretRef.key, path: 'ca.crt' }] } }] : [];
    // Until this build has `loupe cloud-connector`, its pods could only exit 2: none run (assess.ts says why).
    out.push(
      deployment('cloud-connector', CLOUD_CONNECTOR_CONTRACT.built ? 1 : 0, template('cloud-connector', {
        serviceAccountName: saVizier,
        automountServiceAccountToken: false,
        containers: [loupeContainer('cloud-connector', {
          env: toEnv(
            CLOUD_CONNECTOR_CONTRACT,
            { ...connection, ...identity, cloudAddr: cloud.address, cloudInsecureSkipVerify: cloud.insecureSkipVerify, queryBrokerAddr: queryBrokerService },
            { deployKey: cloud.deployKeySecretRef },
          ),
          ports: [{ name: 'grpc', port: Ports.cloudConnector }],
          resources: resourcesFor('cloud-connector'),
          mounts: cloud.caSecretRef ? [{ name: 'cloud-ca', mountPath: '/etc/loupe/cloud-ca', readOnly: true }] : [],
        })],
        volumes: [tlsVolume, ...caVolume],
      })),
    );
  }

  // PEM: privileged, in the host PID and network namespaces, with the kernel interfaces eBPF needs.
  const hostPath = (volName: string, path: string, type = 'Directory'): V1Volume => ({ name: volName, hostPath: { path, type } });
  out.push({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta('pem', childName(name, 'pem'), versionOf('pem')),
    spec: {
      selector: { matchLabels: selectorLabels(APP, name, 'pem') },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '20%' } },
      template: template(
        'pem',
        {
          serviceAccountName: saPem,
          automountServiceAccountToken: true,
          hostPID: true,
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          terminationGracePeriodSeconds: 10,
          containers: [
            loupeContainer('pem', {
              env: toEnv(PEM_CONTRACT, {
                ...connection,
                ...identity,
                dataAccess: spec.dataAccess,
                protocols: spec.pem.protocols,
                traceRoles: spec.pem.traceRoles,
                ...specCidrs('spec.pem.clusterCIDRs', 'clusterCidrs', spec.pem.clusterCIDRs),
                ...specCidrs('spec.pem.serviceCIDRs', 'serviceCidrs', spec.pem.serviceCIDRs),
                tableStoreBytes: tableStoreBytes(spec),
                retention: parseDurationMs(spec.pem.dataRetention),
                hostPrefix: '/host',
                nodeOptions: `--max-old-space-size=${heapMiB(spec)}`,
              }),
              ports: [{ name: 'grpc', port: Ports.pem }],
              resources: spec.pem.resources,
              mounts: [
                { name: 'host-sys', mountPath: '/host/sys', readOnly: true },
                { name: 'host-proc', mountPath: '/host/proc', readOnly: true },
                { name: 'btf', mountPath: '/sys/kernel/btf', readOnly: true },
                { name: 'tracefs', mountPath: '/sys/kernel/tracing' },
                { name: 'debugfs', mountPath: '/sys/kernel/debug' },
                { name: 'cgroup', mountPath: '/host/sys/fs/cgroup', readOnly: true },
                { name: 'bpffs', mountPath: '/sys/fs/bpf' },
              ],
            }),
          ],
          volumes: [
            tlsVolume,
            hostPath('host-sys', '/sys'),
            hostPath('host-proc', '/proc'),
            hostPath('btf', '/sys/kernel/btf', 'DirectoryOrCreate'),
            hostPath('tracefs', '/sys/kernel/tracing', 'DirectoryOrCreate'),
            hostPath('debugfs', '/sys/kernel/debug', 'DirectoryOrCreate'),
            hostPath('cgroup', '/sys/fs/cgroup'),
            hostPath('bpffs', '/sys/fs/bpf', 'DirectoryOrCreate'),
          ],
        },
        { privileged: true, nodeSelector: spec.pem.nodeSelector, tolerations: spec.pem.tolerations as V1Toleration[] | undefined },
      ),
    },
  } as V1DaemonSet);

  return applyPatches(out, spec.patches);

  function deployment(c: Component, replicas: number, tpl: V1PodTemplateSpec): V1Deployment {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(c, childName(name, c), versionOf(c)),
      spec: { replicas, selector: { matchLabels: selectorLabels(APP, name, c) }, template: tpl },
    };
  }
}

/** The PEM's JS heap gets what the table store (off-heap typed arrays) leaves, minus headroom. */
export function heapMiB(spec: VizierSpec): number {
  const limit = parseQuantity(spec.pem.resources.memoryLimit);
  return Math.max(128, Math.floor(((limit - tableStoreBytes(spec)) * 0.75) / 2 ** 20));
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}
