// The metadata service's cluster view against a real kube-apiserver: pods and services listed
// and watched in every namespace, service membership from selectors, container id → pod, and
// every change (labels, selectors, status, deletions) reflected. No kubelet runs: pod status
// (IP, phase, container ids) is written through the status subresource, as a kubelet would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { startKube, type KubeEnv } from './harness/kube.js';
import { waitFor } from './harness/cluster.js';
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
async function setPodStatus(namespace: string, name: string, s: { ip: string; phase: string; containerId: string; lastContainerId?: string }): Promise<void> {
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
        startTime: kubeTime(new Date('2024-05-02T10:15:00Z')),
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

async function createService(namespace: string, name: string, selector: Record<string, string>): Promise<string> {
  const svc = await core.createNamespacedService({ namespace, body: { metadata: { name }, spec: { selector, ports: [{ port: 80 }] } } });
  uids[`svc/${namespace}/${name}`] = svc.metadata!.uid!;
  return svc.spec!.clusterIP!;
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
    const proc = mkdtempSync(join(tmpdir(), 'loupe-metadata-e2e-proc-'));
    try {
      mkdirSync(join(proc, '4321'));
      const fields = ['S', 1, 4321, 4321, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, 555, 0, 0];
      writeFileSync(join(proc, '4321', 'stat'), `4321 (nginx) ${fields.join(' ')}\n`);
      writeFileSync(join(proc, '4321', 'cmdline'), 'nginx\0-g\0daemon off;\0');
      writeFileSync(join(proc, '4321', 'cgroup'), `0::/system.slice/containerd.service/cri-containerd-${CID_WEB}.scope\n`);
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

  it('forgets deleted pods and services everywhere', async () => {
    const dbId = uids['db-0']!;
    await core.deleteNamespacedPod({ name: 'db-0', namespace: NS, gracePeriodSeconds: 0 });
    await waitFor('db-0 gone', async () => md.pod(dbId) === undefined);
    assert.equal(md.podByName(`${NS}/db-0`), undefined);
    assert.equal(md.podByIp('10.244.1.11'), undefined);
    assert.equal(md.container(CID_DB), undefined);

    const webId = uids['web-0']!;
    await core.deleteNamespacedService({ name: 'web', namespace: NS });
    await waitFor('service web gone', async () => md.serviceByName(`${NS}/web`) === undefined);
    assert.equal(md.service(uids[`svc/${NS}/web`]!), undefined);
    assert.equal(md.serviceByIp(ips.web!), undefined);
    assert.deepEqual(md.pod(webId)?.serviceIds, []);
  });

  it('a pod recreated under the same name resolves to the new uid', async () => {
    const oldId = uids['web-0']!;
    await core.deleteNamespacedPod({ name: 'web-0', namespace: NS, gracePeriodSeconds: 0 });
    await waitFor('old web-0 gone', async () => md.pod(oldId) === undefined);
    await createPod(NS, 'web-0', { app: 'web' });
    const fresh = await waitFor('new web-0', async () => md.podByName(`${NS}/web-0`));
    assert.notEqual(fresh.id, oldId);
    assert.equal(fresh.id, uids['web-0']);
    assert.equal(md.container(CID_WEB_RESTARTED), undefined, 'the old pod\'s containers went with it');
  });
});
