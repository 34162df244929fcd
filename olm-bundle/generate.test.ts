import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../crds/generate.js';
import { ALL_KINDS, API_VERSION } from '../crds/index.js';
import { renderVizier } from '../controllers/vizier/render.js';
import { withDefaults } from '../controllers/vizier/kind.js';
import { DEFAULT_VERSION, type Vizier } from '../crds/kinds/vizier.js';
import { BUNDLE_RULES, csvOf, loadBundle, type Csv } from './bundle-rules.js';
import { BUNDLE_IN_CATALOG, CATALOG_RULES, channelsOf, loadCatalog } from './catalog-rules.js';
import { bundleBlob, type BundleBlob } from './catalog.js';
import { BundleInputError, type ClusterServiceVersion } from './csv.js';
import { BUNDLE_DIR, CATALOG_BUNDLES_DIR, CATALOG_DIR, defaultBundleImage, olmProblems, renderOlmFiles, staleFiles, type OlmInputs } from './generate.js';
import { generated, INPUTS, treeOf } from './fixtures.test-util.js';

const ROOT = repoRoot();
const csvIn = (files: Map<string, string>) => csvOf(loadBundle(treeOf(files, BUNDLE_DIR)))! as Csv & { spec: NonNullable<Csv['spec']> };
const problemsOf = (bundleFiles: Map<string, string>, catalogFiles: Map<string, string>) => {
  const bundle = loadBundle(bundleFiles);
  const catalog = loadCatalog(catalogFiles);
  return [...BUNDLE_RULES.flatMap((r) => r.check(bundle)), ...CATALOG_RULES.flatMap((r) => r.check(catalog)), ...BUNDLE_IN_CATALOG.check({ bundle, catalog })];
};

test('olm-bundle/bundle and olm-bundle/catalog are current with their sources and pass every rule', () => {
  assert.deepEqual(staleFiles(ROOT, renderOlmFiles(INPUTS)), [], 'run `make gen` and commit olm-bundle/');
  assert.deepEqual(olmProblems(ROOT), []);
});

test('the bundle is package.json\'s version, which is also the version a Vizier runs by default', () => {
  const csv = csvIn(generated().files);
  assert.equal(csv.spec.version, INPUTS.version);
  assert.equal(csv.metadata!.name, `loupe-operator.v${INPUTS.version}`);
  assert.equal(DEFAULT_VERSION, INPUTS.version, 'crds/kinds/vizier.ts DEFAULT_VERSION and package.json disagree: an operator would deploy another release than its own');
});

test('the CSV grants exactly what operator/deploy/base/rbac.yaml grants, to the account the Deployment runs as', () => {
  const rbac = parseAllDocuments(readFileSync(join(ROOT, 'operator/deploy/base/rbac.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; rules?: unknown[]; subjects?: { name: string }[] });
  const install = csvIn(generated().files).spec.install!.spec!;
  assert.deepEqual(install.clusterPermissions, [{ serviceAccountName: 'loupe-operator', rules: rbac.find((o) => o.kind === 'ClusterRole')!.rules }]);
  assert.deepEqual(install.permissions, [{ serviceAccountName: 'loupe-operator', rules: rbac.find((o) => o.kind === 'Role')!.rules }]);
  assert.equal(rbac.find((o) => o.kind === 'ClusterRoleBinding')!.subjects![0]!.name, install.deployments![0]!.spec!.template!.spec!.serviceAccountName);
});

test('the CSV installs the Deployment of operator/deploy/base/deployment.yaml', () => {
  const deployment = parse(readFileSync(join(ROOT, 'operator/deploy/base/deployment.yaml'), 'utf8')) as V1Deployment;
  const [d] = csvIn(generated().files).spec.install!.spec!.deployments!;
  assert.equal(d!.name, deployment.metadata!.name);
  assert.deepEqual(d!.spec, deployment.spec);
});

test('the operator image is an input: a digest reaches the Deployment, containerImage and relatedImages, and the rules still pass', () => {
  const digest = `ghcr.io/loupe-dev/loupe@sha256:${'ab'.repeat(32)}`;
  const files = renderOlmFiles({ ...INPUTS, operatorImage: digest });
  const csv = csvIn(files);
  assert.equal(csv.spec.install!.spec!.deployments![0]!.spec!.template!.spec!.containers![0]!.image, digest);
  assert.equal(csv.metadata!.annotations!['containerImage'], digest);
  assert.deepEqual(csv.spec.relatedImages![0], { name: 'loupe-operator', image: digest });
  assert.ok(csv.spec.relatedImages!.some((r) => r.image === 'ghcr.io/loupe-dev/loupe:0.1.0'), 'the roles a Vizier runs keep their own reference');
  assert.deepEqual(problemsOf(treeOf(files, BUNDLE_DIR), treeOf(files, CATALOG_DIR)), []);
  assert.equal(defaultBundleImage(digest, '0.1.0'), 'ghcr.io/loupe-dev/loupe-operator-bundle:0.1.0');
  assert.equal(defaultBundleImage('registry.local:5000/mirror/loupe:0.1.0', '0.1.0'), 'registry.local:5000/mirror/loupe-operator-bundle:0.1.0');
});

test('relatedImages list every image a Vizier can run, whatever its metadata storage and cloud setting', () => {
  const related = new Set(csvIn(generated().files).spec.relatedImages!.map((r) => r.image));
  for (const storage of ['persistent', 'etcd', 'memory']) {
    for (const cloud of [undefined, { address: 'cloud.example:443', deployKeySecretRef: { name: 'k' } }]) {
      const vizier = withDefaults({ apiVersion: API_VERSION, kind: 'Vizier', metadata: { name: 'vz', namespace: 'ns', uid: 'u' }, spec: { metadata: { storage }, ...(cloud ? { cloud } : {}) } as unknown as Vizier['spec'] });
      const objects = renderVizier({ vizier, tls: { caCrt: 'a', caKey: 'b', crt: 'c', key: 'd' } }) as (KubernetesObject & { spec?: { template?: { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } } })[];
      const images = objects.flatMap((o) => [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])].map((c) => c.image!));
      assert.ok(images.length > 0);
      for (const image of images) assert.ok(related.has(image), `${image} (storage ${storage}, cloud ${cloud ? 'on' : 'off'}) is not in relatedImages`);
    }
  }
});

test('alm-examples are crds/samples without their namespaces, one per kind in the order of crds/index.ts', () => {
  const examples = JSON.parse(csvIn(generated().files).metadata!.annotations!['alm-examples']!) as KubernetesObject[];
  assert.deepEqual(examples.map((e) => e.kind), ALL_KINDS.map((d) => d.kind));
  for (const e of examples) {
    const sample = INPUTS.samples.find((s) => s.kind === e.kind)!;
    assert.equal(e.metadata?.namespace, undefined);
    assert.deepEqual({ ...e, metadata: { ...e.metadata, namespace: sample.metadata?.namespace } }, sample);
  }
});

/** The olm.bundle blob an earlier release would have left in the catalog. */
function released(version: string): BundleBlob {
  const files = renderOlmFiles({ ...INPUTS, version });
  return bundleBlob(csvIn(files) as unknown as ClusterServiceVersion, `ghcr.io/loupe-dev/loupe-operator-bundle:${version}`);
}

test('after earlier releases, the new CSV replaces the newest, skips all of them, and the channel chains them', () => {
  const inputs: OlmInputs = { ...INPUTS, version: '0.3.0', released: [released('0.2.0'), released('0.1.0')] };
  const files = renderOlmFiles(inputs);
  const csv = csvIn(files);
  assert.equal(csv.metadata!.name, 'loupe-operator.v0.3.0');
  assert.equal(csv.spec.replaces, 'loupe-operator.v0.2.0');
  assert.equal(csv.metadata!.annotations!['olm.skipRange'], '>=0.1.0 <0.3.0');
  const catalogFiles = treeOf(files, CATALOG_DIR);
  for (const b of inputs.released) catalogFiles.set(`${CATALOG_BUNDLES_DIR.slice(CATALOG_DIR.length + 1)}/${b.name}.yaml`, JSON.stringify(b));
  assert.deepEqual(channelsOf(loadCatalog(catalogFiles))[0]!.entries, [
    { name: 'loupe-operator.v0.1.0' },
    { name: 'loupe-operator.v0.2.0', replaces: 'loupe-operator.v0.1.0', skipRange: '>=0.1.0 <0.2.0' },
    { name: 'loupe-operator.v0.3.0', replaces: 'loupe-operator.v0.2.0', skipRange: '>=0.1.0 <0.3.0' },
  ]);
  assert.deepEqual(problemsOf(treeOf(files, BUNDLE_DIR), catalogFiles), []);
});

test('a released bundle not older than package.json\'s version is refused, naming it', () => {
  assert.throws(() => renderOlmFiles({ ...INPUTS, released: [released('0.1.0')] }), (err: Error) => err instanceof BundleInputError && /holds loupe-operator.v0.1.0, not older than package.json's version 0.1.0: raise the version/.test(err.message));
});

test('generate.js --check passes; a bad --operator-image exits 2 naming the flag and what is wrong', () => {
  const script = join(ROOT, 'dist/olm-bundle/generate.js');
  const ok = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /current and pass every validation rule/);
  const bad = spawnSync(process.execPath, [script, '--check', '--operator-image', 'ghcr.io/Loupe/loupe:0.1.0'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--operator-image: "ghcr.io\/Loupe\/loupe:0.1.0": path component "Loupe" must be lower-case/);
  const unknown = spawnSync(process.execPath, [script, '--image', 'x'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /Unknown option '--image'/);
});
