// The bundled PxL scripts (dataplane/scripts/px/*.pxl) and how `loupe run` finds a script:
// "px/NAME" is a bundled script whose entry point is the function NAME; anything else is a
// file path. The .pxl files ship beside the sources, not in dist/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../lib/cli.js';

export interface ScriptSource {
  /** "px/http_data" or the path given. */
  readonly name: string;
  readonly path: string;
  readonly text: string;
  /** The function to call when the module level displays nothing: the file's base name. */
  readonly entry: string;
}

/** dist/dataplane/scripts/library.js and dataplane/scripts/library.ts both find dataplane/scripts/px. */
export function libraryDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [resolve(here, 'px'), resolve(here, '../../../dataplane/scripts/px')];
  return candidates.find((d) => existsSync(d)) ?? candidates[1]!;
}

export function bundledScripts(): string[] {
  return readdirSync(libraryDir())
    .filter((f) => f.endsWith('.pxl'))
    .map((f) => `px/${f.slice(0, -'.pxl'.length)}`)
    .sort();
}

const entryOf = (path: string) => basename(path).replace(/\.pxl$/, '').replace(/[^A-Za-z0-9_]/g, '_');

export function resolveScript(nameOrPath: string): ScriptSource {
  if (/^px\/[A-Za-z0-9_]+$/.test(nameOrPath)) {
    const path = resolve(libraryDir(), `${nameOrPath.slice(3)}.pxl`);
    if (!existsSync(path)) throw new UsageError(`no bundled script ${nameOrPath}; bundled scripts: ${bundledScripts().join(', ')}`);
    return { name: nameOrPath, path, text: readFileSync(path, 'utf8'), entry: entryOf(path) };
  }
  const path = resolve(nameOrPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read script ${nameOrPath} (${code ?? (err as Error).message})${nameOrPath.startsWith('px/') ? `; bundled scripts: ${bundledScripts().join(', ')}` : ''}`);
  }
  return { name: nameOrPath, path, text, entry: entryOf(path) };
}
