// Every Argo CD health check, run by a real Lua interpreter (lua5.4) in Argo CD's sandbox,
// against its health_test.yaml cases (Argo CD's own layout and format), against the statuses
// the Vizier reconciler writes, and for the rules every kind shares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { ALL_KINDS, API_VERSION, crdSchema, type KindDefinition } from '../../../crds/index.js';
import { repoRoot } from '../../../crds/generate.js';
import { VIZIER_PHASES } from '../../../crds/kinds/vizier.js';
import { PodProblem, VizierReason } from '../../../controllers/vizier/reasons.js';
import { ARGOCD_CM, HEALTH_SOURCES, configMapKey, kindFolder, type HealthCode } from './customizations.js';
import { runHealth, type Health } from './lua.test-util.js';
import { vizierCases } from './vizier-cases.js';

const ROOT = repoRoot();
const script = (kind: string) => join(ROOT, kindFolder(kind), 'health.lua');

interface HealthTest {
  healthStatus: { status: HealthCode; message: string };
  inputPath: string;
}

function healthTests(kind: string): { test: HealthTest; object: Record<string, unknown> }[] {
  const folder = join(ROOT, kindFolder(kind));
  const doc = parse(readFileSync(join(folder, 'health_test.yaml'), 'utf8')) as { tests?: HealthTest[] };
  assert.ok(doc.tests && doc.tests.length > 0, `${kindFolder(kind)}/health_test.yaml lists no tests`);
  return doc.tests.map((t) => ({ test: t, object: parse(readFileSync(join(folder, t.inputPath), 'utf8')) as Record<string, unknown> }));
}

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
function schemaProblems(def: KindDefinition, object: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const part of ['spec', 'status'] as const) {
    if (object[part] === undefined) continue;
    const validate = ajv.compile(crdSchema(part === 'spec' ? def.spec : def.status));
    if (!validate(object[part])) problems.push(...(validate.errors ?? []).map((e) => `${part}${e.instancePath} ${e.message}`));
  }
  return problems;
}

/** Lines of each kind's script that some case ran, gathered over all the tests of this file. */
const ran = new Map<string, Set<number>>();
function record(kind: string, results: Health[]): Health[] {
  const lines = ran.get(kind) ?? new Set<number>();
  for (const r of results) for (const l of r.lines) lines.add(l);
  ran.set(kind, lines);
  return results;
}

for (const def of ALL_KINDS) {
  test(`${def.kind}: health.lua gives each health_test.yaml case its status and message, on objects the CRD schema admits`, () => {
    const cases = healthTests(def.kind);
    for (const { test: t, object } of cases) {
      assert.equal(object['apiVersion'], API_VERSION, `${t.inputPath}: apiVersion`);
      assert.equal(object['kind'], def.kind, `${t.inputPath}: kind`);
      assert.deepEqual(schemaProblems(def, object), [], `${t.inputPath} is not what the ${def.kind} CRD admits`);
    }
    const results = record(def.kind, runHealth(script(def.kind), cases.map((c) => c.object)));
    cases.forEach(({ test: t }, i) => assert.deepEqual({ status: results[i]!.status, message: results[i]!.message }, t.healthStatus, t.inputPath));
  });
}

test('Vizier: health.lua reads every status the reconciler writes as the rules say (the live cases behind the generated health_test.yaml)', () => {
  const cases = vizierCases();
  const results = record('Vizier', runHealth(script('Vizier'), cases.map((c) => c.object)));
  cases.forEach((c, i) => assert.deepEqual({ status: results[i]!.status, message: results[i]!.message }, { status: c.health, message: c.message }, c.name));
});

test('the Vizier cases cover every phase and every condition reason the reconciler has', () => {
  const cases = vizierCases();
  const phases = new Set(cases.map((c) => c.object.status?.phase));
  for (const p of VIZIER_PHASES) assert.ok(phases.has(p), `no case has phase ${p}: add one to controllers/gitops/argocd/vizier-cases.ts`);
  const reasons = new Set(cases.flatMap((c) => c.object.status?.conditions?.map((x) => x.reason) ?? []));
  for (const r of Object.values(VizierReason)) assert.ok(reasons.has(r), `no case has a condition with reason ${r}: add one to controllers/gitops/argocd/vizier-cases.ts`);
  for (const p of Object.values(PodProblem)) assert.ok([...reasons].some((r) => r.endsWith(p)), `no case has a pod problem ${p}: add one to controllers/gitops/argocd/vizier-cases.ts`);
});

/** A kind's object as the API server returns it, with only these status fields. */
function withStatus(def: KindDefinition, status: Record<string, unknown>, generation = 1): Record<string, unknown> {
  return { apiVersion: API_VERSION, kind: def.kind, metadata: { name: 'x', namespace: 'loupe', generation }, spec: {}, status };
}

test('every kind: a phase the check does not know is Unknown, naming the phase and what to do', () => {
  for (const def of ALL_KINDS) {
    const [h] = record(def.kind, runHealth(script(def.kind), [withStatus(def, { observedGeneration: 1, phase: 'Hibernating' })]));
    assert.deepEqual({ status: h!.status, message: h!.message }, { status: 'Unknown', message: 'phase Hibernating is unknown to this health check: use the one of your Loupe release (controllers/gitops/argocd)' }, def.kind);
  }
});

test('every kind: a status without observedGeneration, or one that is observed but empty, is Progressing', () => {
  for (const def of ALL_KINDS) {
    const results = record(def.kind, runHealth(script(def.kind), [withStatus(def, { phase: 'Pending' }, 4), withStatus(def, { observedGeneration: 4 }, 4)]));
    assert.deepEqual(results.map((h) => [h.status, h.message]), [
      ['Progressing', 'waiting for the operator to observe generation 4 (its status has no observedGeneration)'],
      ['Progressing', 'waiting for the operator to report a phase'],
    ], def.kind);
  }
});

// Runs after every test that records lines (node:test runs a file's tests in order).
test('every decision a health check can make (each line returning a health) is reached by some case', () => {
  const decisions = (lua: string) => lua.split('\n').map((text, i) => ({ text, line: i + 1 })).filter(({ text }) => /\bhealth\(/.test(text) && !/^\s*--/.test(text) && !/local function health\(/.test(text));
  for (const def of ALL_KINDS) {
    const lua = readFileSync(script(def.kind), 'utf8');
    // The kind's own rules start where its source does; above them are the shared helpers, whose
    // decisions only some kinds reach: those need a case in any kind.
    const ownFrom = lua.slice(0, lua.indexOf(readFileSync(join(ROOT, HEALTH_SOURCES, `${def.kind}.lua`), 'utf8'))).split('\n').length;
    const unreached = decisions(lua).filter(({ line }) => !ran.get(def.kind)?.has(line) && (line >= ownFrom || ![...ran.values()].some((s) => s.has(line))));
    assert.deepEqual(unreached.map(({ line, text }) => `${line}: ${text.trim()}`), [], `${def.kind}: no case reaches these decisions; add cases to its health_test.yaml`);
  }
});

test('the sandbox is Argo CD\'s: no string library and no string methods, so a check that uses them fails here as it would there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-sandbox-'));
  try {
    const uses = { 'string.format': 'return { status = string.format("%s", "Healthy") }', 'a string method': 'return { status = ("healthy"):upper() }', 'math': 'return { status = "Healthy", message = "" .. math.floor(1.5) }' };
    for (const [what, lua] of Object.entries(uses)) {
      writeFileSync(join(dir, 'health.lua'), lua);
      assert.throws(() => runHealth(join(dir, 'health.lua'), [{}]), /failed on object 0: .*(string|math|index)/, what);
    }
    writeFileSync(join(dir, 'health.lua'), 'return { status = "Fine" }');
    assert.throws(() => runHealth(join(dir, 'health.lua'), [{}]), /returned status Fine .* Argo CD replaces with Unknown/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('objects reach Lua as Argo CD passes them: strings intact, whole numbers printed without a fraction, arrays from 1, null as nil', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loupe-sandbox-'));
  try {
    writeFileSync(join(dir, 'health.lua'), 'return { status = "Healthy", message = obj.s .. "|" .. obj.n .. "|" .. obj.f .. "|" .. #obj.list .. obj.list[1] .. "|" .. tostring(obj.gone) }');
    const s = 'quote " backslash \\ newline \n tab \t bell \u0007 then 9, é, ✓';
    const [h] = runHealth(join(dir, 'health.lua'), [{ s, n: 2, f: 2.5, list: ['a', 'b'], gone: null }]);
    assert.equal(h!.message, `${s}|2|2.5|2a|nil`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Code without comments and string literals, for the syntax and library checks. */
function codeOf(lua: string): string {
  return lua
    .split('\n')
    .map((l) => l.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/--.*$/, ''))
    .join('\n');
}

test('every health.lua keeps to what Argo CD\'s Lua (gopher-lua, Lua 5.1) runs without libraries: no 5.2+ syntax, only base functions', () => {
  for (const def of ALL_KINDS) {
    const code = codeOf(readFileSync(script(def.kind), 'utf8'));
    for (const [what, re] of [
      ['Lua 5.3 integer division or bitwise operators', /\/\/|&|\||<<|>>|~(?!=)/],
      ['Lua 5.4 attributes', /<(const|close)>/],
      ['goto or labels', /\bgoto\b|::/],
      ['a library Argo CD does not load by default', /\b(string|math|io|debug|utf8|coroutine|package|require|load|loadstring|dofile|unpack)\b/],
      ['a method call (strings have no methods there)', /[\w\])"]:\w+\s*\(/],
    ] as const) {
      const m = re.exec(code);
      assert.equal(m, null, `${kindFolder(def.kind)}/health.lua uses ${what}: ${m?.[0]}`);
    }
  }
});

test('argocd-cm.yaml carries exactly every kind\'s health.lua under the key Argo CD reads', () => {
  const cm = parse(readFileSync(join(ROOT, ARGOCD_CM), 'utf8')) as { kind: string; metadata: { name: string }; data: Record<string, string> };
  assert.equal(cm.kind, 'ConfigMap');
  assert.equal(cm.metadata.name, 'argocd-cm');
  assert.deepEqual(Object.keys(cm.data).sort(), ALL_KINDS.map((d) => configMapKey(d.kind)).sort());
  for (const def of ALL_KINDS) {
    assert.ok(existsSync(script(def.kind)), `${kindFolder(def.kind)}/health.lua is missing`);
    assert.equal(cm.data[configMapKey(def.kind)], readFileSync(script(def.kind), 'utf8'), `${configMapKey(def.kind)} is the same script as ${kindFolder(def.kind)}/health.lua`);
  }
  assert.equal(configMapKey('Vizier'), 'resource.customizations.health.loupe.dev_Vizier', 'Argo CD reads resource.customizations.health.<group>_<kind>');
});
