// The three install paths render the same objects: `kubectl kustomize` of the base and of each
// overlay, `helm template` of the chart with the matching values, operator/deploy/install.yaml,
// and what controllers/install/objects.ts renders for those settings. Then the registry overlay
// on a real API server: the operator started with the args its applied Deployment carries sends
// every image of a Vizier that names no registry (NATS and etcd included) to that registry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject, V1Deployment, V1PodTemplateSpec } from '@kubernetes/client-node';
import { startKube, type KubeEnv } from './harness/kube.js';
import { helmBinary } from './harness/helm.js';
import { api, waitFor, list } from './harness/cluster.js';
import { startOperator } from './harness/operator.js';
import { repoRoot } from '../crds/generate.js';
import { parseOperatorArgs } from '../operator/command.js';
import type { Manager } from '../operator/runtime/manager.js';
import { AIRGAPPED_REGISTRY, INSTALL_FILE, OVERLAY_NAMESPACE, OVERLAY_REGISTRY, readGenerateInputs } from '../controllers/install/generate.js';
import { CHART_DIR } from '../controllers/install/helm.js';
import { templateImages } from '../controllers/install/images.js';
import { defaultSettings, OPERATOR_CONTAINER, OPERATOR_NAME, renderInstall, type InstallSettings } from '../controllers/install/objects.js';

const ROOT = repoRoot();
const { version, digest } = readGenerateInputs(ROOT);
let env: KubeEnv;
let operator: Manager | undefined;

before(async () => {
  env = await startKube();
});
after(async () => {
  await operator?.stop();
  await env?.stop();
});

const kubectl = (...args: string[]) => {
  assert.ok(env.kubectl, 'kubectl is built by e2e/kube/build-kube.sh');
  return execFileSync(env.kubectl!, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
};
const helmTemplate = (namespace: string, ...set: string[]) =>
  execFileSync(helmBinary(), ['template', 'loupe', join(ROOT, CHART_DIR), '--namespace', namespace, '--include-crds', '--set', 'createNamespace=true', ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8', maxBuffer: 64 << 20 });

const keyOf = (o: KubernetesObject) => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
/** The objects of a multi-document YAML stream, as plain JSON, in a stable order; empty documents dropped. */
function objects(yaml: string): KubernetesObject[] {
  const docs = parseAllDocuments(yaml).map((d) => d.toJS() as KubernetesObject | null).filter((o): o is KubernetesObject => o !== null);
  return JSON.parse(JSON.stringify(docs.sort((a, b) => keyOf(a).localeCompare(keyOf(b))))) as KubernetesObject[];
}
const rendered = (s: InstallSettings) => objects(renderInstall(s).map((o) => JSON.stringify(o)).join('\n---\n'));

const base = defaultSettings(version);
const cases: { name: string; overlay: string; settings: InstallSettings; helm: string[] }[] = [
  { name: 'base', overlay: 'operator/deploy', settings: base, helm: [] },
  { name: 'namespace overlay', overlay: 'operator/deploy/overlays/namespace', settings: { ...base, namespace: OVERLAY_NAMESPACE }, helm: [] },
  { name: 'registry overlay', overlay: 'operator/deploy/overlays/registry', settings: { ...base, registry: OVERLAY_REGISTRY }, helm: [`registry=${OVERLAY_REGISTRY}`] },
  {
    name: 'air-gapped overlay',
    overlay: 'operator/deploy/overlays/airgapped',
    settings: { ...base, registry: AIRGAPPED_REGISTRY, ...(digest ? { digest } : {}) },
    helm: [`registry=${AIRGAPPED_REGISTRY}`, ...(digest ? [`image.digest=${digest}`] : [])],
  },
];

for (const c of cases) {
  test(`${c.name}: kubectl kustomize, helm template and the one source render the same objects`, () => {
    const want = rendered(c.settings);
    assert.equal(want.length, 13, 'CRDs, Namespace, ServiceAccount, four RBAC objects, the Deployment');
    assert.deepStrictEqual(objects(kubectl('kustomize', join(ROOT, c.overlay))), want, `kubectl kustomize ${c.overlay}`);
    assert.deepStrictEqual(objects(helmTemplate(c.settings.namespace, ...c.helm)), want, `helm template -n ${c.settings.namespace} ${c.helm.join(' ')}`);
  });
}

test('install.yaml holds the objects of the base', () => {
  assert.deepStrictEqual(objects(readFileSync(join(ROOT, INSTALL_FILE), 'utf8')), rendered(base));
});

test('the chart left to its defaults installs into the release namespace without creating it', () => {
  const out = objects(execFileSync(helmBinary(), ['template', 'loupe', join(ROOT, CHART_DIR), '--namespace', 'team-a'], { encoding: 'utf8' }));
  assert.deepStrictEqual(out.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Role', 'RoleBinding', 'ServiceAccount']);
  for (const o of out) if (o.metadata?.namespace) assert.equal(o.metadata.namespace, 'team-a', keyOf(o));
});

test('kubectl apply -k the registry overlay: the operator, with its Deployment\'s args, renders every Vizier image from that registry', async () => {
  kubectl('--kubeconfig', env.kubeconfigPath, 'apply', '--server-side', '-k', join(ROOT, 'operator/deploy/overlays/registry'));
  const deployment = (await api(env.kc).request({ method: 'GET', path: `/apis/apps/v1/namespaces/loupe-system/deployments/${OPERATOR_NAME}` })) as V1Deployment;
  const container = deployment.spec!.template.spec!.containers.find((c) => c.name === OPERATOR_CONTAINER)!;
  assert.equal(container.image, `${OVERLAY_REGISTRY}/loupe:${version}`);
  // The operator as the pod would start it: the container's args (after the role) parsed by `loupe operator`.
  const { settings } = parseOperatorArgs(container.args!.slice(1), {});
  assert.deepStrictEqual(settings, { registry: OVERLAY_REGISTRY });
  operator = await startOperator(env.kc, 'install-paths', { settings, leaderElection: false });

  await api(env.kc).request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mirrored' } } });
  await api(env.kc).request({
    method: 'POST',
    path: '/apis/loupe.dev/v1alpha1/namespaces/mirrored/viziers',
    body: { apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', metadata: { name: 'vz' }, spec: { metadata: { storage: 'etcd' } } },
  });
  const workloads = await waitFor('the Vizier\'s workloads', async () => {
    const all = [
      ...(await list(env.kc, '/apis/apps/v1/namespaces/mirrored/deployments')),
      ...(await list(env.kc, '/apis/apps/v1/namespaces/mirrored/statefulsets')),
      ...(await list(env.kc, '/apis/apps/v1/namespaces/mirrored/daemonsets')),
    ];
    return all.length >= 6 ? all : undefined;
  });
  const images = workloads.flatMap((w) => templateImages((w as { spec?: { template?: V1PodTemplateSpec } }).spec?.template));
  assert.deepStrictEqual([...new Set(images)].sort(), [`${OVERLAY_REGISTRY}/etcd:3.5.15`, `${OVERLAY_REGISTRY}/loupe:${version}`, `${OVERLAY_REGISTRY}/nats:2.9.25-alpine`]);
});
