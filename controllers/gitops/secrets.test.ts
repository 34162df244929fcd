// Secrets only by reference: a Secret named in a Vizier's spec reaches the pods as a reference
// (secretKeyRef, a secret volume, imagePullSecrets), and no object the operator writes carries
// its value. So the Vizier in git holds names only, the Secrets can come from any tool (Sealed
// Secrets, External Secrets, SOPS), and nothing the operator renders leaks them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Deployment, V1PodSpec, V1Secret } from '@kubernetes/client-node';
import { API_VERSION, crdSchema } from '../../crds/index.js';
import { VizierDefinition } from '../../crds/kinds/vizier.js';
import { MemoryCluster } from '../../controllers/common/memory-cluster.test-util.js';
import { reconcileVizier } from '../../controllers/vizier/reconciler.js';
import { renderVizier, tlsSecretName } from '../../controllers/vizier/render.js';
import { childName } from '../../controllers/common/labels.js';
import { vizier, tls } from '../../controllers/vizier/fixtures.test-util.js';

/** Every place in a schema that names a Secret: properties called *SecretRef or *Secrets. */
function secretRefPaths(schema: Record<string, unknown>, path = ''): string[] {
  const out: string[] = [];
  for (const [name, sub] of Object.entries((schema['properties'] as Record<string, Record<string, unknown>>) ?? {})) {
    const here = path ? `${path}.${name}` : name;
    if (/Secret(Ref|s)$/.test(name)) out.push(here);
    out.push(...secretRefPaths(sub, here));
    if (sub['items']) out.push(...secretRefPaths(sub['items'] as Record<string, unknown>, `${here}[]`));
  }
  return out;
}

const REFS = {
  cloud: { address: 'cloud.example:443', deployKeySecretRef: { name: 'vz-deploy-key', key: 'key' }, caSecretRef: { name: 'vz-cloud-ca', key: 'bundle.pem' } },
  podPolicy: { imagePullSecrets: [{ name: 'regcred' }] },
};

const podSpecs = (objs: KubernetesObject[]): [string, V1PodSpec][] =>
  objs.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind!)).map((o) => [`${o.kind}/${o.metadata!.name}`, (o as V1Deployment).spec!.template.spec!]);

test('the Vizier spec names Secrets in exactly the places this test sets', () => {
  assert.deepEqual(secretRefPaths(crdSchema(VizierDefinition.spec)).sort(), ['cloud.caSecretRef', 'cloud.deployKeySecretRef', 'podPolicy.imagePullSecrets'], 'a new Secret reference in the spec: set it in REFS and check how it is rendered');
});

test('every Secret the spec names reaches the pods as a reference, and the only Secrets rendered are the operator\'s own TLS', () => {
  const objs = renderVizier({ vizier: vizier(REFS), tls: tls() });
  assert.deepEqual(objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata!.name).sort(), [tlsSecretName('vz'), childName('vz', 'tls-ca')].sort());
  const pods = podSpecs(objs);
  const connector = pods.find(([name]) => name === 'Deployment/vz-cloud-connector')![1];
  const env = connector.containers.flatMap((c) => c.env ?? []).find((e) => e.name === 'LOUPE_DEPLOY_KEY');
  assert.deepEqual(env, { name: 'LOUPE_DEPLOY_KEY', valueFrom: { secretKeyRef: { name: 'vz-deploy-key', key: 'key' } } });
  assert.deepEqual(connector.volumes?.find((v) => v.secret?.secretName === 'vz-cloud-ca')?.secret?.items, [{ key: 'bundle.pem', path: 'ca.crt' }]);
  for (const [name, spec] of pods) assert.deepEqual(spec.imagePullSecrets, [{ name: 'regcred' }], `${name} pulls with the named Secret`);
});

test('a reconcile with the named Secrets in the cluster copies none of their values into anything it writes', async () => {
  const values = { deployKey: 'deploy-key-9c41f0e2b7', ca: '-----BEGIN CERTIFICATE-----\nMIIB-cloud-ca-5d2e\n-----END CERTIFICATE-----\n', pull: '{"auths":{"registry.example":{"auth":"dXNlcjpwdWxsLXNlY3JldC03YTE="}}}' };
  const secret = (name: string, type: string, data: Record<string, string>): V1Secret => ({ apiVersion: 'v1', kind: 'Secret', type, metadata: { name, namespace: 'obs' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) });
  const users = [secret('vz-deploy-key', 'Opaque', { key: values.deployKey }), secret('vz-cloud-ca', 'Opaque', { 'bundle.pem': values.ca }), secret('regcred', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': values.pull })];
  const c = new MemoryCluster();
  for (const s of users) c.put(s as KubernetesObject);
  c.put({ apiVersion: API_VERSION, kind: 'Vizier', metadata: { name: 'vz', namespace: 'obs', uid: 'uid-vz', generation: 1 }, spec: REFS } as KubernetesObject);
  await reconcileVizier({ namespace: 'obs', name: 'vz' }, c.ctx());
  c.settle();
  await reconcileVizier({ namespace: 'obs', name: 'vz' }, c.ctx());

  const written = [...c.objects.values()].filter((o) => !users.some((u) => u.metadata!.name === o.metadata?.name && o.kind === 'Secret'));
  assert.ok(written.length >= 20, `the reconcile wrote the children (${written.length} objects)`);
  // Each value whole, base64-encoded, and each of its lines (a certificate's body alone).
  const needles = Object.values(values).flatMap((v) => [v, Buffer.from(v).toString('base64'), ...v.split('\n')]).filter((n) => n.length >= 8 && !n.startsWith('-----'));
  const stored = JSON.stringify(users);
  assert.ok(Object.values(values).every((v) => stored.includes(Buffer.from(v).toString('base64'))), 'the needles are the values as a Secret stores them');
  for (const o of written) {
    const text = JSON.stringify(o);
    for (const n of needles) assert.ok(!text.includes(n), `${o.kind}/${o.metadata?.name} carries a value of a referenced Secret`);
  }
});
