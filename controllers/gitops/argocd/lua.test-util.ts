// Runs the Argo CD health checks with a real Lua interpreter, Debian's lua5.4, inside the
// sandbox Argo CD gives a check from argocd-cm (controllers/gitops/argocd/run-health.lua). Objects reach
// the script as Lua tables, as Argo CD passes them: each JSON value written as a Lua literal.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../../crds/generate.js';
import { HEALTH_CODES, type HealthCode } from './customizations.js';

export const LUA = 'lua5.4';
const DRIVER = join(repoRoot(), 'controllers', 'gitops', 'argocd', 'run-health.lua');

export interface Health {
  status: HealthCode;
  message: string | null;
  /** The lines of the script that ran. */
  lines: number[];
}

const LUA_ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function luaString(s: string): string {
  let body = '';
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    // Any other control character as \ddd with three digits, so a digit after it cannot extend it.
    body += LUA_ESCAPES[ch] ?? (code < 0x20 || code === 0x7f ? `\\${code.toString().padStart(3, '0')}` : ch);
  }
  return `"${body}"`;
}

/**
 * A JSON value as a Lua literal: objects and arrays as tables (arrays from 1), whole numbers as
 * integers (so "2" reads "2" in messages, as Argo CD's float64 prints), null as nil.
 */
export function luaLiteral(value: unknown, path = 'obj'): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} is ${value}, which JSON cannot carry`);
    return Number.isInteger(value) ? value.toFixed(0) : String(value);
  }
  if (Array.isArray(value)) return `{${value.map((v, i) => luaLiteral(v, `${path}[${i}]`)).join(', ')}}`;
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `[${luaString(k)}] = ${luaLiteral(v, `${path}.${k}`)}`).join(', ')}}`;
  }
  throw new Error(`${path} is a ${typeof value}, which JSON cannot carry`);
}

let checked = false;

/** Fails, saying how to install it, when lua5.4 is missing: these tests never skip. */
export function requireLua(): void {
  if (checked) return;
  const r = spawnSync(LUA, ['-v'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${LUA} cannot run (${r.error?.message ?? r.stderr.trim()}): the Argo CD health checks are tested with a real Lua interpreter; install it with \`bash scripts/ensure-apt.sh ${LUA}\` (\`make deps\` does)`);
  }
  checked = true;
}

/**
 * The health `script` (a health.lua path) gives each of `objects`, in order. Throws when the
 * script fails or returns what Argo CD would not take, naming the object.
 */
export function runHealth(script: string, objects: readonly unknown[]): Health[] {
  requireLua();
  const dir = mkdtempSync(join(tmpdir(), 'loupe-health-'));
  try {
    const input = join(dir, 'objects.lua');
    writeFileSync(input, `return {\n${objects.map((o, i) => luaLiteral(o, `objects[${i}]`)).join(',\n')}\n}\n`);
    const r = spawnSync(LUA, [DRIVER, script, input], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.error || r.status !== 0) throw new Error(`${LUA} ${DRIVER} ${script} failed: ${r.error?.message ?? r.stderr.trim()}`);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    if (lines.length !== objects.length) throw new Error(`${script}: ${lines.length} results for ${objects.length} objects; stderr: ${r.stderr.trim()}`);
    return lines.map((line, i) => {
      const out = JSON.parse(line) as { status?: string; message?: string | null; error?: string; lines?: number[] };
      if (out.error !== undefined) throw new Error(`${script} failed on object ${i}: ${out.error}`);
      if (!(HEALTH_CODES as readonly string[]).includes(out.status!)) throw new Error(`${script} returned status ${out.status} for object ${i}, which Argo CD replaces with Unknown ("Lua returned an invalid health status")`);
      return { status: out.status as HealthCode, message: out.message ?? null, lines: out.lines ?? [] };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
