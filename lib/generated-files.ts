// Files a generator owns. Each generator (the CRDs, the Argo CD checks, the OLM bundle, ...)
// renders a map from repository-relative path to content and names the files it owns on disk; a
// file is stale when it is missing, differs, or is owned but no longer rendered.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Every file under `dir` (repository-relative), recursively; none when it does not exist. */
export function filesUnder(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? filesUnder(root, path) : [path];
  });
}

/** Paths that are missing or differ from `want`, then the `owned` ones it no longer renders. */
export function staleFiles(root: string, want: ReadonlyMap<string, string>, owned: readonly string[]): string[] {
  const differ = [...want].filter(([p, content]) => !existsSync(join(root, p)) || readFileSync(join(root, p), 'utf8') !== content).map(([p]) => p);
  return [...differ, ...owned.filter((p) => !want.has(p))];
}

/** Writes every rendered file (making folders as needed) and deletes the owned ones no longer rendered. */
export function writeGeneratedFiles(root: string, want: ReadonlyMap<string, string>, owned: readonly string[]): void {
  for (const p of owned) if (!want.has(p)) unlinkSync(join(root, p));
  for (const [p, content] of want) {
    mkdirSync(join(root, dirname(p)), { recursive: true });
    writeFileSync(join(root, p), content);
  }
}
