// What the operator writes to the Loupe resources you keep in git: only their status, and its
// own finalizer. Anything else would show as drift in Argo CD (and be fought over on every
// sync). The reconciler runs here against the in-memory cluster through situations that take
// every write path (first reconcile, steady state, rollout, timeout, pause, invalid spec, NATS
// restart, deletion); e2e/gitops.test.ts checks the same on a real API server by managedFields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP, API_VERSION } from '../../crds/index.js';
import type { Vizier } from '../../crds/kinds/vizier.js';
import type { ApplyClient, ResourceType } from '../../operator/runtime/types.js';
import { MemoryCluster } from '../../controllers/common/memory-cluster.test-util.js';
import { reconcileVizier } from '../../controllers/vizier/reconciler.js';
import { CLEANUP_FINALIZER } from '../../controllers/vizier/steps/finalizer.js';
import { pod } from '../../controllers/vizier/fixtures.test-util.js';

const KEY = { namespace: 'obs', name: 'vz' };

/** Every write the reconciler sends to a Loupe resource, as "verb: what". */
function recordLoupeWrites(c: MemoryCluster): { ctx: ReturnType<MemoryCluster['ctx']>; writes: string[] } {
  const ctx = c.ctx();
  const inner = ctx.client;
  const writes: string[] = [];
  const loupe = (t: { group?: string; apiVersion?: string }) => t.group === GROUP || t.apiVersion?.startsWith(`${GROUP}/`);
  const client: ApplyClient = {
    ...inner,
    apply: async <T extends KubernetesObject>(obj: T) => {
      if (loupe(obj)) writes.push(`apply: ${obj.kind}/${obj.metadata?.name}`);
      return inner.apply(obj);
    },
    patchStatus: async (t: ResourceType, k, status) => {
      if (loupe(t)) writes.push(`status: ${t.kind}/${k.name}`);
      return inner.patchStatus(t, k, status);
    },
    patchMetadata: async (t: ResourceType, k, metadata) => {
      if (loupe(t)) writes.push(`metadata: ${t.kind}/${k.name} ${Object.keys(metadata).sort().join(',')}`);
      return inner.patchMetadata(t, k, metadata);
    },
    delete: async (t: ResourceType, k, propagation) => {
      if (loupe(t)) writes.push(`delete: ${t.kind}/${k.name}`);
      return inner.delete(t, k, propagation);
    },
  };
  return { ctx: { ...ctx, client }, writes };
}

const USER_SPEC = { version: '0.1.0', kelvin: { replicas: 2 }, podPolicy: { labels: { team: 'obs' } } };
const USER_META = { labels: { 'argocd.argoproj.io/instance': 'loupe' }, annotations: { 'argocd.argoproj.io/sync-wave': '1' } };

test('the Vizier reconciler writes a Vizier only through its status and its own finalizer, whatever happens', async () => {
  const c = new MemoryCluster();
  c.put({ apiVersion: API_VERSION, kind: 'Vizier', metadata: { name: 'vz', namespace: 'obs', uid: 'uid-vz', generation: 1, ...structuredClone(USER_META) }, spec: structuredClone(USER_SPEC) } as KubernetesObject);
  const vz = () => c.find('Vizier', 'obs', 'vz') as unknown as Vizier;
  const { ctx, writes } = recordLoupeWrites(c);
  const phases: string[] = [];
  const reconcile = async () => {
    await reconcileVizier(KEY, ctx).catch(() => undefined);
    phases.push(`${vz().status?.phase}/${vz().status?.conditions?.find((x) => x.type === 'Ready')?.reason}`);
  };
  const edit = (spec: Record<string, unknown>) => {
    vz().spec = { ...vz().spec, ...spec };
    vz().metadata.generation = (vz().metadata.generation ?? 1) + 1;
  };

  await reconcile(); // first: finalizer, children, status
  c.settle();
  await reconcile(); // Healthy
  await reconcile(); // steady
  c.put({ ...pod('nats', 'vz-nats-0', { ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }), metadata: { name: 'vz-nats-0', namespace: 'obs', labels: { 'app.kubernetes.io/name': 'vizier', 'app.kubernetes.io/instance': 'vz', 'app.kubernetes.io/component': 'nats' } } });
  await reconcile(); // NATS restart
  edit({ version: '0.2.0', updateTimeoutSeconds: 60 });
  await reconcile(); // rollout starts
  c.now = new Date(c.now.getTime() + 120_000);
  await reconcile(); // rollout timed out
  edit({ paused: true });
  await reconcile();
  edit({ paused: false, patches: [{ target: { kind: 'Deployment' }, type: 'json', operations: [{ op: 'replace', path: '/nope/x', value: 1 }] }] });
  await reconcile(); // invalid spec
  const userSpec = structuredClone(vz().spec);
  vz().metadata.deletionTimestamp = c.now.toISOString();
  await reconcile(); // finalize

  for (const p of ['Healthy/AllComponentsReady', 'Degraded/AllComponentsReady', 'Failed/UpdateFailed', 'Paused/Paused', 'Failed/InvalidSpec']) assert.ok(phases.includes(p), `the run never reached ${p}: ${phases.join(', ')}`);
  const kinds = new Set(writes.map((w) => w.split(' ')[0]));
  assert.ok(kinds.has('status:') && kinds.has('metadata:'), `the run took the status and finalizer paths: ${writes.join('; ')}`);
  const outside = writes.filter((w) => !w.startsWith('status: Vizier/vz') && w !== 'metadata: Vizier/vz finalizers,resourceVersion');
  assert.deepEqual(outside, [], 'writes to a Loupe resource other than its status and finalizers');
  assert.deepEqual(vz().spec, userSpec, 'the spec is as the user wrote it');
  assert.deepEqual({ labels: vz().metadata.labels, annotations: vz().metadata.annotations }, USER_META, 'labels and annotations are as the user wrote them');
  assert.ok(!vz().metadata.finalizers?.includes(CLEANUP_FINALIZER), 'the operator removed its own finalizer on deletion');
});
