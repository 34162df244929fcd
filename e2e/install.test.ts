// The install path a user takes: `kubectl apply -k operator/deploy`, then the operator running
// with nothing but its ServiceAccount's permissions reconciles a Vizier to Healthy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startKube, type KubeEnv } from './harness/kube.js';
import { FakeKubelet } from './harness/kubelet.js';
import { api, createNamespace, waitFor, get, list } from './harness/cluster.js';
import { startOperator } from './harness/operator.js';
import { repoRoot } from '../crds/generate.js';
import type { Manager } from '../operator/runtime/manager.js';
import type { Vizier } from '../crds/kinds/vizier.js';

let env: KubeEnv;
let kubelet: FakeKubelet;
let operator: Manager | undefined;

before(async () => {
  env = await startKube();
  kubelet = new FakeKubelet(env.kc);
  await kubelet.addNode('node-1', { kernelVersion: '6.1.0' });
  await kubelet.start();
});
after(async () => {
  await operator?.stop();
  await kubelet?.stop();
  await env?.stop();
});

test('kubectl apply -k operator/deploy installs the CRDs, namespace, RBAC and operator Deployment', () => {
  assert.ok(env.kubectl, 'kubectl is built by e2e/kube/build-kube.sh');
  const out = execFileSync(env.kubectl!, ['--kubeconfig', env.kubeconfigPath, 'apply', '-k', join(repoRoot(), 'operator', 'deploy')], { encoding: 'utf8' });
  for (const want of ['customresourcedefinition.apiextensions.k8s.io/viziers.loupe.dev', 'namespace/loupe-system', 'serviceaccount/loupe-operator', 'clusterrole.rbac.authorization.k8s.io/loupe-operator', 'role.rbac.authorization.k8s.io/loupe-operator-leader-election', 'deployment.apps/loupe-operator']) {
    assert.match(out, new RegExp(want.replace(/\./g, '\\.')), out);
  }
  const again = execFileSync(env.kubectl!, ['--kubeconfig', env.kubeconfigPath, 'apply', '-k', join(repoRoot(), 'operator', 'deploy')], { encoding: 'utf8' });
  assert.doesNotMatch(again, /created/, 'applying twice changes nothing');
});

test('the operator with only its ServiceAccount\'s RBAC reconciles a Vizier to Healthy', async () => {
  // A bound token from the TokenRequest API, as the kubelet mounts one into the operator's pod.
  const token = await waitFor('a token for the loupe-operator ServiceAccount', async () => {
    const r = await api(env.kc).request({
      method: 'POST',
      path: '/api/v1/namespaces/loupe-system/serviceaccounts/loupe-operator/token',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    }).catch(() => undefined) as { status?: { token?: string } } | undefined;
    return r?.status?.token;
  }, 30_000);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'e2e', server: env.server, caData: env.kc.getCurrentCluster()!.caData! }],
    users: [{ name: 'loupe-operator', token }],
    contexts: [{ name: 'sa', cluster: 'e2e', user: 'loupe-operator' }],
    currentContext: 'sa',
  });
  await assert.rejects(api(kc).request({ method: 'GET', path: '/apis/networking.k8s.io/v1/ingresses' }), /403/, 'the token holds only the operator role');
  operator = await startOperator(kc, 'rbac');
  await createNamespace(env.kc, 'app');
  await api(env.kc).request({ method: 'POST', path: '/apis/loupe.dev/v1alpha1/namespaces/app/viziers', body: { apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', metadata: { name: 'vz', namespace: 'app' }, spec: { metadata: { storage: 'etcd' } } } });
  const vz = await waitFor('Healthy under least privilege', async () => {
    const v = await get<Vizier>(env.kc, '/apis/loupe.dev/v1alpha1/namespaces/app/viziers/vz');
    return v?.status?.phase === 'Healthy' ? v : undefined;
  }, 60_000, 200);
  assert.equal(vz.status!.pems, '1/1');
  const crs = await list(env.kc, '/apis/rbac.authorization.k8s.io/v1/clusterroles', 'app.kubernetes.io/instance=vz');
  assert.equal(crs.length, 1, 'it could create the metadata ClusterRole (no RBAC escalation)');
  const events = await list<{ source?: { component?: string } }>(env.kc, '/api/v1/namespaces/app/events');
  assert.ok(events.some((e) => e.source?.component === 'loupe-operator'), 'it may record Events');
});
