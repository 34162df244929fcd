// The generated bundle and catalog as the rule tests read them, rendered in memory from the
// repository's inputs (the staleness test proves the files on disk are the same).
import { relative, sep } from 'node:path';
import { repoRoot } from '../crds/generate.js';
import { loadBundle, type LoadedBundle } from './bundle-rules.js';
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
