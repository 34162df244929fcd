// The generated CRDs on a real API server: samples accepted, defaults applied, bad specs
// rejected with the field named, printer columns and the `loupe` category in kubectl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startKube, type KubeEnv } from './harness/kube.js';
import { api, installCRDs, createNamespace } from './harness/cluster.js';
import { repoRoot } from '../crds/generate.js';
import { ALL_KINDS } from '../crds/index.js';
import type { Vizier } from '../crds/kinds/vizier.js';

let env: KubeEnv;

before(async () => {
  env = await startKube({ controllerManager: false });
  await installCRDs(env.kc);
  await createNamespace(env.kc, 'loupe');
  await createNamespace(env.kc, 'loupe-cloud');
  await createNamespace(env.kc, 'bad');
});
after(async () => env?.stop());

const plural = (kind: string) => ALL_KINDS.find((k) => k.kind === kind)!.plural;
const create = (obj: KubernetesObject) =>
  api(env.kc).request({ method: 'POST', path: `/apis/loupe.dev/v1alpha1/namespaces/${obj.metadata!.namespace}/${plural(obj.kind!)}`, body: obj });

test('every sample in crds/samples is accepted by the API server', async () => {
  const dir = join(repoRoot(), 'crds', 'samples');
  const kinds = new Set<string>();
  for (const f of readdirSync(dir)) {
    const obj = parse(readFileSync(join(dir, f), 'utf8')) as KubernetesObject;
    await create(obj);
    kinds.add(obj.kind!);
  }
  assert.deepEqual([...kinds].sort(), ALL_KINDS.map((k) => k.kind).sort(), 'one sample per kind');
});

test('an empty Vizier spec is accepted and the server fills every default', async () => {
  const created = (await create({ apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', metadata: { name: 'empty', namespace: 'loupe' } } as KubernetesObject)) as Vizier;
  assert.equal(created.spec.version, '0.1.0');
  // No registry: the operator's --registry fills it, so a mirrored install needs no edit to each Vizier.
  assert.equal(created.spec.registry, undefined);
  assert.equal(created.spec.pem.resources.memoryLimit, '2Gi');
  assert.equal(created.spec.pem.tableStorePercent, 60);
  assert.deepEqual(created.spec.pem.protocols, ['http']);
  assert.equal(created.spec.kelvin.replicas, 1);
  assert.equal(created.spec.metadata.storage, 'persistent');
  assert.equal(created.spec.autoUpdate, false);
  assert.equal(created.spec.paused, false);
});

const cases: { what: string; kind: string; spec: Record<string, unknown>; field: RegExp }[] = [
  { what: 'a bad enum', kind: 'Vizier', spec: { dataAccess: 'Everything' }, field: /spec\.dataAccess.*Unsupported value: "Everything"/ },
  { what: 'a negative quantity', kind: 'Vizier', spec: { pem: { resources: { memoryLimit: '-1Gi' } } }, field: /spec\.pem\.resources\.memoryLimit/ },
  { what: 'a wrong type', kind: 'Vizier', spec: { kelvin: { replicas: 'two' } }, field: /spec\.kelvin\.replicas.*integer/ },
  { what: 'an out-of-range number', kind: 'Vizier', spec: { kelvin: { replicas: 0 } }, field: /spec\.kelvin\.replicas.*greater than or equal to 1/ },
  { what: 'a missing required field', kind: 'Vizier', spec: { cloud: { deployKeySecretRef: { name: 'k' } } }, field: /spec\.cloud\.address.*Required/ },
  { what: 'a bad protocol in a list', kind: 'Vizier', spec: { pem: { protocols: ['http', 'smtp'] } }, field: /spec\.pem\.protocols.*Unsupported value: "smtp"/ },
  { what: 'a missing required field', kind: 'CronScript', spec: { script: 'import px' }, field: /spec\.vizierRef.*Required/ },
  { what: 'a bad selector', kind: 'SymbolizationJob', spec: { profileAgentRef: { name: 'p' }, selector: 'service=x' }, field: /spec\.selector/ },
  { what: 'a bad duration', kind: 'ProfileAgent', spec: { retention: { profiles: 'two weeks' } }, field: /spec\.retention\.profiles/ },
  { what: 'a bad plugin type', kind: 'Plugin', spec: { type: 'kafka', endpoint: 'x:1' }, field: /spec\.type.*Unsupported value/ },
];

for (const c of cases) {
  test(`a ${c.kind} with ${c.what} is rejected with a message naming the field`, async () => {
    await assert.rejects(
      create({ apiVersion: 'loupe.dev/v1alpha1', kind: c.kind, metadata: { name: `bad-${Math.random().toString(36).slice(2, 8)}`, namespace: 'bad' }, spec: c.spec } as KubernetesObject),
      (err: Error & { status?: number }) => {
        assert.equal(err.status, 422, err.message);
        assert.match(err.message, c.field);
        return true;
      },
    );
  });
}

test('a name longer than a label value allows (63) is rejected', async () => {
  await assert.rejects(
    create({ apiVersion: 'loupe.dev/v1alpha1', kind: 'Vizier', metadata: { name: 'v'.repeat(64), namespace: 'bad' }, spec: {} } as KubernetesObject),
    (err: Error & { status?: number }) => err.status === 422 && /metadata\.name/.test(err.message),
  );
});

test('nothing invalid was stored', async () => {
  for (const def of ALL_KINDS) {
    const r = (await api(env.kc).request({ method: 'GET', path: `/apis/loupe.dev/v1alpha1/namespaces/bad/${def.plural}` })) as { items: unknown[] };
    assert.equal(r.items.length, 0, def.kind);
  }
});

test('kubectl shows the printer columns and finds every kind through the loupe category and short names', () => {
  assert.ok(env.kubectl, 'kubectl was built by e2e/kube/build-kube.sh');
  const kubectl = (...args: string[]) => execFileSync(env.kubectl!, ['--kubeconfig', env.kubeconfigPath, ...args], { encoding: 'utf8' });
  const header = kubectl('get', 'vz', '-n', 'loupe').split('\n')[0]!;
  assert.match(header, /NAME\s+PHASE\s+READY\s+VERSION\s+PEMS\s+AGE/);
  const all = kubectl('get', 'loupe', '-A', '-o', 'name');
  for (const def of ALL_KINDS) assert.match(all, new RegExp(`^${def.singular}\\.loupe\\.dev/`, 'm'), def.kind);
});

test('kubectl get --field-selector picks CronScripts by Vizier, SymbolizationJobs by ProfileAgent and Plugins by type; other fields are refused', async () => {
  await createNamespace(env.kc, 'select');
  const cron = (name: string, vizier: string) => ({ apiVersion: 'loupe.dev/v1alpha1', kind: 'CronScript', metadata: { name, namespace: 'select' }, spec: { vizierRef: { name: vizier }, script: 'import px', frequency: '1m' } });
  for (const o of [cron('a1', 'vz-a'), cron('a2', 'vz-a'), cron('b1', 'vz-b'),
    { apiVersion: 'loupe.dev/v1alpha1', kind: 'SymbolizationJob', metadata: { name: 'j1', namespace: 'select' }, spec: { profileAgentRef: { name: 'pa-1' }, selector: '{service="x"}', last: '1h' } },
    { apiVersion: 'loupe.dev/v1alpha1', kind: 'SymbolizationJob', metadata: { name: 'j2', namespace: 'select' }, spec: { profileAgentRef: { name: 'pa-2' }, selector: '{service="x"}', last: '1h' } },
    { apiVersion: 'loupe.dev/v1alpha1', kind: 'Plugin', metadata: { name: 'otel', namespace: 'select' }, spec: { type: 'otlp', endpoint: 'collector:4317' } },
    { apiVersion: 'loupe.dev/v1alpha1', kind: 'Plugin', metadata: { name: 'ch', namespace: 'select' }, spec: { type: 'clickhouse', endpoint: 'http://clickhouse:8123' } }]) {
    await create(o as KubernetesObject);
  }
  const kubectl = (...args: string[]) => execFileSync(env.kubectl!, ['--kubeconfig', env.kubeconfigPath, '-n', 'select', ...args], { encoding: 'utf8' });
  const names = (...args: string[]) => kubectl('get', ...args, '-o', 'name').trim().split('\n').sort();
  assert.deepEqual(names('cronscripts', '--field-selector', 'spec.vizierRef.name=vz-a'), ['cronscript.loupe.dev/a1', 'cronscript.loupe.dev/a2']);
  assert.deepEqual(names('cronscripts', '--field-selector', 'spec.vizierRef.name!=vz-a'), ['cronscript.loupe.dev/b1']);
  assert.deepEqual(names('symbolizationjobs', '--field-selector', 'spec.profileAgentRef.name=pa-2'), ['symbolizationjob.loupe.dev/j2']);
  assert.deepEqual(names('plugins', '--field-selector', 'spec.type=clickhouse'), ['plugin.loupe.dev/ch']);
  assert.throws(() => kubectl('get', 'cronscripts', '--field-selector', 'spec.schedule=x'), /field label not supported: spec\.schedule/);
});
