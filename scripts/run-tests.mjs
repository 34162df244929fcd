#!/usr/bin/env node
// Runs the compiled tests with node's own test runner. Node 20's --test takes no globs,
// so the files are listed here. `unit` = every *.test.js outside dist/e2e; `e2e` = dist/e2e.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const kind = process.argv[2];
if (kind !== 'unit' && kind !== 'e2e') {
  console.error('usage: run-tests.mjs unit|e2e [name-filter]');
  process.exit(2);
}
const filter = process.argv[3];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const all = walk('dist', []);
const files = all
  .filter((f) => (kind === 'e2e') === f.startsWith(join('dist', 'e2e')))
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no ${kind} test files found under dist/ (did the build run?)`);
  process.exit(1);
}
const args = ['--enable-source-maps', '--test', '--test-reporter=spec'];
// e2e files each start their own API server; two at a time fits 2 cores.
args.push(`--test-concurrency=${kind === 'e2e' ? 1 : 2}`);
const r = spawnSync(process.execPath, [...args, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
