// The Vizier operator against a real API server and controller-manager, with the harness
// playing the kubelet: create, heal, assess, roll out, fail over, delete, and stay idle.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Watch, type KubernetesObject, type V1Deployment, type V1Pod, type V1DaemonSet, type V1StatefulSet } from '@kubernetes/client-node';
import { startKube, type KubeEnv } from './harness/kube.js';
import { FakeKubelet } from './harness/kubelet.js';
import { api, installCRDs, createNamespace, waitFor, list, get } from './harness/cluster.js';
import { startOperator, spawnOperator, operatorIdentity, healthPortOf } from './harness/operator.js';
import type { UserKubeConfig } from './harness/kube.js';
import { ApiError } from '../lib/kube/api-error.js';
import { microTime } from '../lib/clock.js';
import type { Manager } from '../operator/runtime/manager.js';
import type { Vizier } from '../crds/kinds/vizier.js';
import type { Condition } from '../crds/schema.js';
import { renderVizier } from '../controllers/vizier/render.js';
import { withDefaults } from '../controllers/vizier/kind.js';
import { issueTls } from '../controllers/common/tls.js';

let env: KubeEnv;
let kubelet: FakeKubelet;
let operator: Manager | undefined;
/** The operator's own identity: its ServiceAccount with nothing but operator/deploy/base/rbac.yaml. */
let sa: UserKubeConfig;
/** Requests of in-process operators that RBAC refused. */
const forbidden: string[] = [];

async function startOperatorAs(identity: string): Promise<Manager> {
  const m = await startOperator(sa.kc, identity);
  m.onReconciled((o) => {
    if (o.error instanceof ApiError && o.error.status === 403) forbidden.push(`${o.key}: ${o.error.message}`);
  });
  return m;
}

before(async () => {
  env = await startKube({ beforeControllerManager: async (e) => installCRDs(e.kc) });
  kubelet = new FakeKubelet(env.kc, { heartbeatIntervalMs: 5000 });
  await kubelet.addNode('node-1', { kernelVersion: '6.1.0-13-amd64' });
  await kubelet.start();
  sa = await operatorIdentity(env);
  operator = await startOperatorAs('op-a');
});
after(async () => {
  await operator?.stop();
  await kubelet?.stop();
  await env?.stop();
});

const VZ = (ns: string, name = 'vz') => `/apis/loupe.dev/v1alpha1/namespaces/${ns}/viziers/${name}`;
const t = () => api(env.kc);

async function createVizier(ns: string, spec: Record<string, unknown> = {}, name = 'vz'): Promise<Vizier> {
  await createNamespace(env.kc, ns).catch(() => undefined);
  return (await t().request({ method: 'POST', path: `/apis/loupe.dev/v1alpha1/namespaces/${ns}/viziers`, body: { apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', metadata: { name, namespace: ns }, spec } })) as Vizier;
}

async function patchVizierSpec(ns: string, spec: Record<string, unknown>): Promise<Vizier> {
  return (await t().request({ method: 'PATCH', path: VZ(ns), contentType: 'application/merge-patch+json', body: { spec } })) as Vizier;
}

const getVizier = (ns: string, name = 'vz') => get<Vizier>(env.kc, VZ(ns, name));
const cond = (vz: Vizier | undefined, type: string): Condition | undefined => vz?.status?.conditions?.find((c) => c.type === type);

async function waitHealthy(ns: string, timeoutMs = 60_000): Promise<Vizier> {
  let last: Vizier | undefined;
  try {
    return await waitFor(`Vizier ${ns}/vz Healthy`, async () => {
      last = await getVizier(ns);
      return last?.status?.phase === 'Healthy' && cond(last, 'Ready')?.status === 'True' && last.status.observedGeneration === last.metadata.generation ? last : undefined;
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
}

/** Every object the renderer produces for this Vizier, as "Kind/name". */
const TLS = await issueTls(undefined, ['x'], new Date(), true);
function expectedChildren(vz: Vizier): string[] {
  const tls = TLS;
  return renderVizier({ vizier: withDefaults(vz), tls }).map((o) => `${o.kind}/${o.metadata!.name}`).sort();
}

const CHILD_PATHS: Record<string, (ns: string) => string> = {
  ConfigMap: (ns) => `/api/v1/namespaces/${ns}/configmaps`,
  Secret: (ns) => `/api/v1/namespaces/${ns}/secrets`,
  ServiceAccount: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  Service: (ns) => `/api/v1/namespaces/${ns}/services`,
  Deployment: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
  StatefulSet: (ns) => `/apis/apps/v1/namespaces/${ns}/statefulsets`,
  DaemonSet: (ns) => `/apis/apps/v1/namespaces/${ns}/daemonsets`,
  ClusterRole: () => '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: () => '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
};

async function liveChildren(ns: string, name = 'vz'): Promise<KubernetesObject[]> {
  const out: KubernetesObject[] = [];
  for (const [kind, path] of Object.entries(CHILD_PATHS)) {
    const items = await list(env.kc, path(ns), `app.kubernetes.io/name=vizier,app.kubernetes.io/instance=${name}`);
    out.push(...items.filter((o) => kind.startsWith('Cluster') ? o.metadata?.annotations?.['loupe.dev/owner'] === `${ns}/${name}` : true).map((o) => ({ ...o, kind })));
  }
  return out;
}
const names = (objs: KubernetesObject[]) => objs.map((o) => `${o.kind}/${o.metadata!.name}`).sort();

/** Deletes the kelvin Deployment of `ns` and waits for the (leading) operator to recreate it. */
async function deleteKelvinAndWaitForIt(ns: string, what: string, timeoutMs: number): Promise<V1Deployment> {
  const path = `/apis/apps/v1/namespaces/${ns}/deployments/vz-kelvin`;
  const before = await get<V1Deployment>(env.kc, path);
  await t().request({ method: 'DELETE', path });
  return waitFor(what, async () => {
    const d = await get<V1Deployment>(env.kc, path);
    return d && d.metadata!.uid !== before!.metadata!.uid ? d : undefined;
  }, timeoutMs, 50);
}

test('an empty-spec Vizier gets every child with ownerReferences within seconds, then becomes Ready', async () => {
  const started = Date.now();
  const vz = await createVizier('t1');
  const want = expectedChildren(vz);
  const children = await waitFor('all children', async () => {
    const live = await liveChildren('t1');
    return names(live).join() === want.join() ? live : undefined;
  }, 10_000, 50);
  const elapsed = Date.now() - started;
  console.log(`# children present ${elapsed} ms after create (${want.length} objects)`);
  for (const o of children) {
    if (o.kind!.startsWith('Cluster')) continue;
    const ref = o.metadata!.ownerReferences?.find((r) => r.controller);
    assert.equal(ref?.uid, vz.metadata.uid, `${o.kind}/${o.metadata!.name} is owned by the Vizier`);
    assert.equal(ref?.kind, 'Vizier');
  }
  const healthy = await waitHealthy('t1');
  assert.equal(healthy.status!.pems, '1/1');
  assert.equal(healthy.status!.version, '0.1.0');
  assert.equal(cond(healthy, 'Degraded')!.status, 'False');
  assert.equal(cond(healthy, 'Ready')!.observedGeneration, healthy.metadata.generation);
});

test('a deleted child is restored', async () => {
  const after = await deleteKelvinAndWaitForIt('t1', 'kelvin Deployment recreated', 10_000);
  assert.equal(after.spec!.replicas, 1);
  await waitHealthy('t1');
});

test('an edited child image is reverted', async () => {
  const path = '/apis/apps/v1/namespaces/t1/deployments/vz-query-broker';
  const original = (await get<V1Deployment>(env.kc, path))!.spec!.template.spec!.containers[0]!.image;
  await t().request({
    method: 'PATCH',
    path,
    query: { fieldManager: 'kubectl-edit' },
    contentType: 'application/json-patch+json',
    body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'evil.example/loupe:666' }],
  });
  await waitFor('image reverted', async () => (await get<V1Deployment>(env.kc, path))!.spec!.template.spec!.containers[0]!.image === original, 10_000, 50);
  assert.equal(original, 'ghcr.io/loupe-dev/loupe:0.1.0');
});

test('OOMKilled PEMs make the Vizier Degraded with a reason naming memory and the limit', async () => {
  kubelet.setPolicy((pod) => (pod.metadata?.labels?.['app.kubernetes.io/component'] === 'pem' && pod.metadata.namespace === 't1' ? { oomKilled: { restarts: 3 } } : undefined));
  await kubelet.refresh();
  // The pods show the OOM kills before kube-controller-manager counts them out of the DaemonSet's
  // numberReady, so Reconciling may turn True one status write after Degraded does.
  const vz = await waitFor('Degraded PEMsOOMKilled, Reconciling', async () => {
    const v = await getVizier('t1');
    return cond(v, 'Degraded')?.reason === 'PEMsOOMKilled' && cond(v, 'Reconciling')?.status === 'True' ? v : undefined;
  }, 20_000);
  assert.equal(vz.status!.phase, 'Degraded');
  assert.match(cond(vz, 'Degraded')!.message, /OOMKilled .*memory limit 2Gi; raise spec\.pem\.resources\.memoryLimit/);
  assert.equal(cond(vz, 'Stalled')!.status, 'False', 'OOM kills may pass: degraded, not stalled');
  assert.equal(cond(vz, 'Reconciling')!.status, 'True', 'the PEMs are not ready yet, so it is still reconciling');
  const events = await list<{ reason: string; type: string; involvedObject: { name: string } }>(env.kc, '/api/v1/namespaces/t1/events');
  assert.ok(events.some((e) => e.reason === 'PEMsOOMKilled' && e.type === 'Warning' && e.involvedObject.name === 'vz'), 'a Warning event says so');
  kubelet.setPolicy(() => undefined);
  await kubelet.refresh();
  await waitHealthy('t1');
});

test('a crash-looping NATS pod is restarted by the operator', async () => {
  const before = await waitFor('nats pod', () => get<V1Pod>(env.kc, '/api/v1/namespaces/t1/pods/vz-nats-0'));
  kubelet.setPolicy((pod) => (pod.metadata?.name === 'vz-nats-0' && pod.metadata.uid === before.metadata!.uid ? { crashLoop: { restarts: 4, exitCode: 1 } } : undefined));
  await kubelet.refresh();
  const replaced = await waitFor('nats pod replaced', async () => {
    const p = await get<V1Pod>(env.kc, '/api/v1/namespaces/t1/pods/vz-nats-0');
    return p && p.metadata!.uid !== before.metadata!.uid ? p : undefined;
  }, 20_000);
  assert.ok(replaced);
  const vz = await waitHealthy('t1');
  assert.ok(vz.status!.natsRestartedAt, 'status records the restart');
  const events = await list<{ reason: string }>(env.kc, '/api/v1/namespaces/t1/events');
  assert.ok(events.some((e) => e.reason === 'NATSRestarted'));
  kubelet.setPolicy(() => undefined);
});

test('a patch that cannot apply fails the Vizier with InvalidSpec and leaves the children alone', async () => {
  const kelvinBefore = (await get<V1Deployment>(env.kc, '/apis/apps/v1/namespaces/t1/deployments/vz-kelvin'))!;
  await patchVizierSpec('t1', { kelvin: { replicas: 2 }, patches: [{ target: { kind: 'Deployment', component: 'kelvin' }, type: 'json', operations: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }] }] });
  const vz = await waitFor('InvalidSpec', async () => {
    const v = await getVizier('t1');
    return cond(v, 'Ready')?.reason === 'InvalidSpec' ? v : undefined;
  });
  assert.equal(vz.status!.phase, 'Failed');
  assert.match(cond(vz, 'Ready')!.message, /spec\.patches\[0\]: cannot apply to Deployment vz-kelvin/);
  const kelvinAfter = (await get<V1Deployment>(env.kc, '/apis/apps/v1/namespaces/t1/deployments/vz-kelvin'))!;
  assert.equal(kelvinAfter.spec!.replicas, kelvinBefore.spec!.replicas, 'nothing was applied from the invalid spec');
  await patchVizierSpec('t1', { kelvin: { replicas: 1 }, patches: [] });
  await waitHealthy('t1');
});

test('a version change rolls out in dependency order, Progressing until Ready', async () => {
  const firstAt = new Map<string, number>();
  const phases = new Set<string>();
  const reasons = new Set<string>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      for (const kind of ['StatefulSet', 'Deployment', 'DaemonSet']) {
        for (const w of await list<V1Deployment | V1StatefulSet | V1DaemonSet>(env.kc, CHILD_PATHS[kind]!('t1'), 'app.kubernetes.io/instance=vz')) {
          const c = w.metadata!.labels!['app.kubernetes.io/component']!;
          if (w.metadata!.labels!['app.kubernetes.io/version'] === '0.2.0' && !firstAt.has(c)) firstAt.set(c, Number(w.metadata!.resourceVersion));
        }
      }
      const v = await getVizier('t1');
      if (v?.status?.phase) phases.add(v.status.phase);
      const p = cond(v, 'Progressing');
      if (p?.status === 'True') reasons.add(p.reason);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await patchVizierSpec('t1', { version: '0.2.0' });
  const done = await waitFor('0.2.0 rolled out', async () => {
    const v = await getVizier('t1');
    return v?.status?.version === '0.2.0' && v.status.phase === 'Healthy' ? v : undefined;
  }, 60_000);
  polling = false;
  await poller;
  assert.equal(done.status!.rollout, undefined);
  assert.ok(phases.has('Updating'), `saw phases ${[...phases]}`);
  assert.ok(reasons.has('RollingOut'), `saw Progressing reasons ${[...reasons]}`);
  // resourceVersions are etcd revisions: a smaller one was written earlier.
  const order = ['nats', 'metadata', 'query-broker', 'kelvin', 'pem'].map((c) => [c, firstAt.get(c)] as const);
  for (const [c, rv] of order) assert.ok(rv, `${c} reached 0.2.0`);
  const rv = Object.fromEntries(order);
  assert.ok(rv['nats']! < rv['metadata']!, 'metadata waited for NATS');
  assert.ok(rv['metadata']! < rv['query-broker']! && rv['metadata']! < rv['kelvin']!, 'query path waited for metadata');
  assert.ok(rv['kelvin']! < rv['pem']! && rv['query-broker']! < rv['pem']!, 'PEMs went last');
});

test('a rollout that cannot finish is marked Failed with a reason after the timeout, and completes once it can', async () => {
  kubelet.setPolicy((pod) => (pod.metadata?.labels?.['app.kubernetes.io/component'] === 'kelvin' && pod.metadata.labels['app.kubernetes.io/version'] === '0.3.0' ? 'NotReady' : undefined));
  await patchVizierSpec('t1', { version: '0.3.0', updateTimeoutSeconds: 30 });
  const failed = await waitFor('Failed UpdateFailed', async () => {
    const v = await getVizier('t1');
    return v?.status?.phase === 'Failed' ? v : undefined;
  }, 50_000, 250);
  assert.equal(cond(failed, 'Ready')!.reason, 'UpdateFailed');
  assert.match(cond(failed, 'Ready')!.message, /update from 0\.2\.0 to 0\.3\.0 did not finish within 30s; not ready: kelvin 1\/1 updating, pem 1\/1 at 0\.2\.0/);
  assert.equal(cond(failed, 'Stalled')!.status, 'True');
  assert.equal(failed.status!.version, '0.2.0');
  kubelet.setPolicy(() => undefined);
  await kubelet.refresh();
  const vz = await waitFor('0.3.0 done', async () => {
    const v = await getVizier('t1');
    return v?.status?.version === '0.3.0' && v.status.phase === 'Healthy' ? v : undefined;
  }, 60_000);
  assert.equal(vz.status!.rollout, undefined);
});

test('an operator killed mid-reconcile and restarted converges with no duplicates', async () => {
  await operator!.stop();
  operator = undefined;
  const first = spawnOperator(sa.kubeconfigPath, env.dir, 'crash-1', ['--leader-elect', 'false']);
  await createNamespace(env.kc, 't9');
  // SIGKILL the moment the first child appears, while the rest of the reconcile is in flight.
  const firstChild = new Promise<void>((resolve, reject) => {
    void new Watch(env.kc)
      .watch('/api/v1/namespaces/t9/configmaps', { labelSelector: 'app.kubernetes.io/instance=vz' }, () => resolve(), (err) => (err ? reject(err as Error) : undefined))
      .then((req) => firstChild.finally(() => req.abort()));
  });
  const vz = await createVizier('t9', { kelvin: { replicas: 2 } });
  await firstChild;
  first.child.kill('SIGKILL');
  await first.exited;
  const partial = (await liveChildren('t9')).length;
  const second = spawnOperator(sa.kubeconfigPath, env.dir, 'crash-2', ['--leader-elect', 'false']);
  const want = expectedChildren(vz);
  assert.ok(partial > 0 && partial < want.length, `killed mid-reconcile (${partial}/${want.length} children written)`);
  await waitFor('all children after restart', async () => names(await liveChildren('t9')).join() === want.join(), 20_000);
  await waitHealthy('t9');
  console.log(`# killed with ${partial}/${want.length} children written; the restarted operator converged`);
  const rs = await list<KubernetesObject>(env.kc, '/apis/apps/v1/namespaces/t9/replicasets', 'app.kubernetes.io/component=kelvin');
  assert.equal(rs.length, 1, 'one ReplicaSet for kelvin');
  const pods = await list<V1Pod>(env.kc, '/api/v1/namespaces/t9/pods', 'app.kubernetes.io/component=kelvin');
  assert.equal(pods.filter((p) => !p.metadata!.deletionTimestamp).length, 2, 'exactly the desired kelvin pods');
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, 'SIGTERM shuts down cleanly');
  assert.match(readFileSync(second.logPath, 'utf8'), /SIGTERM, shutting down/);
  operator = await startOperatorAs('op-a');
});

test('two operators: exactly one leads, and a standby takes over when the leader dies', async () => {
  await operator!.stop();
  operator = undefined;
  const leader = spawnOperator(sa.kubeconfigPath, env.dir, 'leader-proc');
  const leaseHolder = async () => ((await get<{ spec?: { holderIdentity?: string } }>(env.kc, '/apis/coordination.k8s.io/v1/namespaces/loupe-system/leases/loupe-operator'))?.spec?.holderIdentity);
  await waitFor('process leads', async () => (await leaseHolder()) === 'leader-proc', 15_000);
  const standby = await startOperatorAs('standby');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(standby.isLeader, false, 'the standby does not lead while the leader renews');
  assert.equal(await leaseHolder(), 'leader-proc');

  leader.child.kill('SIGKILL');
  const killedAt = Date.now();
  await waitFor('standby leads', async () => standby.isLeader && (await leaseHolder()) === 'standby', 15_000, 50);
  console.log(`# failover after leader SIGKILL: ${Date.now() - killedAt} ms (lease duration 3000 ms)`);
  await deleteKelvinAndWaitForIt('t1', 'new leader heals', 15_000);
  operator = standby;
});

test('30 s idle: the operator writes nothing', async () => {
  await waitHealthy('t1');
  await waitHealthy('t9');
  await new Promise((r) => setTimeout(r, 3000));
  const snapshot = async () => {
    const objs = [...(await liveChildren('t1')), ...(await liveChildren('t9'))];
    const vzs = [await getVizier('t1'), await getVizier('t9')] as KubernetesObject[];
    // Only the operator's own Events: the controller-manager keeps reporting on unbound volume claims.
    const ours = (e: KubernetesObject) => (e as { source?: { component?: string } }).source?.component === 'loupe-operator';
    const events = [...(await list(env.kc, '/api/v1/namespaces/t1/events')), ...(await list(env.kc, '/api/v1/namespaces/t9/events'))].filter(ours);
    return new Map([...objs, ...vzs, ...events.map((e) => ({ ...e, kind: 'Event' }))].map((o) => [`${o.kind}/${o.metadata!.namespace}/${o.metadata!.name}`, o.metadata!.resourceVersion]));
  };
  const writes = async () => (await operator!.metrics.getSingleMetric('loupe_api_writes_total')!.get()).values.reduce((n, v) => n + v.value, 0);
  const before = await snapshot();
  const writesBefore = await writes();
  await new Promise((r) => setTimeout(r, 30_000));
  const after = await snapshot();
  const changed = [...after].filter(([k, rv]) => before.get(k) !== rv).map(([k]) => k);
  const writesDuring = (await writes()) - writesBefore;
  console.log(`# idle 30 s: ${before.size} objects watched, ${changed.length} changed, ${writesDuring} operator API writes`);
  assert.deepEqual(changed, []);
  assert.equal(writesDuring, 0);
});

test('deleting a Vizier removes everything it made, cluster-scoped objects and volume claims included', async () => {
  assert.ok((await list(env.kc, '/api/v1/namespaces/t1/persistentvolumeclaims', 'app.kubernetes.io/instance=vz')).length > 0, 'the StatefulSet made a claim');
  await t().request({ method: 'DELETE', path: VZ('t1') });
  await waitFor('Vizier gone', async () => !(await getVizier('t1')), 20_000);
  await waitFor('every child gone', async () => (await liveChildren('t1')).length === 0, 60_000, 250);
  await waitFor('the metadata volume claim gone', async () => (await list(env.kc, '/api/v1/namespaces/t1/persistentvolumeclaims', 'app.kubernetes.io/instance=vz')).length === 0, 60_000, 250);
  assert.ok(await getVizier('t9'), 'the other Vizier is untouched');
  assert.ok((await liveChildren('t9')).length > 0);
});

test('a new node with an old kernel -> KernelUnsupported; a PEM that cannot be scheduled -> PEMsUnschedulable', async () => {
  await waitHealthy('t9');
  kubelet.setPolicy((pod) => (pod.metadata?.labels?.['app.kubernetes.io/component'] === 'pem' && pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.some((t) => t.matchFields?.some((f) => f.values?.includes('old-node')))
    ? { unschedulable: { message: '0/2 nodes are available: 1 Insufficient memory.' } }
    : undefined));
  await kubelet.addNode('old-node', { kernelVersion: '4.19.0-17-amd64' });
  const vz = await waitFor('both findings', async () => {
    const v = await getVizier('t9');
    const m = cond(v, 'Degraded')?.message ?? '';
    return m.includes('old-node (4.19.0-17-amd64)') && m.includes('Insufficient memory') ? v : undefined;
  }, 30_000, 200);
  assert.equal(vz.status!.phase, 'Degraded');
  assert.match(cond(vz, 'Degraded')!.message, /PEMs need Linux 5\.8 or newer \(BPF ring buffers, BTF\); 1 node runs an older kernel and collects nothing: old-node/);
  assert.match(cond(vz, 'Degraded')!.message, /1 pem pod cannot be scheduled: 0\/2 nodes are available: 1 Insufficient memory\. \(memory request 2Gi\); lower the request/);
  kubelet.setPolicy(() => undefined);
  await kubelet.removeNode('old-node');
});

test('an operator process that loses its Lease stops reconciling, stays up as a standby, and leads again once the Lease is free', async () => {
  await operator?.stop();
  operator = undefined;
  const proc = spawnOperator(sa.kubeconfigPath, env.dir, 'victim');
  const leasePath = '/apis/coordination.k8s.io/v1/namespaces/loupe-system/leases/loupe-operator';
  const lease = () => get<{ spec?: { holderIdentity?: string; leaseTransitions?: number } }>(env.kc, leasePath);
  await waitFor('victim leads', async () => (await lease())?.spec?.holderIdentity === 'victim', 20_000);
  const port = await waitFor('the health port in the log', async () => healthPortOf(proc));
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1]);
  await waitFor('victim reports leading', async () => (await metric('loupe_leader')) === 1);
  const transitions = (await lease())?.spec?.leaseTransitions ?? 0;

  // Another candidate takes the Lease for 8 s; the victim cannot renew and must step down.
  await t().request({
    method: 'PATCH',
    path: leasePath,
    contentType: 'application/merge-patch+json',
    body: { spec: { holderIdentity: 'thief', leaseDurationSeconds: 8, renewTime: microTime(Date.now()) } },
  });
  await waitFor('victim stops leading', async () => (await metric('loupe_leader')) === 0, 10_000);
  assert.equal(proc.child.exitCode, null, 'the process keeps running');
  assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, 'as a ready standby');
  assert.equal((await lease())?.spec?.holderIdentity, 'thief');

  await waitFor('victim leads again once the Lease expired', async () => (await lease())?.spec?.holderIdentity === 'victim', 20_000);
  assert.equal((await lease())?.spec?.leaseTransitions, transitions + 1, 'the victim took it back from the thief');
  await deleteKelvinAndWaitForIt('t9', 'the new term heals', 15_000);
  const log = readFileSync(proc.logPath, 'utf8');
  assert.match(log, /stopped leading/);
  assert.doesNotMatch(log, /lost the leader Lease; exiting/);
  proc.child.kill('SIGTERM');
  assert.equal(await proc.exited, 0);
});

test('the operator ran with nothing but its generated RBAC and was never refused', () => {
  assert.deepEqual(forbidden, []);
  for (const f of readdirSync(env.dir).filter((n) => n.startsWith('operator-') && n.endsWith('.log'))) {
    assert.doesNotMatch(readFileSync(join(env.dir, f), 'utf8'), /"status":403|forbidden/i, `${f} has no RBAC refusal`);
  }
});
