import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi, VersionApi, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { KUBE_VERSION, startKube, type KubeEnv } from './kube.js';
import { FakeKubelet } from './kubelet.js';

const NS = 'harness-e2e';
const NODES = ['node-a', 'node-b'];
const GROUP = 'e2e.loupe.dev';

/** A namespaced CRD, installed before the controller-manager starts so its GC knows it at once. */
async function installWidgetCrd(env: KubeEnv): Promise<void> {
  const ext = env.kc.makeApiClient(ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({
    body: {
      metadata: { name: `widgets.${GROUP}` },
      spec: {
        group: GROUP,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true }, status: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } } },
        }],
      },
    },
  });
  await waitFor('widgets CRD established', () => ext.readCustomResourceDefinition({ name: `widgets.${GROUP}` }),
    (crd) => crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false);
}

async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}${lastErr ? `; last error: ${String(lastErr)}` : ''}`);
}

const container = (name = 'app'): V1Container => ({ name, image: 'registry.example/loupe/app:1.0', resources: { requests: { cpu: '10m', memory: '16Mi' } } });

describe('e2e harness: real kube-apiserver + controller-manager + fake kubelet', () => {
  let env: KubeEnv;
  let kubelet: FakeKubelet;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  before(async () => {
    env = await startKube({ beforeControllerManager: installWidgetCrd });
    console.log(`control plane ready in ${env.startupMs} ms (${env.server}, ${env.dir})`);
    core = env.kc.makeApiClient(CoreV1Api);
    apps = env.kc.makeApiClient(AppsV1Api);
    kubelet = new FakeKubelet(env.kc);
    for (const n of NODES) await kubelet.addNode(n);
    await kubelet.start();
    await core.createNamespace({ body: { metadata: { name: NS } } });
  }, { timeout: 120_000 });

  after(async () => {
    await kubelet?.stop();
    await env?.stop();
  });

  const podsOf = async (selector: string) => (await core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;

  it(`serves the API on loopback and reports version v${KUBE_VERSION}`, async () => {
    assert.match(env.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    const version = await env.kc.makeApiClient(VersionApi).getCode();
    assert.equal(version.gitVersion, `v${KUBE_VERSION}`);
    assert.equal(`${version.major}.${version.minor}`, KUBE_VERSION.split('.').slice(0, 2).join('.'));
    const nodes = await core.listNode();
    const names = nodes.items.map((n) => n.metadata?.name ?? '');
    assert.deepEqual(names.filter((n) => NODES.includes(n)).sort(), NODES);
    const a = nodes.items.find((n) => n.metadata?.name === 'node-a');
    assert.equal(a?.status?.nodeInfo?.kernelVersion, '6.1.0-loupe');
    assert.equal(a?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('runs a Deployment to readyReplicas == replicas through ReplicaSet, binding and pod status', async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container('app'), container('sidecar')] } },
        },
      },
    });
    const dep = await waitFor('deployment web ready', () => apps.readNamespacedDeployment({ name: 'web', namespace: NS }),
      (d) => d.status?.readyReplicas === 3 && d.status.availableReplicas === 3);
    assert.equal(dep.status?.replicas, 3);

    const rs = (await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=web' })).items;
    assert.equal(rs.length, 1);
    assert.equal(rs[0].metadata?.ownerReferences?.[0]?.name, 'web');

    const pods = await podsOf('app=web');
    assert.equal(pods.length, 3);
    const ips = new Set<string>();
    for (const p of pods) {
      assert.ok(NODES.includes(p.spec?.nodeName ?? ''), `pod bound to a fake node: ${p.spec?.nodeName}`);
      assert.equal(p.status?.phase, 'Running');
      assert.match(p.status?.podIP ?? '', /^10\.244\.\d+\.\d+$/);
      assert.match(p.status?.hostIP ?? '', /^127\.0\.0\.\d+$/);
      ips.add(p.status?.podIP ?? '');
      assert.equal(p.status?.qosClass, 'Burstable');
      assert.ok(p.status?.startTime);
      for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
        assert.equal(p.status?.conditions?.find((c) => c.type === type)?.status, 'True', type);
      }
      assert.deepEqual(p.status?.containerStatuses?.map((c) => c.name).sort(), ['app', 'sidecar']);
      for (const cs of p.status?.containerStatuses ?? []) {
        assert.equal(cs.ready, true);
        assert.equal(cs.restartCount, 0);
        assert.ok(cs.state?.running?.startedAt);
        assert.match(cs.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
      }
    }
    assert.equal(ips.size, 3, 'pod IPs are unique');
  });

  it('gives a DaemonSet one Ready pod per fake node', async () => {
    await apps.createNamespacedDaemonSet({
      namespace: NS,
      body: {
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [container('agent')] } },
        },
      },
    });
    const ds = await waitFor('daemonset agent ready', () => apps.readNamespacedDaemonSet({ name: 'agent', namespace: NS }),
      (d) => d.status?.desiredNumberScheduled === NODES.length && d.status.numberReady === NODES.length);
    assert.equal(ds.status?.numberAvailable, NODES.length);
    const pods = await podsOf('app=agent');
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), NODES);
  });

  it('reports OOMKilled containers in CrashLoopBackOff when the policy says so, and recovers on refresh', async () => {
    kubelet.setPolicy((pod: V1Pod) => (pod.metadata?.labels?.app === 'oom' ? { oomKilled: { restarts: 3 } } : undefined));
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'oom' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'oom' } },
          template: { metadata: { labels: { app: 'oom' } }, spec: { containers: [container()] } },
        },
      },
    });
    const [pod] = await waitFor('oom pod with container status', () => podsOf('app=oom'), (ps) => ps.length === 1 && !!ps[0].status?.containerStatuses?.length);
    const cs = pod.status?.containerStatuses?.[0];
    assert.equal(cs?.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(cs?.lastState?.terminated?.exitCode, 137);
    assert.equal(cs?.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(cs?.restartCount, 3);
    assert.equal(cs?.ready, false);
    assert.equal(pod.status?.phase, 'Running');
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');

    kubelet.setPodState(NS, pod.metadata?.name ?? '', { crashLoop: { restarts: 5, exitCode: 2 } });
    await kubelet.refresh();
    const crashed = await core.readNamespacedPodStatus({ name: pod.metadata?.name ?? '', namespace: NS });
    assert.equal(crashed.status?.containerStatuses?.[0]?.lastState?.terminated?.reason, 'Error');
    assert.equal(crashed.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 2);
    assert.equal(crashed.status?.containerStatuses?.[0]?.restartCount, 5);

    kubelet.setPodState(NS, pod.metadata?.name ?? '', 'Running');
    await kubelet.refresh();
    await waitFor('oom deployment ready after recovery', () => apps.readNamespacedDeployment({ name: 'oom', namespace: NS }), (d) => d.status?.readyReplicas === 1);
    kubelet.setPolicy(() => undefined);
  });

  it('leaves an unschedulable pod unbound with PodScheduled=False and the scheduler message', async () => {
    const message = '0/2 nodes are available: 2 Insufficient memory.';
    kubelet.setPodState(NS, 'too-big', { unschedulable: { message } });
    await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'too-big', labels: { app: 'too-big' } }, spec: { containers: [container()] } } });
    const pod = await waitFor('too-big unschedulable', () => core.readNamespacedPod({ name: 'too-big', namespace: NS }),
      (p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ?? false);
    assert.equal(pod.spec?.nodeName, undefined);
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, message);

    await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'nowhere' }, spec: { nodeSelector: { disk: 'ssd' }, containers: [container()] } } });
    const nowhere = await waitFor('nowhere unschedulable', () => core.readNamespacedPod({ name: 'nowhere', namespace: NS }),
      (p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') ?? false);
    assert.equal(nowhere.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
  });

  it('garbage-collects dependents of a deleted owner (ownerReferences) and finalizes their pods', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'owner' }, data: { k: 'v' } } });
    const ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' }];
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dependent', ownerReferences }, data: {} } });
    await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'dependent-pod', labels: { app: 'dependent' }, ownerReferences }, spec: { containers: [container()] } } });
    await waitFor('dependent pod running', () => core.readNamespacedPod({ name: 'dependent-pod', namespace: NS }), (p) => p.status?.phase === 'Running');

    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: NS });
    await waitFor('dependents gone', async () => {
      const cms = (await core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => c.metadata?.name);
      const pods = (await podsOf('app=dependent')).length;
      return { cms, pods };
    }, ({ cms, pods }) => !cms.includes('dependent') && pods === 0);

    await apps.deleteNamespacedDeployment({ name: 'web', namespace: NS, propagationPolicy: 'Background' });
    await waitFor('web replicasets and pods gone', async () => ({
      rs: (await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=web' })).items.length,
      pods: (await podsOf('app=web')).length,
    }), ({ rs, pods }) => rs === 0 && pods === 0);
  });

  it('garbage-collects dependents of a custom resource at once when its CRD was installed before the controller-manager', async () => {
    const custom = env.kc.makeApiClient(CustomObjectsApi);
    const widget = await custom.createNamespacedCustomObject({
      group: GROUP, version: 'v1', namespace: NS, plural: 'widgets',
      body: { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { labels: { a: 'b' }, sizes: { small: 1, large: 3 } } },
    }) as { metadata: { uid: string } };
    const ownerReferences = [{ apiVersion: `${GROUP}/v1`, kind: 'Widget', name: 'w1', uid: widget.metadata.uid }];
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'widget-child', ownerReferences }, data: {} } });
    await custom.deleteNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: NS, plural: 'widgets', name: 'w1' });
    // On an existing cluster the CRD appeared after its controller-manager started: the GC only
    // learns about it at its next 30 s discovery resync.
    await waitFor('widget child gone', async () => (await core.listNamespacedConfigMap({ namespace: NS })).items.map((c) => c.metadata?.name),
      (names) => !names.includes('widget-child'), env.external ? 45_000 : 10_000);
  });

  it('stop() ends every process it started and removes its directory', async (t) => {
    if (env.external) {
      t.skip('LOUPE_E2E_KUBECONFIG: an existing cluster has no processes of ours');
      return;
    }
    const pids = env.processes.map((p) => p.pid);
    assert.deepEqual(env.processes.map((p) => p.name), ['etcd', 'kube-apiserver', 'kube-controller-manager']);
    for (const pid of pids) assert.doesNotThrow(() => process.kill(pid, 0), `pid ${pid} alive before stop`);
    await kubelet.stop();
    await env.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} gone after stop`);
    assert.equal(existsSync(env.dir), false);
  });
});
