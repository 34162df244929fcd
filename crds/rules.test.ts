import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALL_KINDS, applyDefaults, crdSchema } from './index.js';
import { repoRoot } from './generate.js';
import { RULE_CASES } from './rule-cases.test-util.js';
import { ruleProblems, ruleSites, ruleViolations, RuleCompileError, type Schema } from './rules.js';
import type { ValidationRule } from './schema.js';

const SPECS = new Map<string, Schema>(ALL_KINDS.map((def) => [def.kind, crdSchema(def.spec)]));
const specOf = (kind: string) => SPECS.get(kind)!;
const violations = (kind: string, spec: unknown) => ruleViolations(specOf(kind), applyDefaults(specOf(kind), spec));

test('every rule of every kind compiles against its schema with the CEL functions crds/cel-env.ts provides', () => {
  let rules = 0;
  for (const def of ALL_KINDS) {
    assert.deepEqual(ruleProblems(specOf(def.kind)), [], def.kind);
    assert.deepEqual(ruleProblems(crdSchema(def.status), 'status'), [], `${def.kind} status`);
    rules += ruleSites(specOf(def.kind)).length;
  }
  assert.ok(rules >= 30, `only ${rules} rules`);
});

test('every sample in crds/samples passes every rule', () => {
  const dir = join(repoRoot(), 'crds', 'samples');
  for (const f of readdirSync(dir)) {
    const obj = parse(readFileSync(join(dir, f), 'utf8')) as { kind: string; spec: unknown };
    assert.deepEqual(violations(obj.kind, obj.spec), [], f);
  }
});

for (const c of RULE_CASES) {
  test(`${c.kind}, ${c.name}: ${c.errors.length === 0 ? 'every rule passes' : c.errors.map((e) => e.slice(0, e.indexOf(':'))).join(', ')}`, () => {
    assert.deepEqual(violations(c.kind, c.spec).map((v) => v.text).sort(), [...c.errors].sort());
  });
}

test('the shared case table has an invalid object for every rule of every kind', () => {
  for (const def of ALL_KINDS) {
    const failed = new Set(RULE_CASES.filter((c) => c.kind === def.kind).flatMap((c) => violations(c.kind, c.spec).map((v) => v.rule)));
    const rules = new Set(ruleSites(specOf(def.kind)).map((s) => s.rule.rule));
    assert.deepEqual([...rules].filter((r) => !failed.has(r)), [], `${def.kind}: rules no case breaks`);
  }
});

// A small schema of each shape the evaluator walks, to pin the wording of each kind of error.
const str = { type: 'string' };
const node = (properties: Record<string, unknown>, rules: ValidationRule[], extra: Record<string, unknown> = {}): Schema => ({ type: 'object', properties, 'x-kubernetes-validations': rules, ...extra });

test('errors are worded as the API server words them: Required value, Forbidden, Invalid value with a scalar shown and an object not', () => {
  const schema = node({ a: str, b: str, list: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != 'x'", message: 'not x' }] } } }, [
    { rule: 'has(self.a)', message: 'set a', fieldPath: '.a', reason: 'FieldValueRequired' },
    { rule: '!has(self.b)', message: 'drop b', fieldPath: '.b', reason: 'FieldValueForbidden' },
    { rule: 'false', message: 'never' },
  ]);
  assert.deepEqual(
    ruleViolations(schema, { b: 'y', list: ['ok', 'x'] }).map((v) => v.text),
    ['spec.a: Required value: set a', 'spec.b: Forbidden: drop b', 'spec: Invalid value: never', 'spec.list[1]: Invalid value: "x": not x'],
  );
});

test('rules sit under lists and maps: paths carry [index] and [key]; absent and null values are not checked', () => {
  const item = node({ n: { type: 'integer' } }, [{ rule: 'self.n < 10', message: 'n below 10', fieldPath: '.n' }]);
  const schema: Schema = { type: 'object', properties: { list: { type: 'array', items: item }, byName: { type: 'object', additionalProperties: item }, none: item } };
  assert.deepEqual(
    ruleViolations(schema, { list: [{ n: 1 }, { n: 12 }], byName: { small: { n: 3 }, big: { n: 10 } }, none: null }).map((v) => v.text),
    ['spec.list[1].n: Invalid value: n below 10', 'spec.byName[big].n: Invalid value: n below 10'],
  );
});

test('messageExpression gives the message, and the static message stands in when it fails or gives nothing', () => {
  const schema = node({ a: str }, [
    { rule: 'false', message: 'static', messageExpression: "'a is ' + self.a" },
    { rule: 'false', message: 'fallback when a is missing', messageExpression: "'a is ' + self.a" },
    { rule: 'false', message: 'fallback when empty', messageExpression: "'  '" },
  ]);
  assert.deepEqual(ruleViolations(schema, { a: 'x' }).map((v) => v.detail), ['a is x', 'a is x', 'fallback when empty']);
  assert.deepEqual(ruleViolations(schema, {}).map((v) => v.detail), ['static', 'fallback when a is missing', 'fallback when empty']);
});

test('a rule that fails to evaluate is reported as the server reports it, with the type and the rule message', () => {
  const schema = node({ a: str }, [{ rule: "self.a == 'x'", message: 'a must be x' }]);
  assert.deepEqual(ruleViolations(schema, {}).map((v) => v.text), ['spec: Invalid value: "object": No such key: a evaluating rule: a must be x']);
});

test('format date-time is a timestamp and integers are int, as the server types them', () => {
  const schema = node({ from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' }, n: { type: 'integer' } }, [
    { rule: 'self.from < self.to', message: 'from before to' },
    { rule: 'self.n + 1 == 3', message: 'n is 2' },
  ]);
  assert.deepEqual(ruleViolations(schema, { from: '2026-01-01T10:00:00Z', to: '2026-01-01T10:30:00+00:20', n: 2 }), []);
  assert.deepEqual(ruleViolations(schema, { from: '2026-01-01T10:00:00Z', to: '2026-01-01T10:20:00+00:20', n: 3 }).map((v) => v.detail), ['from before to', 'n is 2']);
});

test('a rule the server would refuse is a RuleCompileError naming the node, the rule and why', () => {
  const cases: [ValidationRule, RegExp][] = [
    [{ rule: 'has(self.typo)', message: 'm' }, /undefined field 'typo'/],
    [{ rule: 'has(self.value)', message: 'm' }, /undefined field 'value'/],
    [{ rule: 'isIP(self.a)', message: 'm' }, /does not compile: found no matching overload for 'isIP\(string\)'/],
    [{ rule: 'quantity(self.a).isLessThan(quantity("1"))', message: 'm' }, /does not compile/],
    [{ rule: 'self.a', message: 'm' }, /evaluates to string, not bool/],
    [{ rule: 'self.a.matches("^x")', message: 'm' }, /matches\(\) is not evaluated alike/],
    [{ rule: 'true', message: 'm', fieldPath: '.missing' }, /fieldPath "\.missing" does not name a field/],
    [{ rule: 'true', message: 'm', messageExpression: '1' }, /messageExpression evaluates to int, not string/],
  ];
  for (const [rule, why] of cases) {
    // `value` has no type: the server hides it from CEL, like a Vizier patch operation's value.
    const schema = node({ a: str, value: { 'x-kubernetes-preserve-unknown-fields': true } }, [rule]);
    assert.throws(() => ruleViolations(schema, { a: 'x' }, 'spec.x'), (err: unknown) => err instanceof RuleCompileError && err.message.startsWith(`spec.x: rule ${JSON.stringify(rule.rule)}: `) && why.test(err.message), rule.rule);
    assert.equal(ruleProblems(schema).length, 1, rule.rule);
  }
});

test('a default that breaks a rule as written is a problem, as the API server refuses such a CRD', () => {
  const store = node({ deploy: { type: 'boolean', default: true }, endpoint: str }, [{ rule: 'self.deploy || has(self.endpoint)', message: 'endpoint needed' }], { default: {} });
  assert.deepEqual(ruleProblems({ type: 'object', properties: { store } }), ['spec.store: its default breaks a rule: spec.store.default: Invalid value: "object": No such key: deploy evaluating rule: endpoint needed']);
  assert.deepEqual(ruleProblems({ type: 'object', properties: { store: { ...store, default: { deploy: true } } } }), []);
});

test('quantity() and isCIDR() read values as Kubernetes does', () => {
  const schema = node({ request: str, limit: str, block: str }, [
    { rule: 'quantity(self.request).compareTo(quantity(self.limit)) <= 0', message: 'request within limit' },
    { rule: 'isCIDR(self.block)', message: 'a block' },
  ]);
  assert.deepEqual(ruleViolations(schema, { request: '1024Mi', limit: '1Gi', block: 'fd00::/8' }), []);
  assert.deepEqual(ruleViolations(schema, { request: '1.5Gi', limit: '1536Mi', block: '10.0.0.0/8' }), []);
  assert.deepEqual(ruleViolations(schema, { request: '1001m', limit: '1', block: '10.0.0.0' }).map((v) => v.detail), ['request within limit', 'a block']);
});
