// The CRDs' validation rules (x-kubernetes-validations) on a real API server: `kubectl apply`
// refuses each bad object of the shared case table (crds/rule-cases.test-util.ts) naming the
// field, stores none of them, accepts the good ones, and the server's errors are exactly the
// ones crds/rules.ts gives for the same object. Then validation ratcheting: a Vizier stored
// before its rule existed stays and can be edited elsewhere, and the operator's own check
// (controllers/vizier/kind.ts brokenRules) reports what the server now lets pass.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startKube, type KubeEnv } from './harness/kube.js';
import { api, createNamespace, generatedCRDs, installCRDs, waitFor } from './harness/cluster.js';
import { ALL_KINDS, API_VERSION, applyDefaults, crdSchema } from '../crds/index.js';
import type { Vizier } from '../crds/kinds/vizier.js';
import { RULE_CASES, type RuleCase } from '../crds/rule-cases.test-util.js';
import { ruleViolations } from '../crds/rules.js';
import { brokenRules, withDefaults } from '../controllers/vizier/kind.js';
import { ApiError } from '../lib/kube/api-error.js';

const GOOD = 'rules-good';
const BAD = 'rules-bad';
let env: KubeEnv;

before(async () => {
  env = await startKube({ controllerManager: false });
  await installCRDs(env.kc);
  for (const ns of [GOOD, BAD, 'ratchet']) await createNamespace(env.kc, ns);
  const { minor } = (await api(env.kc).request({ method: 'GET', path: '/version' })) as { minor: string };
  typeForValue = Number.parseInt(minor, 10) < 37;
});
after(async () => env?.stop());

const defOf = (kind: string) => ALL_KINDS.find((k) => k.kind === kind)!;
const collection = (kind: string, namespace: string) => `/apis/${API_VERSION}/namespaces/${namespace}/${defOf(kind).plural}`;

function kubectl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  assert.ok(env.kubectl, 'kubectl was built with the API server (make kube)');
  return spawnSync(env.kubectl, ['--kubeconfig', env.kubeconfigPath, ...args], { input, encoding: 'utf8' });
}

/**
 * crds/rules.ts words errors as 1.37 does: `Invalid value: "the value": message`, or no value
 * for an object. Older servers (1.34) put the value's type there instead (`Invalid value:
 * "string": message`); against one, every side is compared with the value left out.
 */
let typeForValue = false;
const comparable = (s: string) => (typeForValue ? s.replace(/Invalid value: "(?:[^"\\]|\\.)*": /g, 'Invalid value: ') : s);

/** The server's errors for creating obj (a dry run, nothing stored), each as `field: body`; [] when it accepts it. */
async function serverErrors(obj: KubernetesObject): Promise<string[]> {
  try {
    await api(env.kc).request({ method: 'POST', path: collection(obj.kind!, obj.metadata!.namespace!), query: { dryRun: 'All' }, body: obj });
    return [];
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 422) throw err;
    return err.causes.map((c) => comparable(`${c.field}: ${c.message}`));
  }
}

const objectOf = (c: RuleCase, i: number): KubernetesObject =>
  ({ apiVersion: API_VERSION, kind: c.kind, metadata: { name: `case-${i}`, namespace: c.errors.length > 0 ? BAD : GOOD }, spec: c.spec }) as KubernetesObject;

RULE_CASES.forEach((c, i) => {
  const outcome = c.errors.length === 0 ? 'accepted' : `refused naming ${c.errors.map((e) => e.slice(0, e.indexOf(':'))).join(', ')}`;
  test(`${c.kind}, ${c.name}: kubectl apply is ${outcome}; the server and crds/rules.ts give the same errors`, async () => {
    const obj = objectOf(c, i);
    const applied = kubectl(['apply', '-f', '-'], JSON.stringify(obj));
    if (c.errors.length === 0) {
      assert.equal(applied.status, 0, applied.stderr);
    } else {
      assert.notEqual(applied.status, 0, `kubectl apply accepted it: ${applied.stdout}`);
      assert.match(applied.stderr, new RegExp(`The ${c.kind} "case-${i}" is invalid`));
      for (const e of c.errors) assert.ok(comparable(applied.stderr).includes(comparable(e)), `kubectl's stderr names ${e}\n--- stderr:\n${applied.stderr}`);
    }
    const schema = crdSchema(defOf(c.kind).spec);
    const ours = ruleViolations(schema, applyDefaults(schema, c.spec)).map((v) => comparable(v.text));
    const server = await serverErrors({ ...obj, metadata: { ...obj.metadata, name: `dry-${i}` } });
    assert.deepEqual(server.sort(), c.errors.map(comparable).sort(), 'the server gives the table\'s errors');
    assert.deepEqual(ours.sort(), server, 'crds/rules.ts gives the server\'s errors');
  });
});

test('nothing refused was stored, every accepted object was', async () => {
  for (const def of ALL_KINDS) {
    const bad = (await api(env.kc).request({ method: 'GET', path: collection(def.kind, BAD) })) as { items: unknown[] };
    assert.equal(bad.items.length, 0, `${def.kind} in ${BAD}`);
    const good = (await api(env.kc).request({ method: 'GET', path: collection(def.kind, GOOD) })) as { items: unknown[] };
    assert.equal(good.items.length, RULE_CASES.filter((c) => c.kind === def.kind && c.errors.length === 0).length, `${def.kind} in ${GOOD}`);
  }
});

/** The Vizier CRD as generated, or with every validation rule taken out (as a CRD from before the rules). */
function vizierCRD(withRules: boolean): KubernetesObject {
  const crd = generatedCRDs().find((c) => c.metadata!.name === `${defOf('Vizier').plural}.loupe.dev`)!;
  return withRules ? crd : (JSON.parse(JSON.stringify(crd, (key, value: unknown) => (key === 'x-kubernetes-validations' ? undefined : value))) as KubernetesObject);
}

async function applyCRD(crd: KubernetesObject): Promise<void> {
  await api(env.kc).request({
    method: 'PATCH',
    path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata!.name}`,
    query: { fieldManager: 'loupe-e2e', force: true },
    contentType: 'application/apply-patch+yaml',
    body: crd,
  });
}

test('a Vizier stored before its rule existed stays and can be edited elsewhere (ratcheting); brokenRules still reports it for the operator', async () => {
  const tooMuch = { pem: { resources: { memoryRequest: '4Gi', memoryLimit: '2Gi' } } };
  const probe = { apiVersion: API_VERSION, kind: 'Vizier', metadata: { name: 'probe', namespace: 'ratchet' }, spec: tooMuch } as KubernetesObject;
  await applyCRD(vizierCRD(false));
  await waitFor('the Vizier CRD without rules to serve', async () => (await serverErrors(probe)).length === 0);
  await api(env.kc).request({ method: 'POST', path: collection('Vizier', 'ratchet'), body: { ...probe, metadata: { name: 'old', namespace: 'ratchet' } } });

  await applyCRD(vizierCRD(true));
  await waitFor('the Vizier CRD with rules to serve', async () => (await serverErrors(probe)).length === 1);
  const path = `${collection('Vizier', 'ratchet')}/old`;
  const edited = (await api(env.kc).request({ method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { spec: { kelvin: { replicas: 2 } } } })) as Vizier;
  assert.equal(edited.spec.kelvin.replicas, 2, 'an edit elsewhere passes: the broken field did not change');
  assert.equal(edited.spec.pem.resources.memoryRequest, '4Gi');

  await assert.rejects(
    api(env.kc).request({ method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { spec: { pem: { resources: { memoryRequest: '3Gi' } } } } }),
    (err: unknown) => err instanceof ApiError && err.status === 422 && /spec\.pem\.resources\.memoryRequest: Invalid value: memoryRequest 3Gi is above memoryLimit 2Gi/.test(comparable(err.message)),
    'changing the broken field to another bad value is refused',
  );
  assert.equal(
    brokenRules(withDefaults(edited)),
    'spec.pem.resources.memoryRequest: Invalid value: memoryRequest 4Gi is above memoryLimit 2Gi; a container cannot request more than its limit: lower memoryRequest (default 2Gi) or raise memoryLimit',
  );
});
