// Every bundled PxL script, run on data the real collectors recorded: a traced HTTP server and
// client talk over 127.0.0.1 while a busy process burns CPU; each test checks a script's output
// against values computed here, independently, from the rows in the store.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import { LocalMetadata } from '../metadata/local.js';
import { DataCollection } from '../pem/collection.js';
import { collectFrames, type QueryResults } from '../query/results.js';
import { runScriptLocally } from '../query/services.js';
import { parseProcStat, upidOf } from '../stats/process-stats.js';
import { readRows } from '../table-store/rows.js';
import { TableStore } from '../table-store/table-store.js';
import type { CellValue } from '../table-store/types.js';
import { bundledScripts, resolveScript } from './library.js';

const SERVER = `const s = require('http').createServer((q, r) => { let n = 0; q.on('data', (c) => { n += c.length; });
q.on('end', () => { r.writeHead(q.url === '/missing' ? 404 : 200); r.end('ok ' + q.method + ' ' + q.url + ' ' + n); }); });
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
// Waits for a line on stdin, sends its requests over one keep-alive connection, says "done", and
// stays alive (so its metadata still resolves) until killed.
const CLIENT = `const http = require('http'); const port = Number(process.argv[1]); const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const paths = []; for (let i = 0; i < 30; i++) paths.push(i % 10 === 9 ? '/missing' : '/item-' + i);
let i = 0; const next = () => { if (i === paths.length) { console.log('done'); return; } const path = paths[i++];
const post = path === '/item-5'; const q = http.request({ host: '127.0.0.1', port, path, agent, method: post ? 'POST' : 'GET', headers: post ? { 'content-type': 'application/json' } : {} }, (r) => { r.resume(); r.on('end', () => setTimeout(next, 60)); });
q.end(post ? JSON.stringify({ hello: 'loupe' }) : undefined); };
process.stdin.once('data', next); setInterval(() => {}, 1 << 30);`;
// A named hot function, so its frames are easy to find (node names JS frames only with --perf-basic-prof).
const BUSY = `function burnCpu() { let x = 0; for (let i = 0; i < 1e7; i++) x += Math.sqrt(i); return x; } for (;;) burnCpu();`;

type Row = Record<string, CellValue>;

const store = new TableStore({ totalBytes: 64 << 20 });
const metadata = new LocalMetadata();
const children: ChildProcess[] = [];
let collection: DataCollection | undefined;
const procs = { server: { pid: 0, upid: '' }, client: { pid: 0, upid: '' }, busy: { pid: 0, upid: '' } };

function rows(table: string): Row[] {
  const schema = store.schema(table)!;
  const columns = schema.columns.map((_, i) => i);
  return readRows(store.scan(table, { columns })).map((r) => Object.fromEntries(schema.columns.map((c, i) => [c.name, r[i]!])));
}

/** A result table's rows as objects keyed by column name. */
function objects(results: QueryResults, name: string): Row[] {
  const table = results.tables.find((t) => t.name === name);
  assert.ok(table, `display '${name}' among ${results.tables.map((t) => t.name).join(', ')}`);
  assert.equal(table.truncated, false, `display '${name}' is complete`);
  return table.rows.map((r) => Object.fromEntries(table.relation.map((c, i) => [c.name, r[i]!])));
}

const tested = new Set<string>();
async function run(name: string, args?: Record<string, string>): Promise<QueryResults> {
  tested.add(`px/${name}`);
  const { text, entry } = resolveScript(`px/${name}`);
  const results = await collectFrames(runScriptLocally({ script: text, defaultEntry: entry, ...(args ? { args } : {}) }, { source: store, metadata }));
  assert.deepEqual(results.warnings, []);
  return results;
}

const upidOfPid = (pid: number) => upidOf(parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')));
const cmdlineOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);
const num = (v: CellValue | undefined) => Number(v as number | bigint);

before(async () => {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(server);
  const [line] = (await once(server.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  const client = spawn(process.execPath, ['-e', CLIENT, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(client);
  await new Promise((r) => setTimeout(r, 200));
  procs.server = { pid: server.pid!, upid: upidOfPid(server.pid!) };
  procs.client = { pid: client.pid!, upid: upidOfPid(client.pid!) };

  const errors: string[] = [];
  collection = await DataCollection.start({
    store,
    // Both sides, so the scripts meet client-side rows too (by default a request between two
    // traced processes is recorded once, on the server side: collectors/trace-roles.ts).
    tracer: { pids: [server.pid!, client.pid!], traceRoles: 'both' },
    tracerPollMs: 50,
    statsIntervalMs: 200,
    profilerIntervalMs: 500,
    onError: (source, e) => errors.push(`${source}: ${e.message}`),
  });
  const started = Date.now();
  const busy = spawn(process.execPath, ['--perf-basic-prof', '-e', BUSY], { stdio: 'ignore' });
  children.push(busy);
  procs.busy = { pid: busy.pid!, upid: upidOfPid(busy.pid!) };
  const done = once(client.stdout!, 'data');
  client.stdin!.write('go\n');
  await done;
  await new Promise((r) => setTimeout(r, Math.max(1000, 3500 - (Date.now() - started))));
  await collection.stop();
  assert.deepEqual(errors, []);
}, { timeout: 60_000 });

after(async () => {
  await collection?.stop();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

// ---- expected values, from the store ------------------------------------------------------

const SENT_PATHS = Array.from({ length: 30 }, (_, i) => (i % 10 === 9 ? '/missing' : `/item-${i}`));
const http = () => rows('http_events');
const serverHttp = () => http().filter((r) => r['upid'] === procs.server.upid && r['trace_role'] === 2n);
const countBy = (rs: readonly Row[], key: (r: Row) => string) => {
  const m = new Map<string, number>();
  for (const r of rs) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
  return m;
};

/**
 * The busy process burns CPU while the server and client mostly wait; how much of a core it gets
 * depends on the machine's load, so tests compare it with theirs instead of a fixed share.
 */
function assertBusiest(cpuUsage: number): void {
  const usage = processUsage();
  const others = [procs.server, procs.client].map((p) => usage.get(p.upid)?.cpu ?? 0);
  assert.ok(others.every((cpu) => cpuUsage > cpu) && cpuUsage <= 2, `busy cpu_usage ${cpuUsage}, server and client ${others.join(', ')}`);
}

/** Per upid: CPU cores used over its sampled window (user + kernel), and its largest RSS. */
function processUsage(): Map<string, { cpu: number; rss: bigint }> {
  const by = new Map<string, Row[]>();
  for (const r of rows('process_stats')) {
    const k = r['upid'] as string;
    by.set(k, [...(by.get(k) ?? []), r]);
  }
  const out = new Map<string, { cpu: number; rss: bigint }>();
  for (const [upid, rs] of by) {
    const col = (c: string) => rs.map((r) => r[c] as bigint);
    const span = (c: string) => col(c).reduce((a, b) => (b > a ? b : a)) - col(c).reduce((a, b) => (b < a ? b : a));
    const window = span('time_');
    const cpu = window > 0n ? Number(span('cpu_utime_ns') + span('cpu_ktime_ns')) / Number(window) : 0;
    out.set(upid, { cpu, rss: col('rss_bytes').reduce((a, b) => (b > a ? b : a)) });
  }
  return out;
}

/**
 * The node a upid's rows belong to, as the metadata sees it: this host for a process it can read
 * (or has read) in /proc, '' for one that exited before any query looked it up (other work on this
 * machine starts and ends processes while we record).
 */
const nodeOf = (upid: string) => (metadata.process(upid) ? hostname() : '');
function byNode(usage: Map<string, { cpu: number; rss: bigint }>): Map<string, { processes: bigint; cpu: number; rss: bigint }> {
  const out = new Map<string, { processes: bigint; cpu: number; rss: bigint }>();
  for (const [upid, u] of usage) {
    const n = out.get(nodeOf(upid)) ?? { processes: 0n, cpu: 0, rss: 0n };
    out.set(nodeOf(upid), { processes: n.processes + 1n, cpu: n.cpu + u.cpu, rss: n.rss + u.rss });
  }
  return out;
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

// ---- one test per script ----------------------------------------------------------------------

test('the recording has what the scripts need', () => {
  assert.equal(serverHttp().length, 30, 'one server-side row per request');
  assert.equal(http().filter((r) => r['upid'] === procs.client.upid && r['trace_role'] === 1n).length, 30, 'one client-side row per request');
  assert.ok(processUsage().has(procs.busy.upid));
  assert.ok(rows('stack_traces.beta').some((r) => r['upid'] === procs.busy.upid));
});

test('px/http_data: every traced request, server and client side, with the paths sent', async () => {
  const out = objects(await run('http_data'), 'http_data');
  assert.equal(out.length, http().length);
  const server = out.filter((r) => r['upid'] === procs.server.upid);
  assert.deepEqual(server.map((r) => r['req_path']).sort(), [...SENT_PATHS].sort());
  assert.ok(server.every((r) => r['trace_role'] === 2n && r['cmdline'] === cmdlineOf(procs.server.pid) && r['pod'] === ''));
  assert.ok(server.every((r) => r['resp_status'] === (r['req_path'] === '/missing' ? 404n : 200n)));
  assert.ok(out.filter((r) => r['upid'] === procs.client.upid).every((r) => r['trace_role'] === 1n && r['cmdline'] === cmdlineOf(procs.client.pid)));
  const post = out.filter((r) => r['req_method'] === 'POST');
  assert.equal(post.length, 2, 'the POST, seen by both ends');
  assert.ok(post.every((r) => r['req_path'] === '/item-5' && r['req_body'] === '{"hello":"loupe"}' && r['resp_body'] === 'ok POST /item-5 17'));
  assert.ok(out.every((r) => (r['latency'] as bigint) > 0n));

  const missing = objects(await run('http_data', { path_filter: 'missing', max_rows: '5' }), 'http_data');
  assert.equal(missing.length, 5, 'path_filter, then max_rows');
  assert.ok(missing.every((r) => r['req_path'] === '/missing'));
});

test('px/http_request_stats: windows whose counts add up to the http_events rows', async () => {
  const out = objects(await run('http_request_stats', { window_s: '10' }), 'http_request_stats');
  const all = http();
  assert.ok(out.length >= 1 && out.length <= 2, `the recording spans one or two 10 s windows, got ${out.length}`);
  assert.ok(out.every((r) => (r['timestamp'] as bigint) % 10_000_000_000n === 0n));
  assert.equal(sum(out.map((r) => r['requests'] as bigint)), BigInt(all.length));
  assert.equal(sum(out.map((r) => r['errors'] as bigint)), BigInt(all.filter((r) => (r['resp_status'] as bigint) >= 400n).length));
  assert.equal(sum(out.map((r) => r['bytes_out'] as bigint)), sum(all.map((r) => r['resp_body_size'] as bigint)));
  const maxLatency = all.map((r) => r['latency'] as bigint).reduce((a, b) => (b > a ? b : a));
  for (const r of out) {
    close(r['requests_per_s'] as number, num(r['requests']) / 10, 'requests_per_s');
    close(r['error_rate'] as number, num(r['errors']) / num(r['requests']), 'error_rate');
    const [p50, p90, p99] = [r['latency_p50'], r['latency_p90'], r['latency_p99']] as bigint[];
    assert.ok(p50! > 0n && p50! <= p90! && p90! <= p99! && p99! <= maxLatency, `quantiles ordered: ${p50} ${p90} ${p99} ≤ ${maxLatency}`);
  }
});

test("px/service_stats: the server's cmdline as its service, with its server-side requests", async () => {
  const results = await run('service_stats');
  const services = objects(results, 'services');
  const expected = serverHttp();
  const cmdline = cmdlineOf(procs.server.pid);
  assert.deepEqual(services.map((r) => r['service']), [cmdline], 'only server-side rows make services');
  const [svc] = services;
  assert.equal(svc!['requests'], BigInt(expected.length));
  assert.equal(svc!['errors'], BigInt(expected.filter((r) => (r['resp_status'] as bigint) >= 400n).length));
  close(svc!['error_rate'] as number, 3 / 30, 'error_rate');
  close(svc!['latency_mean'] as number, Number(sum(expected.map((r) => r['latency'] as bigint))) / expected.length, 'latency_mean');

  const endpoints = objects(results, 'service_stats');
  const want = countBy(expected, (r) => `${r['req_method']} ${r['req_path']}`);
  assert.deepEqual(new Map(endpoints.map((r) => [`${r['req_method']} ${r['req_path']}`, Number(r['requests'])])), want);
  const missing = endpoints.find((r) => r['req_path'] === '/missing')!;
  assert.equal(missing['errors'], 3n);
  assert.ok(endpoints.every((r) => r['service'] === cmdline));
});

test('px/process_stats: the busy process uses most of a core; CPU per process as computed from the samples', async () => {
  const out = objects(await run('process_stats', { max_rows: '100000' }), 'process_stats');
  const usage = processUsage();
  assert.equal(out.length, usage.size, 'one row per upid');
  assert.equal(new Set(out.map((r) => r['upid'])).size, out.length);
  for (const r of out) {
    const want = usage.get(r['upid'] as string)!;
    close(r['cpu_usage'] as number, want.cpu, `cpu_usage of ${r['upid']}`);
    assert.equal(r['rss'], want.rss);
  }
  const busy = out.find((r) => r['upid'] === procs.busy.upid)!;
  assert.ok(busy, 'the busy process has a row');
  assert.equal(busy['pid'], BigInt(procs.busy.pid));
  assert.ok((busy['cmdline'] as string).includes('burnCpu'));
  assertBusiest(busy['cpu_usage'] as number);
  assert.ok((busy['rss'] as bigint) > 0n && (busy['threads'] as bigint) >= 1n);

  const filtered = objects(await run('process_stats', { cmdline_filter: 'burnCpu' }), 'process_stats');
  assert.deepEqual(filtered.map((r) => r['upid']), [procs.busy.upid]);
});

test('px/perf_flamegraph: burnCpu dominates the busy process; shares sum to 1 per pod', async () => {
  const out = objects(await run('perf_flamegraph'), 'perf_flamegraph');
  const byPod = new Map<string, number>();
  for (const r of out) byPod.set(r['pod'] as string, (byPod.get(r['pod'] as string) ?? 0) + (r['percent'] as number));
  assert.ok(byPod.size >= 1);
  for (const [pod, total] of byPod) assert.ok(Math.abs(total - 1) < 1e-9, `percent of pod '${pod}' sums to ${total}`);
  const stored = rows('stack_traces.beta');
  assert.equal(sum(out.map((r) => r['count'] as bigint)), sum(stored.map((r) => r['count'] as bigint)));

  const busy = objects(await run('perf_flamegraph', { pid: String(procs.busy.pid) }), 'perf_flamegraph');
  const storedBusy = stored.filter((r) => r['upid'] === procs.busy.upid);
  const want = new Map<bigint, bigint>();
  for (const r of storedBusy) want.set(r['stack_trace_id'] as bigint, (want.get(r['stack_trace_id'] as bigint) ?? 0n) + (r['count'] as bigint));
  assert.deepEqual(new Map(busy.map((r) => [r['stack_trace_id'] as bigint, r['count'] as bigint])), want, 'counts merged per stack');
  assert.ok(busy.every((r) => (r['cmdline'] as string).includes('burnCpu')));
  const hot = busy.filter((r) => (r['stack_trace'] as string).includes('burnCpu'));
  assert.ok(hot.length >= 1, 'burnCpu frames in its stacks');
  const top = busy.reduce((a, b) => ((b['count'] as bigint) > (a['count'] as bigint) ? b : a));
  assert.ok((top['stack_trace'] as string).includes('burnCpu'), `its largest stack is burnCpu's: ${top['stack_trace']}`);
  const hotShare = hot.reduce((n, r) => n + (r['percent'] as number), 0);
  assert.ok(hotShare > 0.5, `burnCpu's share ${hotShare}`);
  assert.ok(Math.abs(busy.reduce((n, r) => n + (r['percent'] as number), 0) - 1) < 1e-9, 'shares of the filtered rows sum to 1');
});

test("px/net_flow_graph: the server's and the client's flows, bytes as conn_stats grew", async () => {
  const out = objects(await run('net_flow_graph'), 'net_flow_graph');
  const conn = rows('conn_stats').filter((r) => r['upid'] === procs.server.upid);
  const growth = (c: string) => {
    const v = conn.map((r) => r[c] as bigint);
    return v.reduce((a, b) => (b > a ? b : a)) - v.reduce((a, b) => (b < a ? b : a));
  };
  const server = out.filter((r) => r['from_entity'] === cmdlineOf(procs.server.pid));
  assert.equal(server.length, 1, 'one flow: the server and its one client host');
  assert.equal(server[0]!['role'], 'server');
  assert.equal(server[0]!['to_entity'], '127.0.0.1:0');
  assert.equal(server[0]!['bytes_sent'], growth('bytes_sent'));
  assert.equal(server[0]!['bytes_recv'], growth('bytes_recv'));
  assert.ok((server[0]!['bytes_sent'] as bigint) > 0n && (server[0]!['bytes_recv'] as bigint) > 0n);
  const client = out.filter((r) => r['from_entity'] === cmdlineOf(procs.client.pid));
  assert.equal(client.length, 1);
  assert.equal(client[0]!['role'], 'client');
  assert.match(client[0]!['to_entity'] as string, /^127\.0\.0\.1:\d+$/);
  assert.ok((client[0]!['bytes_sent'] as bigint) > 0n);

  const none = objects(await run('net_flow_graph', { min_bytes: String(1n << 50n) }), 'net_flow_graph');
  assert.deepEqual(none, [], 'min_bytes filters');
});

test('px/node: the busy process among its processes, and its network namespaces', async () => {
  const results = await run('node', { node: hostname(), max_rows: '100000' });
  const processes = objects(results, 'processes');
  const usage = processUsage();
  assert.deepEqual(new Set(processes.map((r) => r['upid'])), new Set([...usage].filter(([upid, u]) => u.cpu > 0 && nodeOf(upid) === hostname()).map(([upid]) => upid)), "this node's processes that used CPU");
  const busy = processes.find((r) => r['upid'] === procs.busy.upid);
  assert.ok(busy, 'the busy process is listed');
  assertBusiest(busy['cpu_usage'] as number);
  assert.ok((busy['cmdline'] as string).includes('burnCpu'));
  const net = objects(results, 'node');
  assert.ok(net.length >= 1, 'a network namespace row');
  assert.deepEqual(new Set(net.map((r) => r['netns'])), new Set(rows('network_stats').map((r) => r['netns'])));
  assert.ok(net.every((r) => (r['rx_bytes_per_s'] as number) >= 0 && (r['tx_bytes_per_s'] as number) >= 0));

  const other = objects(await run('node', { node: 'no-such-node' }), 'processes');
  assert.deepEqual(other, [], 'another node has none of these processes');
});

test('px/cluster: this node, the one (empty) namespace and the server-side requests', async () => {
  const results = await run('cluster');
  const usage = processUsage();
  const nodes = objects(results, 'nodes');
  const want = byNode(usage);
  assert.deepEqual(new Map(nodes.map((r) => [r['node'], [r['processes'], r['rss']]])), new Map([...want].map(([n, v]) => [n, [v.processes, v.rss]])));
  assert.ok((want.get(hostname())?.processes ?? 0n) >= 3n, 'the server, client and busy process are on this node');
  assert.deepEqual(objects(results, 'namespaces').map((r) => [r['namespace'], r['pods'], r['processes']]), [['', 1n, BigInt(usage.size)]]);
  const services = objects(results, 'cluster');
  const inbound = http().filter((r) => r['trace_role'] === 2n);
  assert.deepEqual(services.map((r) => [r['service'], r['requests'], r['errors']]), [['', BigInt(inbound.length), 3n]]);
});

test('px/namespaces: one namespace (\'\') with every process and the inbound requests', async () => {
  const usage = processUsage();
  const out = objects(await run('namespaces'), 'namespaces');
  assert.deepEqual(out.map((r) => [r['namespace'], r['pods'], r['processes'], r['rss'], r['requests']]), [
    ['', 1n, BigInt(usage.size), sum([...usage.values()].map((u) => u.rss)), BigInt(serverHttp().length)],
  ]);
});

test("px/pods: one pod ('') on this node with every process, their CPU and the inbound requests", async () => {
  const usage = processUsage();
  const out = objects(await run('pods'), 'pods');
  const want = byNode(usage);
  // Pod '' on each node its processes resolve to (this host; '' for processes gone unseen).
  assert.deepEqual(out.map((r) => r['node']).sort(), [...want.keys()].sort());
  assert.equal(sum(out.map((r) => r['processes'] as bigint)), BigInt(usage.size));
  for (const pod of out) {
    const w = want.get(pod['node'] as string)!;
    assert.deepEqual([pod['namespace'], pod['pod'], pod['processes'], pod['rss']], ['', '', w.processes, w.rss]);
    assert.ok(Math.abs((pod['cpu_usage'] as number) - w.cpu) < 1e-6, `cpu_usage ${pod['cpu_usage']} vs ${w.cpu}`);
    assert.equal(pod['requests'], BigInt(serverHttp().length), "every pod row joins pod ''s requests");
  }
  const here = out.find((r) => r['node'] === hostname())!;
  assert.ok((here['cpu_usage'] as number) >= processUsage().get(procs.busy.upid)!.cpu, 'the busy process is in it');
});

test("px/pod: pod '' lists every process and the server's endpoints", async () => {
  const usage = processUsage();
  const results = await run('pod', { pod: '' });
  const processes = objects(results, 'processes');
  assert.equal(processes.length, usage.size);
  const busy = processes.find((r) => r['pid'] === BigInt(procs.busy.pid));
  assert.ok(busy && (busy['cmdline'] as string).includes('burnCpu'));
  close(busy['cpu_usage'] as number, usage.get(procs.busy.upid)!.cpu, 'cpu_usage of the busy process (user + kernel)');
  assertBusiest(busy['cpu_usage'] as number);
  const endpoints = objects(results, 'pod');
  assert.deepEqual(new Map(endpoints.map((r) => [`${r['req_method']} ${r['req_path']}`, Number(r['requests'])])), countBy(serverHttp(), (r) => `${r['req_method']} ${r['req_path']}`));
  assert.equal(endpoints.find((r) => r['req_path'] === '/missing')!['errors'], 3n);

  const other = await run('pod', { pod: 'default/no-such-pod' });
  assert.deepEqual(objects(other, 'processes'), []);
  assert.deepEqual(objects(other, 'pod'), []);
});

test("px/namespace: namespace '' has one pod with every process, and the inbound requests", async () => {
  const usage = processUsage();
  const results = await run('namespace', { namespace: '' });
  const pods = objects(results, 'pods');
  assert.deepEqual(pods.map((r) => [r['pod'], r['processes']]), [['', BigInt(usage.size)]]);
  const cpu = [...usage.values()].reduce((n, u) => n + u.cpu, 0);
  assert.ok(Math.abs((pods[0]!['cpu_usage'] as number) - cpu) < 1e-6, `cpu_usage ${pods[0]!['cpu_usage']} vs ${cpu}`);
  const services = objects(results, 'namespace');
  assert.deepEqual(services.map((r) => [r['service'], r['requests'], r['errors']]), [['', BigInt(serverHttp().length), 3n]]);
});

test('every bundled script has a test above', () => {
  assert.deepEqual([...tested].sort(), bundledScripts());
});
