// The CRDs' validation rules (x-kubernetes-validations, written with Rules() in crds/schema.ts)
// evaluated in TypeScript, for objects no API server checked: standalone manifests, and objects
// stored before a rule existed (validation ratcheting lets them stay). The same expressions on
// the same schema objects: `self` is bound per node as the API server binds it, and each failure
// is worded as the server words it (`spec.field: Required value: message`).
import type { ParseResult } from '@marcbachmann/cel-js';
import { celField, checkingEnvironment, evaluationEnvironment, toCel, visibleToCel, type Schema } from './cel-env.js';
import type { RuleReason, ValidationRule } from './schema.js';

export type { Schema };

/** One failed rule, as the API server reports it. */
export interface RuleViolation {
  /** The field the error names: where the rule sits plus its fieldPath, e.g. spec.pem.resources.memoryRequest. */
  readonly field: string;
  readonly reason: RuleReason;
  /** The message (or messageExpression's result) saying what to do. */
  readonly detail: string;
  /** The whole error as the API server words it: `spec.scriptRef: Forbidden: script and scriptRef are both set: ...`. */
  readonly text: string;
  /** The rule's expression. */
  readonly rule: string;
}

/** A rule the API server would refuse when the CRD is installed (or read otherwise than here); a defect in crds/, not in the object. */
export class RuleCompileError extends Error {
  override readonly name = 'RuleCompileError';
}

interface CompiledRule {
  readonly rule: ValidationRule;
  readonly program: ParseResult;
  readonly message?: ParseResult;
}

const rulesOf = (schema: Schema) => (schema['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? [];

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/**
 * What the type check lets through but the API server refuses or reads differently: fields
 * `self.a.b` selects that the schema does not expose to CEL (has(self.typo) type-checks here),
 * and matches(), whose regular expressions are RE2 on the server and JavaScript's here.
 */
function astProblems(program: ParseResult, self: Schema): string[] {
  const found = new Set<string>();
  let regex = false;
  const resolve = (node: unknown): Schema | undefined => {
    const n = node as { op?: string; args?: unknown };
    if (n.op === 'id') return n.args === 'self' ? self : undefined;
    if (n.op !== '.') return undefined;
    const [target, name] = n.args as [unknown, string];
    const parent = resolve(target);
    if (!parent) return undefined;
    const child = celField(parent, name);
    if (!child) found.add(name);
    return child;
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object' && 'op' in node && 'args' in node) {
      resolve(node);
      if ((node.op === 'call' || node.op === 'rcall') && Array.isArray(node.args) && node.args[0] === 'matches') regex = true;
      visit(node.args);
    }
  };
  visit(program.ast);
  return [...[...found].map((name) => `undefined field '${name}'`), ...(regex ? ['matches() is not evaluated alike here (JavaScript RegExp, the server RE2); use pattern in the schema'] : [])];
}

/** Why this rule cannot stand on this node: the API server would refuse it, or read it otherwise than here; [] when none. */
function problemsOf(schema: Schema, rule: ValidationRule): string[] {
  const env = checkingEnvironment(schema);
  const problems: string[] = [];
  const check = (what: string, expression: string, type: string) => {
    const result = env.check(expression);
    if (!result.valid) problems.push(`${what} does not compile: ${firstLine(result.error)}`);
    else if (result.type !== type) problems.push(`${what} evaluates to ${result.type}, not ${type}`);
    else problems.push(...astProblems(env.parse(expression), schema).map((p) => `${what}: ${p}`));
  };
  check('rule', rule.rule, 'bool');
  if (rule.messageExpression !== undefined) check('messageExpression', rule.messageExpression, 'string');
  if (!rule.message.trim() || rule.message.includes('\n')) problems.push('message must be one non-empty line');
  if (rule.fieldPath !== undefined) {
    const names = /^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(rule.fieldPath) ? rule.fieldPath.slice(1).split('.') : undefined;
    let node: Schema | undefined = schema;
    for (const name of names ?? []) node = (node?.['properties'] as Record<string, Schema> | undefined)?.[name];
    if (!names || !node) problems.push(`fieldPath ${JSON.stringify(rule.fieldPath)} does not name a field below this node (write .field or .field.sub)`);
  }
  return problems;
}

const compiled = new WeakMap<Schema, CompiledRule[]>();

function compile(schema: Schema, path: string): CompiledRule[] {
  let out = compiled.get(schema);
  if (out) return out;
  if (rulesOf(schema).length > 0 && !visibleToCel(schema)) throw new RuleCompileError(`${path}: rules on a node without a type never run`);
  out = rulesOf(schema).map((rule) => {
    const problems = problemsOf(schema, rule);
    if (problems.length > 0) throw new RuleCompileError(`${path}: rule ${JSON.stringify(rule.rule)}: ${problems.join('; ')}`);
    return {
      rule,
      program: evaluationEnvironment.parse(rule.rule),
      ...(rule.messageExpression !== undefined ? { message: evaluationEnvironment.parse(rule.messageExpression) } : {}),
    };
  });
  compiled.set(schema, out);
  return out;
}

/** Every node of the schema with its path (list items and map values as [*]). */
function allNodes(schema: Schema, path: string, out: [Schema, string][] = []): [Schema, string][] {
  out.push([schema, path]);
  for (const [k, sub] of Object.entries((schema['properties'] as Record<string, Schema> | undefined) ?? {})) allNodes(sub, `${path}.${k}`, out);
  const items = schema['items'] as Schema | undefined;
  if (items) allNodes(items, `${path}[*]`, out);
  const addl = schema['additionalProperties'];
  if (addl && typeof addl === 'object') allNodes(addl as Schema, `${path}[*]`, out);
  return out;
}

/** Every rule of the schema with the path of the node it sits on (list items and map values as [*]). */
export function ruleSites(schema: Schema, path = 'spec'): { readonly node: string; readonly rule: ValidationRule }[] {
  return allNodes(schema, path).flatMap(([node, where]) => rulesOf(node).map((rule) => ({ node: where, rule })));
}

/**
 * Why the API server would refuse the CRD for its rules, each with where and why; [] when it
 * would accept them: a rule that does not compile against its node, and a default that breaks a
 * rule (the server checks each default against the rules as written, without nested defaults).
 */
export function ruleProblems(schema: Schema, path = 'spec'): string[] {
  const problems: string[] = [];
  for (const [node, where] of allNodes(schema, path)) {
    if (rulesOf(node).length > 0 && !visibleToCel(node)) problems.push(`${where}: rules on a node without a type never run`);
    else for (const rule of rulesOf(node)) for (const p of problemsOf(node, rule)) problems.push(`${where}: rule ${JSON.stringify(rule.rule)}: ${p}`);
  }
  if (problems.length > 0) return problems;
  for (const [node, where] of allNodes(schema, path)) {
    if (node['default'] === undefined) continue;
    for (const v of ruleViolations(node, node['default'], `${where}.default`)) problems.push(`${where}: its default breaks a rule: ${v.text}`);
  }
  return problems;
}

/** A bad value as Go's field.Error prints it (%q for strings, %v for numbers and booleans). */
function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function violation(rule: string, field: string, reason: RuleReason, detail: string, shown: { value: unknown } | undefined): RuleViolation {
  const body =
    reason === 'FieldValueRequired' ? `Required value: ${detail}` : reason === 'FieldValueForbidden' ? `Forbidden: ${detail}` : `Invalid value${shown ? `: ${goValue(shown.value)}` : ''}: ${detail}`;
  return { field, reason, detail, text: `${field}: ${body}`, rule };
}

/** messageExpression's result where it gives one non-empty line, else the static message (as the server falls back). */
function detailOf(c: CompiledRule, self: unknown): string {
  if (c.message) {
    try {
      const text: unknown = c.message({ self });
      if (typeof text === 'string' && text.trim() !== '' && !text.includes('\n')) return text.trim();
    } catch {
      // The server logs a failed messageExpression and uses message.
    }
  }
  return c.rule.message.trim();
}

function evaluateNode(schema: Schema, value: unknown, path: string, out: RuleViolation[]): void {
  const rules = compile(schema, path);
  if (rules.length === 0) return;
  const self = toCel(schema, value);
  const type = schema['type'];
  // The server shows a scalar after "Invalid value:", never an object or a list.
  const shown = type === 'object' || type === 'array' ? undefined : { value };
  for (const c of rules) {
    let result: unknown;
    try {
      result = c.program({ self });
    } catch (err) {
      out.push(violation(c.rule.rule, path, 'FieldValueInvalid', `${firstLine(err)} evaluating rule: ${c.rule.message.trim()}`, { value: type }));
      continue;
    }
    if (result === true) continue;
    out.push(violation(c.rule.rule, c.rule.fieldPath ? path + c.rule.fieldPath : path, c.rule.reason ?? 'FieldValueInvalid', detailOf(c, self), shown));
  }
}

function walk(schema: Schema, value: unknown, path: string, out: RuleViolation[]): void {
  // Rules run on values that are present, as on the server: a rule about an optional field sits on its parent.
  if (value === null || value === undefined) return;
  evaluateNode(schema, value, path, out);
  if (Array.isArray(value)) {
    const items = schema['items'] as Schema | undefined;
    if (items) value.forEach((v, i) => walk(items, v, `${path}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const [k, sub] of Object.entries((schema['properties'] as Record<string, Schema> | undefined) ?? {})) walk(sub, obj[k], `${path}.${k}`, out);
  const addl = schema['additionalProperties'];
  if (addl && typeof addl === 'object') for (const [k, v] of Object.entries(obj)) walk(addl as Schema, v, `${path}[${k}]`, out);
}

/**
 * Every rule of `schema` and the nodes below it that `value` breaks. `value` must be what the
 * API server validates: defaults applied (applyDefaults) and the schema's own checks passed.
 * `path` names the value in messages (`spec` for a kind's spec). Throws RuleCompileError for a
 * rule the server would refuse (a defect in crds/, caught by crds/rules.test.ts).
 */
export function ruleViolations(schema: Schema, value: unknown, path = 'spec'): RuleViolation[] {
  const out: RuleViolation[] = [];
  walk(schema, value, path, out);
  return out;
}
