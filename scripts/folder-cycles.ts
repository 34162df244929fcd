// Folder-level import cycles in the TypeScript sources (ARCHITECTURE.md: "No folder imports in
// a circle"). A folder contains its subfolders, so a cycle is one among sibling folders: under
// each directory, its child folders are the nodes and an edge X → Y means a file somewhere
// under X imports a file somewhere under Y. Imports between a folder and its own subfolders (a
// parent's index.ts re-exporting its children, children reading the parent's shared modules)
// stay inside the parent and are not edges. Type-only imports count: they are a dependency too.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** One import that makes a folder edge, for the report. */
export interface ImportSite {
  /** Repository-relative path of the importing file. */
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
}

export interface FolderCycle {
  /** Every folder of the strongly connected set; `path` is one circle through some of them. */
  readonly folders: readonly string[];
  /** The folders in order, the first repeated at the end: ["dataplane/query", "dataplane/roles", "dataplane/query"]. */
  readonly path: readonly string[];
  /** For each step of the path, one import that makes it. */
  readonly sites: readonly ImportSite[];
}

const SKIP_DIRS = new Set(['node_modules', 'dist', 'build']);

/** Every .ts file under `root` (repository-relative, `/`-separated), outside node_modules, dist, build output and dot-folders. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']*)'/gm;

/** The relative imports of one file: `import … from`, `export … from`, `import '…'` and `import('…')`. */
export function relativeImports(source: string): { line: number; specifier: string }[] {
  const out: { line: number; specifier: string }[] = [];
  for (const m of source.matchAll(IMPORT)) {
    const at = m.index + m[0].indexOf("'");
    out.push({ line: source.slice(0, at).split('\n').length, specifier: m[1]! });
  }
  return out;
}

/** The child of `parent` (a folder, '' for the root) that contains `dir`, or undefined when `dir` is `parent` itself or outside it. */
function childOf(parent: string, dir: string): string | undefined {
  const rest = parent === '' ? dir : dir.startsWith(`${parent}/`) ? dir.slice(parent.length + 1) : undefined;
  if (!rest) return undefined;
  const name = rest.split('/')[0]!;
  return parent === '' ? name : `${parent}/${name}`;
}

/** Folder cycles among `files` (repository-relative path → source text), at every level. */
export function folderCycles(files: ReadonlyMap<string, string>): FolderCycle[] {
  const imports: { fromDir: string; toDir: string; site: ImportSite }[] = [];
  for (const [file, source] of files) {
    for (const { line, specifier } of relativeImports(source)) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      if (target.startsWith('..')) continue;
      imports.push({ fromDir: posix.dirname(file), toDir: posix.dirname(target), site: { file, line, specifier } });
    }
  }
  const dirs = new Set<string>(['']);
  for (const file of files.keys()) {
    for (let d = posix.dirname(file); d !== '.'; d = posix.dirname(d)) dirs.add(d);
  }
  const cycles: FolderCycle[] = [];
  for (const parent of [...dirs].sort()) {
    const edges = new Map<string, Map<string, ImportSite>>();
    for (const { fromDir, toDir, site } of imports) {
      const from = childOf(parent, fromDir === '.' ? '' : fromDir);
      const to = childOf(parent, toDir === '.' ? '' : toDir);
      if (!from || !to || from === to) continue;
      const out = edges.get(from) ?? new Map<string, ImportSite>();
      if (!out.has(to)) out.set(to, site);
      edges.set(from, out);
    }
    for (const component of stronglyConnected(edges)) cycles.push(cycleThrough(component, edges));
  }
  return cycles;
}

/** Tarjan's algorithm; only components of two or more folders (a folder never imports itself here). */
function stronglyConnected(edges: ReadonlyMap<string, ReadonlyMap<string, unknown>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** A shortest way from the component's first folder back to itself, with the import behind each step. */
function cycleThrough(component: readonly string[], edges: ReadonlyMap<string, ReadonlyMap<string, ImportSite>>): FolderCycle {
  const inside = new Set(component);
  const start = component[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  let closing: string | undefined;
  while (queue.length > 0 && closing === undefined) {
    const v = queue.shift()!;
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (!inside.has(w)) continue;
      if (w === start) {
        closing = v;
        break;
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  const path = [start];
  for (let v = closing!; v !== start; v = previous.get(v)!) path.splice(1, 0, v);
  path.push(start);
  return { folders: component, path, sites: path.slice(1).map((to, i) => edges.get(path[i]!)!.get(to)!) };
}

export function describeCycle(c: FolderCycle): string {
  const steps = c.sites.map((s, i) => `  ${c.path[i]} → ${c.path[i + 1]}: ${s.file}:${s.line} imports '${s.specifier}'`);
  const among = c.folders.length > c.path.length - 1 ? ` (one circle among ${c.folders.join(', ')})` : '';
  return [`${c.path.join(' → ')}${among}`, ...steps].join('\n');
}

/** The cycles of the repository at `root`. */
export function repositoryCycles(root: string): FolderCycle[] {
  return folderCycles(new Map(sourceFiles(root).map((f) => [f, readFileSync(join(root, f), 'utf8')])));
}
