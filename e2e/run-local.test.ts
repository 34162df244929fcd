// `make run` as a user meets it: ready message, kubectl works with the printed setup, Ctrl-C stops it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../crds/generate.js';
import { freePort } from './harness/cluster.js';

test('make run brings up a Healthy sample Vizier, prints working kubectl setup, and Ctrl-C stops everything', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot(), 'dist', 'e2e', 'harness', 'run-local.js')], { env: { ...process.env, LOUPE_RUN_HEALTH_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 150_000;
    while (!out.includes('Press Ctrl-C') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    assert.match(out, /\[loupe\] ready in [\d.]+ s: Vizier loupe\/vizier is Healthy/, out);
    const rc = /source (\S+)/.exec(out)![1]!;
    const lines = readFileSync(rc, 'utf8');
    const kubeconfig = /KUBECONFIG=(\S+)/.exec(lines)![1]!;
    const kubectl = /alias kubectl=(\S+)/.exec(lines)![1]!;
    const table = execFileSync(kubectl, ['get', 'vizier', '-n', 'loupe'], { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8' });
    assert.match(table, /vizier\s+Healthy\s+True\s+0\.1\.0\s+1\/1/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^loupe_reconcile_total\{controller="vizier"/m);
    const dir = /Operator log: (\S+)\/operator-local\.log/.exec(out)![1]!;
    const pids = (await import('node:fs')).readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    });
    assert.ok(pids.length >= 3, `etcd, kube-apiserver, controller-manager and the operator run from ${dir}`);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /\[loupe\] stopped/);
    for (const pid of pids) assert.ok(!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/status`, 'utf8').includes('zombie'), `pid ${pid} is gone`);
    assert.ok(!existsSync(dir), 'the scratch directory is removed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
