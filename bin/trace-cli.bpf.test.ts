// `loupe trace` as a user runs it, on the real kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { repoRoot } from '../crds/generate.js';
import { HTTP_EVENTS } from '../dataplane/table-store/schemas.js';

const LOUPE = join(repoRoot(), 'bin', 'loupe');

test('loupe trace --format json prints one http_events row per request with the Pixie column names', async () => {
  const server = spawn(process.execPath, ['-e', `const s = require('http').createServer((q, r) => { r.writeHead(q.url === '/missing' ? 404 : 200); r.end('body of ' + q.url); }).listen(0, '127.0.0.1', () => console.log(s.address().port));`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const trace = spawn(LOUPE, ['trace', '--pid', String(server.pid), '--duration', '4s', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(trace, 'exit'); // before anything else awaits: without BPF it exits at once
    let out = '';
    let err = '';
    trace.stdout!.on('data', (d: Buffer) => (out += d));
    trace.stderr!.on('data', (d: Buffer) => (err += d));
    await new Promise((r) => setTimeout(r, 1500));
    for (const path of ['/one', '/two', '/missing']) await (await fetch(`http://127.0.0.1:${port}${path}`)).text();
    const [code] = (await exited) as [number];
    assert.equal(code, 0, err);
    const rows = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(rows.map((r) => r['req_path']), ['/one', '/two', '/missing']);
    for (const r of rows) {
      assert.deepEqual(Object.keys(r), [...HTTP_EVENTS.columns]);
      assert.equal(r['trace_role'], 2);
      assert.equal(r['local_port'], port);
      assert.ok((r['latency'] as number) > 0);
      assert.equal(r['resp_body'], `body of ${r['req_path']}`);
      assert.ok(Math.abs(Number(BigInt(r['time_'] as string) / 1_000_000n) - Date.now()) < 60_000, 'time_ is wall-clock ns');
    }
    assert.deepEqual(rows.map((r) => r['resp_status']), [200, 200, 404]);
    assert.match(err, /lost 0 to a full ring buffer/);
  } finally {
    server.kill('SIGKILL');
  }
});

test('loupe trace rejects bad arguments with a one-line error and exit code 2', () => {
  for (const [args, message] of [
    [['--pid', '999999'], /--pid 999999: no such process/],
    [['--pid', 'abc'], /--pid "abc": must be a process id \(a positive integer\)/],
    [['--duration', '0s'], /--duration "0s": must be a positive duration/],
    [['--format', 'xml'], /--format xml: use table or json/],
    [['--pid', '1', '--cgroup', '/sys/fs/cgroup'], /give --pid or --cgroup, not both/],
    [['--cgroup', '/nonexistent-loupe-cgroup'], /--cgroup "\/nonexistent-loupe-cgroup": no such directory/],
    [['--cgroup', '/tmp'], /--cgroup "\/tmp": not a cgroup v2 directory/],
    [['--bogus'], /Unknown option '--bogus'/],
  ] as [string[], RegExp][]) {
    const r = spawnSync(LOUPE, ['trace', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
