#!/usr/bin/env node
// Runs the compiled tests with node's own test runner, by tier, on the Node package-lock.json pins
// (scripts/pinned-node.ts) whichever node started this script. The files of a tier are listed
// here: which tier a file belongs to, and whether its source still exists, is more than a glob says.
//   unit  every *.test.js outside dist/e2e except *.bpf.test.js: passes without root.
//   bpf   every *.bpf.test.js outside dist/e2e: the real kernel (eBPF, perf events, kallsyms,
//         cgroups). It checks first that this process may do all of that, and fails naming what
//         is missing; it never skips.
//   e2e   everything under dist/e2e (a real API server, NATS, processes); its *.bpf.test.js files
//         need the same as the bpf tier, checked the same way when one of them is selected.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const TIERS = ['unit', 'bpf', 'e2e'];
const kind = process.argv[2];
if (!TIERS.includes(kind)) {
  console.error(`usage: run-tests.mjs ${TIERS.join('|')} [name-filter]`);
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

const isE2e = (f) => f.startsWith(join('dist', 'e2e'));
const isBpf = (f) => f.endsWith('.bpf.test.js');
const inTier = { unit: (f) => !isE2e(f) && !isBpf(f), bpf: (f) => !isE2e(f) && isBpf(f), e2e: isE2e };

// Only files whose source still exists: tsc leaves the output of a deleted or renamed test behind.
const hasSource = (f) => existsSync(f.slice('dist/'.length).replace(/\.js$/, '.ts'));
const files = walk('dist', [])
  .filter(hasSource)
  .filter(inTier[kind])
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no ${kind} test files${filter ? ` matching "${filter}"` : ''} found under dist/ (did the build run?)`);
  process.exit(1);
}

/** What this process lacks for the root/BPF tests, each with the fix; empty when nothing. */
async function missingForBpf() {
  const { capabilities } = await import(pathToFileURL(resolve('dist/native-bpf/index.js')).href);
  const { cgroup2Mount } = await import(pathToFileURL(resolve('dist/dataplane/targets.js')).href);
  const missing = [];
  try {
    const caps = capabilities();
    if (!caps.ok) missing.push(caps.message);
  } catch (err) {
    missing.push(err.message);
  }
  const text = /^([0-9a-f]+) T /m.exec(readFileSync('/proc/kallsyms', 'utf8'));
  if (!text || /^0+$/.test(text[1])) {
    missing.push('/proc/kallsyms shows no addresses, so kernel frames cannot be named: run as root, or grant CAP_SYSLOG');
  }
  const cgroups = cgroup2Mount();
  if (!cgroups) missing.push('no cgroup2 filesystem is mounted (the cgroup filter tests need one): mount -t cgroup2 none /sys/fs/cgroup/unified');
  else {
    try {
      accessSync(cgroups, constants.W_OK);
    } catch {
      missing.push(`cannot create cgroups under ${cgroups} (the cgroup filter tests do): run as root`);
    }
  }
  return missing;
}

if (files.some(isBpf)) {
  const missing = await missingForBpf();
  if (missing.length > 0) {
    const bpfFiles = files.filter(isBpf);
    console.error(`run-tests.mjs ${kind}: ${bpfFiles.length} root/BPF test file(s) cannot run in this process:`);
    for (const m of missing) console.error(`  - ${m}`);
    console.error(`files: ${bpfFiles.join(', ')}`);
    console.error(`Run this tier as root (sudo make ${kind}), or \`make unit\` for the tests that need neither.`);
    process.exit(1);
  }
}

const { pinnedNodeHere } = await import(pathToFileURL(resolve('dist/scripts/pinned-node.js')).href);
const node = pinnedNodeHere();
if (!existsSync(node.binary)) {
  console.error(`run-tests.mjs: ${node.binary} is missing: the tests run on the Node package-lock.json pins (${node.version}); run \`make build\` (its npm ci installs it)`);
  process.exit(1);
}

const args = ['--enable-source-maps', '--test', '--test-reporter=spec'];
// e2e files each start their own API server; two at a time fits 2 cores.
args.push(`--test-concurrency=${kind === 'e2e' ? 1 : 2}`);
const r = spawnSync(node.binary, [...args, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
