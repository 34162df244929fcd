// On the real kernel: the PEM's collectors fill the table store — HTTP requests of a traced
// server become http_events rows, /proc gives process_stats and network_stats, and the CPU
// profiler's stacks of a busy process become stack_traces.beta rows.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseProcStat, upidOf } from '../stats/process-stats.js';
import { readRows } from '../table-store/rows.js';
import { TableStore } from '../table-store/table-store.js';
import type { CellValue } from '../table-store/types.js';
import { DataCollection } from './collection.js';

const SERVER = `const s = require('http').createServer((q, r) => { r.writeHead(q.url === '/missing' ? 404 : 200); r.end('ok ' + q.url); });
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
const CLIENT = `const http = require('http'); const port = Number(process.argv[1]); const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let i = 0; const next = () => { if (i === 20) return process.exit(0); const path = i % 5 === 4 ? '/missing' : '/item-' + i; i++;
http.get({ host: '127.0.0.1', port, path, agent }, (r) => { r.resume(); r.on('end', next); }); }; next();`;
// A named hot function, so its frames are easy to find (node names JS frames only with --perf-basic-prof).
const BUSY = `function burnCpu() { let x = 0; for (let i = 0; i < 1e7; i++) x += Math.sqrt(i); return x; } const end = Date.now() + 3000; while (Date.now() < end) burnCpu();`;

function rows(store: TableStore, table: string): Record<string, CellValue>[] {
  const schema = store.schema(table)!;
  const columns = schema.columns.map((_, i) => i);
  return readRows(store.scan(table, { columns })).map((r) => Object.fromEntries(schema.columns.map((c, i) => [c.name, r[i]!])));
}

const upidOfPid = (pid: number) => upidOf(parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')));

test('collectors write http_events, conn_stats, process_stats, network_stats and stack_traces.beta into the store', { timeout: 60_000 }, async () => {
  const children: ChildProcess[] = [];
  const store = new TableStore({ totalBytes: 64 << 20 });
  let collection: DataCollection | undefined;
  try {
    const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const serverUpid = upidOfPid(server.pid!);

    const errors: string[] = [];
    collection = await DataCollection.start({
      store,
      tracer: { pids: [server.pid!] },
      tracerPollMs: 50,
      statsIntervalMs: 200,
      profilerIntervalMs: 500,
      onError: (source, e) => errors.push(`${source}: ${e.message}`),
    });
    const busy = spawn(process.execPath, ['--perf-basic-prof', '-e', BUSY], { stdio: 'ignore' });
    children.push(busy);
    const busyUpid = upidOfPid(busy.pid!);
    const client = spawn(process.execPath, ['-e', CLIENT, String(port)], { stdio: 'inherit' });
    children.push(client);
    await once(client, 'exit');
    await new Promise((r) => setTimeout(r, 1500));
    await collection.stop();

    assert.deepEqual(errors, []);
    assert.deepEqual(collection.status().map((s) => [s.name, s.state, s.errors]), [
      ['socket_tracer', 'stopped', 0],
      ['process_stats', 'stopped', 0],
      ['network_stats', 'stopped', 0],
      ['cpu_profiler', 'stopped', 0],
    ]);

    const http = rows(store, 'http_events');
    assert.equal(http.length, 20, `one row per request of the traced server, got ${http.length}`);
    assert.ok(http.every((r) => r['upid'] === serverUpid && r['trace_role'] === 2n));
    assert.equal(http.filter((r) => r['resp_status'] === 404n).length, 4);
    assert.deepEqual(new Set(http.map((r) => r['req_path'])).size, 17);
    const now = BigInt(Date.now()) * 1_000_000n;
    assert.ok(http.every((r) => (r['time_'] as bigint) > now - 60_000_000_000n && (r['time_'] as bigint) <= now), 'time_ is wall-clock ns');

    const conn = rows(store, 'conn_stats');
    assert.ok(conn.some((r) => r['upid'] === serverUpid && (r['bytes_recv'] as bigint) > 0n), 'conn_stats of the server');

    const procs = rows(store, 'process_stats');
    assert.ok(procs.some((r) => r['upid'] === serverUpid && (r['rss_bytes'] as bigint) > 0n), 'process_stats of the server');
    assert.ok(procs.filter((r) => r['upid'] === busyUpid).length >= 2, 'sampled more than once');
    assert.ok(rows(store, 'network_stats').length >= 1);

    const stacks = rows(store, 'stack_traces.beta');
    const busyStacks = stacks.filter((r) => r['upid'] === busyUpid);
    const samples = busyStacks.reduce((n, r) => n + (r['count'] as bigint), 0n);
    assert.ok(samples > 50n, `the busy process was sampled (${samples} samples)`);
    const hot = busyStacks.filter((r) => (r['stack_trace'] as string).includes('burnCpu')).reduce((n, r) => n + (r['count'] as bigint), 0n);
    assert.ok(hot * 2n > samples, `burnCpu is on most of its stacks (${hot} of ${samples})`);
    assert.ok(busyStacks.every((r) => (r['stack_trace_id'] as bigint) > 0n));
  } finally {
    await collection?.stop();
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
});
