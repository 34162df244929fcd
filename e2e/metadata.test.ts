// The metadata service's cluster view against a real kube-apiserver: pods, services and
// EndpointSlices listed and watched in every namespace, service membership from slices (and
// from selectors where no slice tells), container id → pod, every change (labels, selectors,
// status, deletions) reflected, and deleted pods and services still resolvable afterwards. No
// kubelet and no controller-manager run: pod status (IP, phase, container ids) is written through
// the status subresource, as a kubelet would, and EndpointSlices by hand (discovery.k8s.io/v1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { startKube, type KubeEnv } from './harness/kube.js';
import { api, waitFor } from './harness/cluster.js';
import { kubeTime } from './harness/kubelet.js';
import { KubeMetadata } from '../dataplane/metadata/kube.js';
import { LocalMetadata } from '../dataplane/metadata/local.js';
import { NodeMetadata } from '../dataplane/metadata/node.js';

const NS = 'metadata-e2e';
const OTHER_NS = 'metadata-e2e-other';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const CID_WEB = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809';
const CID_WEB_RESTARTED = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
const CID_DB = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
const CID_API = '5a'.repeat(32);

let env: KubeEnv;
let core: CoreV1Api;
let md: KubeMetadata;
const uids: Record<string, string> = {};

async function createPod(namespace: string, name: string, labels: Record<string, string>): Promise<V1Pod> {
  const pod = await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels },
      spec: { nodeName: 'node-1', automountServiceAccountToken: false, containers: [{ name: name.split('-')[0]!, image: 'registry.example/app:1' }] },
    },
  });
  uids[name] = pod.metadata!.uid!;
  return pod;
}

/** What a kubelet writes once the pod runs: IP, phase, start time, container ids. */
async function setPodStatus(namespace: string, name: string, s: { ip: string; phase: string; containerId: string; lastContainerId?: string; startTime?: Date }): Promise<void> {
  const container = name.split('-')[0]!;
  await core.patchNamespacedPodStatus({
    name,
    namespace,
    body: {
      status: {
        phase: s.phase,
        podIP: s.ip,
        podIPs: [{ ip: s.ip }],
        hostIP: '192.168.50.1',
        startTime: kubeTime(s.startTime ?? new Date('2024-05-02T10:15:00Z')),
        containerStatuses: [{
          name: container,
          image: 'registry.example/app:1',
          imageID: '',
          ready: s.phase === 'Running',
          restartCount: s.lastContainerId ? 1 : 0,
          containerID: `containerd://${s.containerId}`,
          state: { running: { startedAt: kubeTime() } },
          ...(s.lastContainerId ? { lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', containerID: `containerd://${s.lastContainerId}` } } } : {}),
        }],
      },
    },
  }, MERGE_PATCH);
}

async function createService(namespace: string, name: string, selector: Record<string, string> | undefined): Promise<string> {
  const svc = await core.createNamespacedService({ namespace, body: { metadata: { name }, spec: { ...(selector ? { selector } : {}), ports: [{ port: 80 }] } } });
  uids[`svc/${namespace}/${name}`] = svc.metadata!.uid!;
  return svc.spec!.clusterIP!;
}


type SliceEndpoint = { addresses: string[]; targetRef?: { kind: 'Pod'; namespace?: string; name: string; uid?: string } };

/** An EndpointSlice as the controller (or a person, for a service without a selector) writes it. */
async function putEndpointSlice(namespace: string, name: string, service: string, endpoints: SliceEndpoint[]): Promise<void> {
  const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
  const body = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: '', port: 80, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({ ...e, conditions: { ready: true } })),
  };
  const existing = await api(env.kc).request({ method: 'GET', path: `${path}/${name}` }).catch(() => undefined) as { metadata: { resourceVersion: string } } | undefined;
  if (existing) await api(env.kc).request({ method: 'PUT', path: `${path}/${name}`, body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion } } });
  else await api(env.kc).request({ method: 'POST', path, body });
}

/** A fake /proc with one process (pid 4321, start 555, in the given container). */
function fakeProc(containerId: string): string {
  const proc = mkdtempSync(join(tmpdir(), 'loupe-metadata-e2e-proc-'));
  mkdirSync(join(proc, '4321'));
  const fields = ['S', 1, 4321, 4321, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, 555, 0, 0];
  writeFileSync(join(proc, '4321', 'stat'), `4321 (nginx) ${fields.join(' ')}\n`);
  writeFileSync(join(proc, '4321', 'cmdline'), 'nginx\0-g\0daemon off;\0');
  writeFileSync(join(proc, '4321', 'cgroup'), `0::/system.slice/containerd.service/cri-containerd-${containerId}.scope\n`);
  return proc;
}

const ips: Record<string, string> = {};

before(async () => {
  env = await startKube({ controllerManager: false });
  core = env.kc.makeApiClient(CoreV1Api);
  for (const ns of [NS, OTHER_NS]) {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    // No controller-manager creates it, and pod admission needs the namespace's default account.
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'default' } } });
  }
  ips.web = await createService(NS, 'web', { app: 'web' });
  ips.front = await createService(NS, 'front', { tier: 'front' });
  ips.otherWeb = await createService(OTHER_NS, 'web', { app: 'web' });
  await createPod(NS, 'web-0', { app: 'web', tier: 'front' });
  await createPod(NS, 'db-0', { app: 'db' });
  await setPodStatus(NS, 'web-0', { ip: '10.244.1.10', phase: 'Running', containerId: CID_WEB });
  await setPodStatus(NS, 'db-0', { ip: '10.244.1.11', phase: 'Running', containerId: CID_DB });
  // Created before the view starts, so the first LIST (not the watch) must deliver these.
  md = KubeMetadata.fromKubeConfig(env.kc, { nodeName: 'node-1' });
  await md.start(30_000);
}, { timeout: 120_000 });

after(async () => {
  md?.stop();
  await env?.stop();
});

describe('metadata: the cluster view from a real API server', () => {
  it('finds a listed pod by uid, by "namespace/name" and by IP, with node, phase and start time', () => {
    const web = md.pod(uids['web-0']!);
    assert.ok(web, 'web-0 by uid');
    assert.equal(web.name, `${NS}/web-0`);
    assert.equal(web.namespace, NS);
    assert.equal(web.nodeName, 'node-1');
    assert.equal(web.ip, '10.244.1.10');
    assert.equal(web.status, 'Running');
    assert.equal(web.startTime, BigInt(Date.parse('2024-05-02T10:15:00Z')) * 1_000_000n);
    assert.equal(md.podByName(`${NS}/web-0`), web);
    assert.equal(md.podByIp('10.244.1.10'), web);
    assert.equal(md.podByIp('10.244.1.11')?.id, uids['db-0']);
  });

  it('finds services by uid, name and cluster IP; pods list the services whose selector matches them, namespace-scoped', () => {
    const web = md.serviceByName(`${NS}/web`);
    assert.ok(web);
    assert.equal(web.id, uids[`svc/${NS}/web`]);
    assert.equal(web.clusterIp, ips.web);
    assert.equal(md.serviceByIp(ips.web!), web);
    assert.equal(md.service(uids[`svc/${NS}/front`]!)?.name, `${NS}/front`);
    assert.deepEqual(md.pod(uids['web-0']!)?.serviceIds, [uids[`svc/${NS}/front`], uids[`svc/${NS}/web`]]);
    assert.deepEqual(md.pod(uids['db-0']!)?.serviceIds, []);
    assert.equal(md.serviceByName(`${OTHER_NS}/web`)?.clusterIp, ips.otherWeb);
  });

  it('resolves a process whose cgroup gives only a container id to its pod and container name', () => {
    const proc = fakeProc(CID_WEB);
    try {
      const view = new NodeMetadata(new LocalMetadata({ procRoot: proc, nodeName: 'node-1' }), md);
      const p = view.process('4321:555');
      assert.deepEqual(p, { upid: '4321:555', pid: 4321, cmdline: 'nginx -g daemon off;', containerId: CID_WEB, podId: uids['web-0'], containerName: 'web' });
      assert.equal(view.pod(p.podId!)?.name, `${NS}/web-0`);
      assert.equal(view.nodeName, 'node-1');
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });

  it('follows label and selector changes in service membership', async () => {
    const webId = uids['web-0']!;
    await core.patchNamespacedPod({ name: 'web-0', namespace: NS, body: { metadata: { labels: { app: 'web', tier: null } } } }, MERGE_PATCH);
    await waitFor('web-0 out of service front', async () => md.pod(webId)?.serviceIds.length === 1);
    assert.deepEqual(md.pod(webId)?.serviceIds, [uids[`svc/${NS}/web`]]);

    await core.patchNamespacedService({ name: 'front', namespace: NS, body: { spec: { selector: { tier: null, app: 'db' } } } }, MERGE_PATCH);
    await waitFor('db-0 in service front', async () => md.pod(uids['db-0']!)?.serviceIds.includes(uids[`svc/${NS}/front`]!));
    assert.deepEqual(md.pod(webId)?.serviceIds, [uids[`svc/${NS}/web`]]);
  });

  it('follows status updates: a new IP, a new phase and a restarted container', async () => {
    const webId = uids['web-0']!;
    await setPodStatus(NS, 'web-0', { ip: '10.244.1.20', phase: 'Running', containerId: CID_WEB_RESTARTED, lastContainerId: CID_WEB });
    await waitFor('web-0 at its new IP', async () => md.podByIp('10.244.1.20')?.id === webId);
    assert.equal(md.podByIp('10.244.1.10'), undefined);
    assert.deepEqual(md.container(CID_WEB_RESTARTED), { id: CID_WEB_RESTARTED, name: 'web', podId: webId });
    assert.equal(md.container(CID_WEB)?.podId, webId, 'the terminated container still maps to its pod');

    await setPodStatus(NS, 'db-0', { ip: '10.244.1.11', phase: 'Failed', containerId: CID_DB });
    await waitFor('db-0 Failed', async () => md.pod(uids['db-0']!)?.status === 'Failed');
  });

  it('sees pods and services created after the start', async () => {
    await createPod(OTHER_NS, 'web-1', { app: 'web' });
    await setPodStatus(OTHER_NS, 'web-1', { ip: '10.244.2.5', phase: 'Pending', containerId: 'ab'.repeat(32) });
    const pod = await waitFor('web-1 by IP', async () => md.podByIp('10.244.2.5'));
    assert.equal(pod.name, `${OTHER_NS}/web-1`);
    assert.deepEqual(pod.serviceIds, [uids[`svc/${OTHER_NS}/web`]]);
    assert.equal(pod.status, 'Pending');
  });

  it('remembers deleted pods and services as tombstones; live pods leave a deleted service', async () => {
    const dbId = uids['db-0']!;
    await core.deleteNamespacedPod({ name: 'db-0', namespace: NS, gracePeriodSeconds: 0 });
    const db = await waitFor('db-0 deleted', async () => md.pod(dbId)?.deletedAt !== undefined && md.pod(dbId));
    assert.equal(db.name, `${NS}/db-0`);
    assert.equal(db.nodeName, 'node-1');
    assert.equal(md.podByName(`${NS}/db-0`), db);
    assert.equal(md.podByIp('10.244.1.11'), db);
    assert.equal(md.container(CID_DB)?.podId, dbId);

    const webId = uids['web-0']!;
    const webSvcId = uids[`svc/${NS}/web`]!;
    await core.deleteNamespacedService({ name: 'web', namespace: NS });
    const svc = await waitFor('service web deleted', async () => md.service(webSvcId)?.deletedAt !== undefined && md.service(webSvcId));
    assert.equal(svc.name, `${NS}/web`);
    assert.equal(md.serviceByName(`${NS}/web`), svc);
    assert.equal(md.serviceByIp(ips.web!), svc);
    assert.deepEqual(md.pod(webId)?.serviceIds, []);
    assert.deepEqual(md.counts().deletedServices, 1);
  });

  it('a pod recreated under the same name resolves to the new uid; the old one stays findable by uid and container', async () => {
    const oldId = uids['web-0']!;
    await core.deleteNamespacedPod({ name: 'web-0', namespace: NS, gracePeriodSeconds: 0 });
    await waitFor('old web-0 deleted', async () => md.pod(oldId)?.deletedAt !== undefined);
    await createPod(NS, 'web-0', { app: 'web' });
    const fresh = await waitFor('new web-0', async () => (md.podByName(`${NS}/web-0`)?.deletedAt === undefined ? md.podByName(`${NS}/web-0`) : undefined));
    assert.notEqual(fresh.id, oldId);
    assert.equal(fresh.id, uids['web-0']);
    assert.equal(md.pod(oldId)?.name, `${NS}/web-0`);
    assert.equal(md.container(CID_WEB_RESTARTED)?.podId, oldId, 'the old pod\'s containers still name it');
  });
});

describe('metadata: EndpointSlices and the past', () => {
  it('a pod in a service\'s EndpointSlice keeps its pod, namespace, service and node names after it and its process are gone', async () => {
    await createService(NS, 'api', { app: 'api' });
    await createService(NS, 'api-internal', undefined);
    await createPod(NS, 'api-0', { app: 'api' });
    await setPodStatus(NS, 'api-0', { ip: '10.244.3.10', phase: 'Running', containerId: CID_API });
    const ref = { kind: 'Pod' as const, namespace: NS, name: 'api-0', uid: uids['api-0']! };
    await putEndpointSlice(NS, 'api-x1', 'api', [{ addresses: ['10.244.3.10'], targetRef: ref }]);
    await putEndpointSlice(NS, 'api-internal-1', 'api-internal', [{ addresses: ['10.244.3.10'], targetRef: ref }]);
    const apiId = uids['api-0']!;
    const svcIds = [uids[`svc/${NS}/api`]!, uids[`svc/${NS}/api-internal`]!];
    await waitFor('api-0 in both services', async () => md.pod(apiId)?.serviceIds.length === 2);
    assert.equal(md.endpointSlicesSynced, true);
    assert.deepEqual(md.pod(apiId)?.serviceIds, svcIds);

    // The process runs while a query (or a scan) reads it, then exits; then the pod is deleted.
    const proc = fakeProc(CID_API);
    try {
      const local = new LocalMetadata({ procRoot: proc, nodeName: 'node-1' });
      const view = new NodeMetadata(local, md);
      assert.deepEqual(local.scan(), { processes: 1, read: 1, exited: 0 });
      rmSync(join(proc, '4321'), { recursive: true });
      assert.deepEqual(local.scan(), { processes: 0, read: 0, exited: 1 });
      await core.deleteNamespacedPod({ name: 'api-0', namespace: NS, gracePeriodSeconds: 0 });
      await waitFor('api-0 deleted', async () => md.pod(apiId)?.deletedAt !== undefined);
      await core.deleteNamespacedService({ name: 'api-internal', namespace: NS });
      await waitFor('api-internal deleted', async () => md.service(svcIds[1]!)?.deletedAt !== undefined);

      // What upid_to_pod_name, upid_to_namespace, upid_to_service_name and upid_to_node_name read.
      const p = view.process('4321:555');
      assert.equal(p?.containerName, 'api');
      const pod = view.pod(p!.podId!);
      assert.equal(pod?.name, `${NS}/api-0`);
      assert.equal(pod?.namespace, NS);
      assert.equal(pod?.nodeName, 'node-1');
      assert.deepEqual(pod?.serviceIds.map((id) => view.service(id)?.name), [`${NS}/api`, `${NS}/api-internal`]);
      assert.equal(view.podByIp('10.244.3.10')?.name, `${NS}/api-0`);
      // A process of this node that exited before anything read it still has this node's name.
      assert.deepEqual(view.process('4322:556'), { upid: '4322:556', pid: 4322, cmdline: '' });
      assert.equal(view.nodeName, 'node-1');
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }

    // The IP goes to a new pod: new rows resolve to it, rows from before the deletion to api-0.
    const deletedAt = md.pod(apiId)!.deletedAt!;
    await createPod(NS, 'api-1', { app: 'api' });
    await setPodStatus(NS, 'api-1', { ip: '10.244.3.10', phase: 'Running', containerId: 'a1'.repeat(32), startTime: new Date() });
    await waitFor('api-1 at the reused IP', async () => md.podByIp('10.244.3.10')?.name === `${NS}/api-1`);
    assert.equal(md.podByIp('10.244.3.10', deletedAt - 1_000_000_000n)?.name, `${NS}/api-0`);
    assert.equal(md.podByIp('10.244.3.10', BigInt(Date.now() + 1000) * 1_000_000n)?.name, `${NS}/api-1`);
    // api's slice does not list api-1 yet (no controller runs here) and api-1 is in no slice: its selector counts.
    assert.deepEqual(md.podByName(`${NS}/api-1`)?.serviceIds, [svcIds[0]]);
  });

  it('a service without a selector gets its pods from a hand-written EndpointSlice, by pod name or by address', async () => {
    await createService(NS, 'legacy', undefined);
    await createPod(NS, 'legacy-0', { app: 'legacy' });
    await createPod(NS, 'legacy-1', { app: 'legacy' });
    await setPodStatus(NS, 'legacy-0', { ip: '10.244.3.20', phase: 'Running', containerId: 'b0'.repeat(32) });
    await setPodStatus(NS, 'legacy-1', { ip: '10.244.3.21', phase: 'Running', containerId: 'b1'.repeat(32) });
    const svcId = uids[`svc/${NS}/legacy`]!;
    await putEndpointSlice(NS, 'legacy-manual', 'legacy', [
      { addresses: ['10.244.3.20'], targetRef: { kind: 'Pod', name: 'legacy-0' } },
      { addresses: ['10.244.3.21'] },
    ]);
    await waitFor('legacy-0 and legacy-1 in legacy', async () => md.pod(uids['legacy-0']!)?.serviceIds[0] === svcId && md.pod(uids['legacy-1']!)?.serviceIds[0] === svcId);
    await putEndpointSlice(NS, 'legacy-manual', 'legacy', [{ addresses: ['10.244.3.20'], targetRef: { kind: 'Pod', name: 'legacy-0' } }]);
    await waitFor('legacy-1 out of legacy', async () => md.pod(uids['legacy-1']!)?.serviceIds.length === 0);
    assert.deepEqual(md.pod(uids['legacy-0']!)?.serviceIds, [svcId]);
  });

  it('without permission to read EndpointSlices it starts anyway, with membership from selectors', async (t) => {
    if (!env.makeUserKubeConfig) return t.skip('needs client certificates (not an external cluster)');
    const rbac = env.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({ body: { metadata: { name: 'metadata-e2e-no-slices' }, rules: [{ apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch'] }] } });
    await rbac.createClusterRoleBinding({ body: { metadata: { name: 'metadata-e2e-no-slices' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metadata-e2e-no-slices' }, subjects: [{ kind: 'User', name: 'metadata-e2e-no-slices', apiGroup: 'rbac.authorization.k8s.io' }] } });
    const { kc } = await env.makeUserKubeConfig!('metadata-e2e-no-slices');
    const limited = KubeMetadata.fromKubeConfig(kc, { nodeName: 'node-1', retryMinMs: 60_000 });
    try {
      await limited.start(30_000);
      assert.equal(limited.synced, true);
      assert.equal(limited.endpointSlicesSynced, false);
      // legacy has no selector and only its slice names legacy-0: without slices it has no pods.
      assert.deepEqual(limited.pod(uids['legacy-0']!)?.serviceIds, []);
      // api selects api-1.
      assert.deepEqual(limited.podByName(`${NS}/api-1`)?.serviceIds, [uids[`svc/${NS}/api`]]);
    } finally {
      limited.stop();
    }
  });
});
