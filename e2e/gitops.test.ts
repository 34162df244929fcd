// A Vizier kept in git, on a real API server: applied the way Argo CD applies it (server-side
// apply, field manager argocd-controller), reconciled by the operator with its own RBAC, read by
// the Argo CD health check (lua5.4) and by kstatus at each step, and checked for drift: the
// operator's entries in managedFields cover only status and its finalizer, and a dry-run of the
// same manifest, as Argo CD's server-side diff does, changes nothing. The argocd-cm snippet is
// merged into an argocd-cm with kubectl, as the README says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKube, type KubeEnv } from './harness/kube.js';
import { FakeKubelet } from './harness/kubelet.js';
import { api, installCRDs, createNamespace, waitFor, get } from './harness/cluster.js';
import { startOperator, operatorIdentity } from './harness/operator.js';
import type { Manager } from '../operator/runtime/manager.js';
import { FIELD_MANAGER } from '../operator/runtime/types.js';
import { repoRoot } from '../crds/generate.js';
import { ALL_KINDS, API_VERSION } from '../crds/index.js';
import type { Vizier } from '../crds/kinds/vizier.js';
import { CLEANUP_FINALIZER } from '../controllers/vizier/steps/finalizer.js';
import { ARGOCD_CM, configMapKey, kindFolder } from '../controllers/gitops/argocd/customizations.js';
import { runHealth } from '../controllers/gitops/argocd/lua.test-util.js';
import { computeKstatus } from '../controllers/gitops/kstatus.test-util.js';

/** The field manager Argo CD's server-side apply uses. */
const ARGO = 'argocd-controller';
const NS = 'gitops';
const PATH = `/apis/loupe.dev/v1alpha1/namespaces/${NS}/viziers/vz`;

let env: KubeEnv;
let kubelet: FakeKubelet;
let operator: Manager | undefined;
let operatorKc: Awaited<ReturnType<typeof operatorIdentity>>;

before(async () => {
  env = await startKube({ beforeControllerManager: async (e) => installCRDs(e.kc) });
  kubelet = new FakeKubelet(env.kc, { heartbeatIntervalMs: 5000 });
  await kubelet.addNode('node-1', { kernelVersion: '6.1.0-13-amd64' });
  await kubelet.start();
  operatorKc = await operatorIdentity(env);
  await createNamespace(env.kc, NS);
});
after(async () => {
  await operator?.stop();
  await kubelet?.stop();
  await env?.stop();
});

/** The Vizier as it sits in git, with the labels and annotations Argo CD adds. */
function manifest(spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: 'Vizier',
    metadata: { name: 'vz', namespace: NS, labels: { 'app.kubernetes.io/instance': 'loupe' }, annotations: { 'argocd.argoproj.io/sync-wave': '1' } },
    spec,
  };
}

async function argoApply(spec: Record<string, unknown>, dryRun = false): Promise<Vizier> {
  return (await api(env.kc).request({
    method: 'PATCH',
    path: PATH,
    query: { fieldManager: ARGO, ...(dryRun ? { dryRun: 'All' } : {}) },
    contentType: 'application/apply-patch+yaml',
    body: manifest(spec),
  })) as Vizier;
}

const live = async () => (await get<Vizier>(env.kc, PATH))!;
const argoHealth = (vz: Vizier) => {
  const [h] = runHealth(join(repoRoot(), kindFolder('Vizier'), 'health.lua'), [vz]);
  return { status: h!.status, message: h!.message };
};
const condition = (vz: Vizier, type: string) => vz.status?.conditions?.find((c) => c.type === type);

async function waitPhase(phase: string): Promise<Vizier> {
  let last: Vizier | undefined;
  try {
    return await waitFor(`Vizier ${NS}/vz ${phase}`, async () => {
      last = await live();
      return last.status?.phase === phase && last.status.observedGeneration === last.metadata.generation ? last : undefined;
    }, 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
}

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  subresource?: string;
  fieldsV1: Record<string, unknown>;
}

/** The managedFields entries of an object. */
function owners(vz: Vizier): ManagedFieldsEntry[] {
  return ((vz.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? []);
}

/** The operator's entries must own status (on the status subresource) or its finalizer, nothing else. */
function operatorOutsideStatus(vz: Vizier): string[] {
  const problems: string[] = [];
  for (const e of owners(vz).filter((x) => x.manager !== ARGO)) {
    const top = Object.keys(e.fieldsV1).sort();
    if (e.manager !== FIELD_MANAGER) problems.push(`an entry of manager "${e.manager}" (${e.operation}${e.subresource ? `, ${e.subresource}` : ''}) owns ${top.join(', ')}`);
    else if (e.subresource === 'status') {
      if (top.join() !== 'f:status') problems.push(`the operator's status entry owns ${top.join(', ')}`);
    } else {
      const meta = e.fieldsV1['f:metadata'] as Record<string, unknown> | undefined;
      if (top.join() !== 'f:metadata' || Object.keys(meta ?? {}).join() !== 'f:finalizers') problems.push(`the operator's entry owns ${JSON.stringify(e.fieldsV1)}`);
    }
  }
  return problems;
}

test('a Vizier synced the Argo CD way: health and kstatus at each step, and the operator writes only status and its finalizer', async () => {
  // Synced before the operator runs: nothing has observed it yet.
  const synced = await argoApply({ kelvin: { replicas: 1 } });
  assert.deepEqual(argoHealth(synced), { status: 'Progressing', message: 'waiting for the operator to observe generation 1 (no status yet)' });

  operator = await startOperator(operatorKc.kc, 'op-gitops');
  const healthy = await waitPhase('Healthy');
  assert.deepEqual(argoHealth(healthy), { status: 'Healthy', message: condition(healthy, 'Ready')!.message });
  assert.equal(computeKstatus(healthy).status, 'Current');
  assert.ok(healthy.metadata.finalizers?.includes(CLEANUP_FINALIZER), 'the operator added its finalizer');
  assert.deepEqual(operatorOutsideStatus(healthy), []);
  assert.ok(owners(healthy).some((e) => e.manager === FIELD_MANAGER && e.subresource === 'status'), `the operator's status writes are under ${FIELD_MANAGER}: ${JSON.stringify(owners(healthy).map((e) => [e.manager, e.subresource]))}`);

  // Argo CD's server-side diff: a dry-run apply of what is in git. The operator owns nothing
  // the manifest sets (no conflict) and changed nothing it would set back (no diff).
  const diff = await argoApply({ kelvin: { replicas: 1 } }, true);
  assert.deepEqual(diff.spec, healthy.spec, 'the dry-run apply of the same manifest leaves the spec as it is live');
  assert.deepEqual([diff.metadata.labels, diff.metadata.annotations, diff.metadata.finalizers], [healthy.metadata.labels, healthy.metadata.annotations, healthy.metadata.finalizers]);

  // A change in git the operator has not seen yet (it is stopped), then seen: paused.
  await operator.stop();
  operator = undefined;
  const pausing = await argoApply({ kelvin: { replicas: 1 }, paused: true });
  assert.deepEqual(argoHealth(pausing), { status: 'Progressing', message: 'waiting for the operator to observe generation 2 (its status is of generation 1)' });
  assert.deepEqual(computeKstatus(pausing), { status: 'InProgress', message: 'Vizier generation is 2, but latest observed generation is 1' });
  operator = await startOperator(operatorKc.kc, 'op-gitops-2');
  const paused = await waitPhase('Paused');
  assert.deepEqual(argoHealth(paused), { status: 'Suspended', message: paused.status!.message });

  // Back to running: Healthy again, and still nothing of the operator outside status.
  await argoApply({ kelvin: { replicas: 1 } });
  const resumed = await waitPhase('Healthy');
  assert.equal(argoHealth(resumed).status, 'Healthy');
  assert.deepEqual(operatorOutsideStatus(resumed), []);
  const spec = owners(resumed).find((e) => e.manager === ARGO)!.fieldsV1['f:spec'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(spec).sort(), ['f:kelvin'], 'Argo CD owns what it applied: paused was released when git dropped it');
});

test('controllers/gitops/argocd/argocd-cm.yaml merges into an existing argocd-cm with kubectl patch, as the README says', async () => {
  assert.ok(env.kubectl, 'kubectl was built with the API server (make kube)');
  await createNamespace(env.kc, 'argocd');
  await api(env.kc).request({ method: 'POST', path: '/api/v1/namespaces/argocd/configmaps', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data: { url: 'https://argocd.example.com' } } });
  const r = spawnSync(env.kubectl, ['--kubeconfig', env.kubeconfigPath, '-n', 'argocd', 'patch', 'configmap', 'argocd-cm', '--patch-file', join(repoRoot(), ARGOCD_CM)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `kubectl patch: ${r.stderr}`);
  const cm = (await get<{ data: Record<string, string> }>(env.kc, '/api/v1/namespaces/argocd/configmaps/argocd-cm'))!;
  assert.equal(cm.data['url'], 'https://argocd.example.com', 'the settings already there stay');
  for (const def of ALL_KINDS) assert.equal(cm.data[configMapKey(def.kind)], readFileSync(join(repoRoot(), kindFolder(def.kind), 'health.lua'), 'utf8'), configMapKey(def.kind));
});
