// The generated bundle and catalog as the rule tests read them, rendered in memory from the
// repository's inputs (the staleness test proves the files on disk are the same).
import assert from 'node:assert/strict';
import { relative, sep } from 'node:path';
import { repoRoot } from '../crds/generate.js';
import { loadBundle, type LoadedBundle, type Rule } from './bundle-rules.js';
import { loadCatalog, type LoadedCatalog } from './catalog-rules.js';
import { BUNDLE_DIR, CATALOG_DIR, readOlmInputs, renderOlmFiles, type OlmInputs } from './generate.js';

export const INPUTS: OlmInputs = readOlmInputs(repoRoot());

/** The files of one generated tree, keyed by their path below it. */
export function treeOf(files: ReadonlyMap<string, string>, dir: string): Map<string, string> {
  return new Map([...files].filter(([p]) => p.startsWith(`${dir}/`)).map(([p, c]) => [relative(dir, p).split(sep).join('/'), c]));
}

export function generated(inputs: OlmInputs = INPUTS): { bundle: LoadedBundle; catalog: LoadedCatalog; files: Map<string, string> } {
  const files = renderOlmFiles(inputs);
  return { bundle: loadBundle(treeOf(files, BUNDLE_DIR)), catalog: loadCatalog(treeOf(files, CATALOG_DIR)), files };
}

/** A case that breaks a rule: the change, and what the rule must then say. */
export interface BreakCase<T> {
  readonly name: string;
  readonly change: (subject: T) => void;
  readonly says: RegExp;
}

/** The rule passes on `subject` (the generated files) and finds each case's problem in a changed copy. */
export function assertRule<T>(rule: Rule<T>, subject: T, cases: readonly BreakCase<T>[]): void {
  assert.deepEqual(rule.check(subject), [], 'the generated files pass');
  for (const c of cases) {
    const broken = structuredClone(subject);
    c.change(broken);
    const problems = rule.check(broken);
    assert.ok(problems.some((p) => c.says.test(p)), `${c.name}: expected ${c.says}, got ${JSON.stringify(problems)}`);
  }
}

/** Rules without a breaking case, and cases naming no rule: both should be empty. */
export function uncovered<T>(rules: readonly Rule<T>[], cases: Record<string, readonly unknown[]>): { rulesWithoutCases: string[]; casesWithoutRules: string[] } {
  return {
    rulesWithoutCases: rules.filter((r) => !cases[r.id]?.length).map((r) => r.id),
    casesWithoutRules: Object.keys(cases).filter((id) => !rules.some((r) => r.id === id)),
  };
}
