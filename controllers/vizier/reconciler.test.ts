// The reconcile glue against an in-memory store: in every steady state a second reconcile
// writes nothing and asks for no short requeue (no hot loops), and removed fields are removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { reconcileVizier } from './reconciler.js';
import { MemoryCluster } from '../common/memory-cluster.test-util.js';
import { pod } from './fixtures.test-util.js';
import type { Vizier } from '../../crds/kinds/vizier.js';

function cluster(spec: Record<string, unknown> = {}, status?: Vizier['status']): MemoryCluster {
  const c = new MemoryCluster();
  c.put({ apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', metadata: { name: 'vz', namespace: 'obs', uid: 'uid-vz', generation: 1 }, spec, ...(status ? { status } : {}) } as KubernetesObject);
  return c;
}
const KEY = { namespace: 'obs', name: 'vz' };
const vizierOf = (c: MemoryCluster) => c.find('Vizier', 'obs', 'vz') as unknown as Vizier;

/** Reconciles until nothing is written, then proves one more reconcile writes nothing either. */
async function steady(c: MemoryCluster): Promise<number | undefined> {
  for (let i = 0; i < 5; i++) {
    c.writes = [];
    await reconcileVizier(KEY, c.ctx()).catch(() => undefined);
    if (c.writes.length === 0) break;
  }
  c.writes = [];
  const result = await reconcileVizier(KEY, c.ctx()).catch(() => undefined);
  assert.deepEqual(c.writes, [], 'a reconcile with nothing new writes nothing');
  return result ? result.requeueAfterMs : undefined;
}

test('Healthy: the first reconcile creates the children, the next writes nothing', async () => {
  const c = cluster();
  await reconcileVizier(KEY, c.ctx());
  assert.ok(c.writes.filter((w) => w.startsWith('apply')).length >= 19);
  c.settle();
  const requeue = await steady(c);
  assert.equal(vizierOf(c).status!.phase, 'Healthy');
  assert.ok(requeue === undefined || requeue >= 60_000, `no short requeue (${requeue})`);
});

test('Degraded (OOMKilled PEMs): steady with no writes, a 60 s re-check', async () => {
  const c = cluster();
  await reconcileVizier(KEY, c.ctx());
  c.settle();
  c.put(pod('pem', 'pem-1', { ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: c.now } } }));
  const p = c.find('Pod', 'obs', 'pem-1')!;
  p.metadata!.labels = { ...p.metadata!.labels, 'app.kubernetes.io/name': 'vizier' };
  const requeue = await steady(c);
  assert.equal(vizierOf(c).status!.phase, 'Degraded');
  assert.equal(requeue, 60_000);
});

test('Failed with InvalidSpec on a new Vizier: no TLS churn, no writes after the first status', async () => {
  const c = cluster({ patches: [{ target: { kind: 'Deployment' }, type: 'json', operations: [{ op: 'replace', path: '/nope/x', value: 1 }] }] });
  const requeue = await steady(c);
  assert.equal(vizierOf(c).status!.phase, 'Failed');
  assert.equal(vizierOf(c).status!.tlsNotAfter, undefined, 'no certificate was stored, so none is reported');
  assert.ok(requeue === undefined || requeue >= 60_000, `no short requeue (${requeue})`);
});

test('a stored Vizier that breaks a CRD validation rule (kept by ratcheting) is Failed with the rule message and gets no children', async () => {
  const c = cluster({ pem: { resources: { memoryRequest: '4Gi', memoryLimit: '2Gi' } }, patches: [{ target: { kind: 'Service' }, type: 'json', operations: [{ op: 'move', path: '/a' }] }] });
  await steady(c);
  const status = vizierOf(c).status!;
  assert.equal(status.phase, 'Failed');
  const stalled = status.conditions!.find((cond) => cond.type === 'Stalled')!;
  assert.deepEqual([stalled.status, stalled.reason], ['True', 'InvalidSpec']);
  assert.equal(
    stalled.message,
    'spec.pem.resources.memoryRequest: Invalid value: memoryRequest 4Gi is above memoryLimit 2Gi; a container cannot request more than its limit: lower memoryRequest (default 2Gi) or raise memoryLimit; ' +
      'spec.patches[0].operations[0].from: Required value: op move needs from, the JSON pointer of the value to move',
  );
  assert.equal(c.find('DaemonSet', 'obs', 'vz-pem'), undefined, 'no PEM DaemonSet the API server would refuse');
});

test('Paused: steady with no writes', async () => {
  const c = cluster();
  await reconcileVizier(KEY, c.ctx());
  (vizierOf(c).spec as { paused?: boolean }).paused = true;
  await steady(c);
  assert.equal(vizierOf(c).status!.phase, 'Paused');
});

test('a timed-out rollout is Failed and steady, with no 1 s requeue loop', async () => {
  const c = cluster();
  await reconcileVizier(KEY, c.ctx());
  c.settle();
  await steady(c);
  (vizierOf(c).spec as { version?: string; updateTimeoutSeconds?: number }).version = '0.2.0';
  (vizierOf(c).spec as { updateTimeoutSeconds?: number }).updateTimeoutSeconds = 60;
  await reconcileVizier(KEY, c.ctx()); // NATS moves to 0.2.0 but its controller never reports it ready
  for (const o of c.objects.values()) if (o.kind === 'StatefulSet') (o as { status?: unknown }).status = { observedGeneration: 0, readyReplicas: 0 };
  c.now = new Date(c.now.getTime() + 120_000);
  const requeue = await steady(c);
  assert.equal(vizierOf(c).status!.phase, 'Failed');
  assert.ok(requeue === undefined || requeue >= 60_000, `no short requeue (${requeue})`);
});

test('removing a spec field removes it from the child, and a removed component leaves status too', async () => {
  const c = cluster({ podPolicy: { nodeSelector: { disk: 'ssd' } }, metadata: { storage: 'etcd' } });
  await reconcileVizier(KEY, c.ctx());
  c.settle();
  await steady(c);
  assert.ok(vizierOf(c).status!.components!['etcd']);
  const v = vizierOf(c);
  v.spec = {} as Vizier['spec'];
  c.put(v as unknown as KubernetesObject);
  await reconcileVizier(KEY, c.ctx());
  c.settle();
  await steady(c);
  const pem = c.find('DaemonSet', 'obs', 'vz-pem') as unknown as { spec: { template: { spec: { nodeSelector: Record<string, string> } } } };
  assert.equal(pem.spec.template.spec.nodeSelector['disk'], undefined, 'the removed nodeSelector entry is gone');
  assert.equal(c.find('StatefulSet', 'obs', 'vz-etcd'), undefined, 'etcd was pruned');
  assert.equal(vizierOf(c).status!.components!['etcd'], undefined, 'and left the status');
});

test('a child name already controlled by another owner is not taken over and is reported', async () => {
  const c = cluster();
  c.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'vz-config', namespace: 'obs', ownerReferences: [{ apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', name: 'vz-other', uid: 'uid-other', controller: true }] }, data: { mine: 'yes' } } as KubernetesObject);
  await reconcileVizier(KEY, c.ctx()).catch(() => undefined);
  assert.ok(!c.writes.includes('apply ConfigMap/vz-config'), 'the other owner keeps its ConfigMap');
  assert.equal((c.find('ConfigMap', 'obs', 'vz-config') as unknown as { data: Record<string, string> }).data['mine'], 'yes');
  const status = vizierOf(c).status!;
  assert.equal(status.phase, 'Failed');
  assert.match(status.conditions!.find((x) => x.type === 'Ready')!.message, /ConfigMap vz-config: already belongs to Vizier vz-other/);
});
