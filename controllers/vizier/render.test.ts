import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1ClusterRole, V1ClusterRoleBinding, V1Container, V1PodTemplateSpec, V1DaemonSet, V1StatefulSet, V1Deployment, V1Secret } from '@kubernetes/client-node';
import { renderVizier, tableStoreBytes, metadataClusterRoleName } from './render.js';
import { PatchError } from '../common/patches.js';
import { vizier, tls } from './fixtures.test-util.js';

const render = (spec: Record<string, unknown> = {}, versions?: Record<string, string>) => renderVizier({ vizier: vizier(spec), tls: tls(), ...(versions ? { versions } : {}) });
const find = <T extends KubernetesObject>(objs: KubernetesObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(o, `${kind} ${name} rendered`);
  return o as T;
};
const templates = (objs: KubernetesObject[]): [string, V1PodTemplateSpec][] =>
  objs.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind!)).map((o) => [o.metadata!.name!, (o as V1Deployment).spec!.template]);
const containers = (objs: KubernetesObject[]): V1Container[] => templates(objs).flatMap(([, t]) => [...(t.spec!.initContainers ?? []), ...t.spec!.containers]);
const envOf = (c: V1Container, name: string) => c.env?.find((e) => e.name === name)?.value;

test('an empty spec renders the whole data plane', () => {
  const objs = render();
  const names = objs.map((o) => `${o.kind}/${o.metadata!.name}`).sort();
  assert.deepEqual(names, [
    'ClusterRole/loupe:obs:vz:metadata', 'ClusterRoleBinding/loupe:obs:vz:metadata',
    'ConfigMap/vz-config', 'ConfigMap/vz-nats-config',
    'DaemonSet/vz-pem',
    'Deployment/vz-kelvin', 'Deployment/vz-query-broker',
    'Secret/vz-tls', 'Secret/vz-tls-ca',
    'Service/vz-kelvin', 'Service/vz-metadata', 'Service/vz-nats', 'Service/vz-nats-headless', 'Service/vz-query-broker',
    'ServiceAccount/vz-kelvin', 'ServiceAccount/vz-metadata', 'ServiceAccount/vz-pem', 'ServiceAccount/vz-vizier',
    'StatefulSet/vz-metadata', 'StatefulSet/vz-nats',
  ]);
});

test('the metadata ClusterRole reads, cluster-wide, what the metadata service watches (EndpointSlices for service membership), and writes nothing', () => {
  const role = find<V1ClusterRole>(render(), 'ClusterRole', 'loupe:obs:vz:metadata');
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['pods', 'services', 'nodes', 'namespaces', 'endpoints'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['apps'], resources: ['replicasets', 'deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
  ]);
});

test('the metadata ClusterRole is bound to the metadata service, the PEMs and Kelvin, whose pods mount their tokens; the broker\'s does not', () => {
  const objs = render();
  const binding = find<V1ClusterRoleBinding>(objs, 'ClusterRoleBinding', 'loupe:obs:vz:metadata');
  assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'loupe:obs:vz:metadata' });
  assert.deepEqual(binding.subjects, ['vz-metadata', 'vz-pem', 'vz-kelvin'].map((name) => ({ kind: 'ServiceAccount', name, namespace: 'obs' })));
  const pods = new Map(templates(objs));
  assert.equal(pods.get('vz-pem')!.spec!.serviceAccountName, 'vz-pem');
  assert.equal(pods.get('vz-pem')!.spec!.automountServiceAccountToken, true);
  assert.equal(pods.get('vz-kelvin')!.spec!.serviceAccountName, 'vz-kelvin');
  assert.equal(pods.get('vz-kelvin')!.spec!.automountServiceAccountToken, true);
  assert.equal(pods.get('vz-query-broker')!.spec!.serviceAccountName, 'vz-vizier');
  assert.equal(pods.get('vz-query-broker')!.spec!.automountServiceAccountToken, false);
});

test('namespaced children carry a controller ownerReference; cluster-scoped ones the owner annotation', () => {
  for (const o of render()) {
    if (o.kind!.startsWith('Cluster')) {
      assert.equal(o.metadata!.namespace, undefined);
      assert.equal(o.metadata!.annotations?.['loupe.dev/owner'], 'obs/vz');
      assert.equal(o.metadata!.ownerReferences, undefined);
    } else {
      assert.equal(o.metadata!.namespace, 'obs');
      assert.deepEqual(o.metadata!.ownerReferences, [{ apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', name: 'vz', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
    }
    assert.equal(o.metadata!.labels!['app.kubernetes.io/managed-by'], 'loupe-operator');
    assert.equal(o.metadata!.labels!['app.kubernetes.io/instance'], 'vz');
  }
});

test('registry applies to every image, NATS and etcd included', () => {
  const objs = render({ registry: 'mirror.internal:5000/loupe', metadata: { storage: 'etcd' }, cloud: { address: 'cloud.example:443', deployKeySecretRef: { name: 'dk' } } });
  const images = containers(objs).map((c) => c.image!);
  assert.ok(images.length >= 7);
  for (const img of images) assert.match(img, /^mirror\.internal:5000\/loupe\//, img);
  assert.ok(images.some((i) => i.includes('/nats:')));
  assert.ok(images.some((i) => i.includes('/etcd:')));
});

test('PEM memory limit flows into the table-store limit and the JS heap bound', () => {
  const objs = render({ pem: { resources: { memoryLimit: '4Gi', memoryRequest: '3Gi' }, tableStorePercent: 50 } });
  const pem = find<V1DaemonSet>(objs, 'DaemonSet', 'vz-pem').spec!.template.spec!.containers[0]!;
  assert.equal(envOf(pem, 'LOUPE_TABLE_STORE_LIMIT_BYTES'), String(2 * 2 ** 30));
  assert.deepEqual(pem.resources, { requests: { memory: '3Gi', cpu: '400m' }, limits: { memory: '4Gi' } });
  assert.equal(envOf(pem, 'NODE_OPTIONS'), `--max-old-space-size=${Math.floor((2 * 2 ** 30 * 0.75) / 2 ** 20)}`);
  assert.equal(tableStoreBytes(vizier().spec), Math.floor(2 * 2 ** 30 * 0.6));
});

test('the PEM is privileged, as root, in the host PID namespace with /sys, BTF, tracefs, cgroup and bpffs mounted', () => {
  const ds = find<V1DaemonSet>(render(), 'DaemonSet', 'vz-pem');
  const spec = ds.spec!.template.spec!;
  assert.equal(spec.hostPID, true);
  assert.equal(spec.containers[0]!.securityContext?.privileged, true);
  assert.equal(spec.containers[0]!.securityContext?.runAsUser, 0, 'as root: the image\'s own user is 65532');
  const paths = spec.volumes!.filter((v) => v.hostPath).map((v) => v.hostPath!.path).sort();
  assert.deepEqual(paths, ['/proc', '/sys', '/sys/fs/bpf', '/sys/fs/cgroup', '/sys/kernel/btf', '/sys/kernel/debug', '/sys/kernel/tracing']);
});

test('pod policy reaches every pod template; the PEM keeps its own security context', () => {
  const objs = render({
    podPolicy: {
      labels: { team: 'sre' },
      annotations: { 'example.com/a': 'b' },
      nodeSelector: { pool: 'obs' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'obs', effect: 'NoSchedule' }],
      priorityClassName: 'high',
      imagePullSecrets: [{ name: 'regcred' }],
      securityContext: { fsGroup: 2000 },
    },
    pem: { tolerations: [{ operator: 'Exists' }], nodeSelector: { ebpf: 'yes' } },
  });
  for (const [name, t] of templates(objs)) {
    assert.equal(t.metadata!.labels!['team'], 'sre', name);
    assert.equal(t.metadata!.labels!['app.kubernetes.io/instance'], 'vz', name);
    assert.equal(t.metadata!.annotations!['example.com/a'], 'b', name);
    assert.equal(t.spec!.nodeSelector!['pool'], 'obs', name);
    assert.equal(t.spec!.priorityClassName, 'high', name);
    assert.deepEqual(t.spec!.imagePullSecrets, [{ name: 'regcred' }], name);
    assert.ok(t.spec!.tolerations!.some((x) => x.key === 'dedicated'), name);
    if (name === 'vz-pem') {
      assert.equal(t.spec!.securityContext, undefined);
      assert.equal(t.spec!.nodeSelector!['ebpf'], 'yes');
      assert.ok(t.spec!.tolerations!.some((x) => x.operator === 'Exists' && !x.key));
    } else {
      assert.deepEqual(t.spec!.securityContext, { fsGroup: 2000 }, name);
      assert.equal(t.spec!.nodeSelector!['ebpf'], undefined, name);
    }
  }
  for (const o of objs) assert.equal(o.metadata!.labels!['team'], 'sre', `${o.kind} ${o.metadata!.name}`);
});

test('cloud connector exists only when spec.cloud is set and takes its key from the referenced Secret', () => {
  assert.ok(!render().some((o) => o.metadata!.name === 'vz-cloud-connector'));
  const objs = render({ cloud: { address: 'cloud.example:443', deployKeySecretRef: { name: 'deploy', key: 'k' } } });
  const c = find<V1Deployment>(objs, 'Deployment', 'vz-cloud-connector').spec!.template.spec!.containers[0]!;
  assert.deepEqual(c.env!.find((e) => e.name === 'LOUPE_DEPLOY_KEY')!.valueFrom, { secretKeyRef: { name: 'deploy', key: 'k' } });
  assert.equal(envOf(c, 'LOUPE_CLOUD_ADDR'), 'cloud.example:443');
  assert.equal(find<V1Deployment>(objs, 'Deployment', 'vz-cloud-connector').spec!.replicas, 0, 'no pods while loupe cloud-connector is not built');
});

test('metadata storage: persistent uses a volume claim, memory a Deployment, etcd an etcd StatefulSet', () => {
  const persistent = find<V1StatefulSet>(render({ metadata: { storageSize: '5Gi', storageClassName: 'fast' } }), 'StatefulSet', 'vz-metadata');
  assert.equal(persistent.spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!['storage'], '5Gi');
  assert.equal(persistent.spec!.volumeClaimTemplates![0]!.spec!.storageClassName, 'fast');
  const memory = render({ metadata: { storage: 'memory' } });
  find(memory, 'Deployment', 'vz-metadata');
  assert.ok(!memory.some((o) => o.metadata!.name === 'vz-etcd'));
  const etcd = render({ metadata: { storage: 'etcd' } });
  find(etcd, 'StatefulSet', 'vz-etcd');
  const md = find<V1Deployment>(etcd, 'Deployment', 'vz-metadata').spec!.template.spec!.containers[0]!;
  assert.equal(envOf(md, 'LOUPE_ETCD_ENDPOINTS'), 'https://vz-etcd.obs.svc:2379');
});

test('Kelvin replicas and memory limit are honoured and bound query memory', () => {
  const k = find<V1Deployment>(render({ kelvin: { replicas: 3, resources: { memoryLimit: '8Gi' } } }), 'Deployment', 'vz-kelvin');
  assert.equal(k.spec!.replicas, 3);
  const c = k.spec!.template.spec!.containers[0]!;
  assert.equal(c.resources!.limits!['memory'], '8Gi');
  assert.equal(envOf(c, 'LOUPE_QUERY_MEMORY_LIMIT_BYTES'), String(4 * 2 ** 30));
});

test('dataAccess and protocols reach the PEMs, the roles that collect', () => {
  const objs = render({ dataAccess: 'PIIRestricted', pem: { protocols: ['http', 'dns'] } });
  const pem = find<V1DaemonSet>(objs, 'DaemonSet', 'vz-pem').spec!.template.spec!.containers[0]!;
  assert.equal(envOf(pem, 'LOUPE_DATA_ACCESS'), 'PIIRestricted');
  assert.equal(envOf(pem, 'LOUPE_PROTOCOLS'), 'http,dns');
  for (const c of containers(objs).filter((c) => c.name !== 'pem')) assert.equal(envOf(c, 'LOUPE_DATA_ACCESS'), undefined, c.name);
  assert.equal(envOf(find<V1DaemonSet>(render({ pem: { protocols: [] } }), 'DaemonSet', 'vz-pem').spec!.template.spec!.containers[0]!, 'LOUPE_PROTOCOLS'), 'none');
});

test('the rollout plan sets each component\'s image version and version label', () => {
  const objs = render({ version: '0.2.0' }, { pem: '0.1.0', kelvin: '0.1.0' });
  const ds = find<V1DaemonSet>(objs, 'DaemonSet', 'vz-pem');
  assert.match(ds.spec!.template.spec!.containers[0]!.image!, /:0\.1\.0$/);
  assert.equal(ds.metadata!.labels!['app.kubernetes.io/version'], '0.1.0');
  assert.match(find<V1Deployment>(objs, 'Deployment', 'vz-query-broker').spec!.template.spec!.containers[0]!.image!, /:0\.2\.0$/);
});

test('patches apply last: merge and RFC 6902, targeted by kind and component', () => {
  const objs = render({
    patches: [
      { target: { kind: 'DaemonSet', component: 'pem' }, type: 'merge', merge: { spec: { template: { spec: { hostNetwork: false } } } } },
      { target: { kind: 'Deployment' }, type: 'json', operations: [{ op: 'add', path: '/metadata/annotations', value: { patched: 'yes' } }] },
    ],
  });
  assert.equal(find<V1DaemonSet>(objs, 'DaemonSet', 'vz-pem').spec!.template.spec!.hostNetwork, false);
  for (const d of objs.filter((o) => o.kind === 'Deployment')) assert.equal(d.metadata!.annotations!['patched'], 'yes');
  assert.equal(find(objs, 'StatefulSet', 'vz-nats').metadata!.annotations, undefined);
});

test('a patch that cannot apply is an error naming the patch', () => {
  assert.throws(
    () => render({ patches: [{ target: { kind: 'Deployment' }, type: 'json', operations: [{ op: 'replace', path: '/spec/nope/deeper', value: 1 }] }] }),
    (err: unknown) => err instanceof PatchError && err.field === 'spec.patches[0]' && /Deployment vz-/.test(err.message),
  );
  assert.throws(() => render({ patches: [{ target: { kind: 'Service' }, type: 'merge', merge: { metadata: { name: 'other' } } }] }), /may not change/);
});

test('rendering is deterministic and the TLS Secret carries the material', () => {
  assert.deepEqual(render({ kelvin: { replicas: 2 } }), render({ kelvin: { replicas: 2 } }));
  const s = find<V1Secret>(render(), 'Secret', 'vz-tls');
  assert.equal(Buffer.from(s.data!['tls.crt']!, 'base64').toString(), tls().crt);
  assert.equal(s.type, 'kubernetes.io/tls');
});

test('children of a very long instance name stay within the 63-character limit', () => {
  const long = 'a'.repeat(60);
  const objs = renderVizier({ vizier: vizier({}, { name: long }), tls: tls() });
  for (const o of objs) if (!o.kind!.startsWith('Cluster')) assert.ok(o.metadata!.name!.length <= (o.kind === 'StatefulSet' ? 52 : 63), `${o.kind} ${o.metadata!.name}`);
  assert.ok(metadataClusterRoleName('ns', long).length <= 253);
  assert.notEqual(metadataClusterRoleName('team-a', 'vz'), metadataClusterRoleName('team', 'a-vz'), 'no collisions across namespaces');
});

test('a podPolicy memory limit below a default request lowers the request instead of producing an invalid pod', () => {
  const nats = find<V1StatefulSet>(render({ podPolicy: { resources: { memoryLimit: '64Mi' } } }), 'StatefulSet', 'vz-nats').spec!.template.spec!.containers[0]!;
  assert.deepEqual(nats.resources!.requests!['memory'], '64Mi');
  assert.deepEqual(nats.resources!.limits!['memory'], '64Mi');
});

test('NATS and etcd pods carry no version label, so a Loupe version change does not restart them; etcd keeps its data on a volume', () => {
  const objs = render({ version: '0.2.0', metadata: { storage: 'etcd', storageSize: '3Gi' } });
  for (const c of ['vz-nats', 'vz-etcd']) {
    const sts = find<V1StatefulSet>(objs, 'StatefulSet', c);
    assert.equal(sts.spec!.template.metadata!.labels!['app.kubernetes.io/version'], undefined, c);
    assert.equal(sts.metadata!.labels!['app.kubernetes.io/version'], '0.2.0', `${c} workload still records the version for rollout order`);
  }
  assert.equal(find<V1StatefulSet>(objs, 'StatefulSet', 'vz-etcd').spec!.volumeClaimTemplates![0]!.spec!.resources!.requests!['storage'], '3Gi');
});
