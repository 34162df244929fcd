// End to end on the real kernel: eBPF socket tracing of a Node HTTP server and client on
// 127.0.0.1 -> exactly one http_events row per request on each side (both roles traced, so the
// client side's parsing is checked too), with the right fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Mount, resolveCgroup } from '../targets.js';
import { SocketTraceCollector } from './socket-trace-collector.js';
import type { ConnStatsRow, HttpEventRow } from '../table-store/schemas.js';
import { TRUNCATION_MARKER } from '../protocols/body.js';
import { TRAFFIC_PROTOCOL } from '../protocols/types.js';

const SERVER = `
const http = require('http');
const s = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    if (req.url.startsWith('/chunked')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part1-');
      setTimeout(() => { res.write('part2-'); res.end('end'); }, 5);
    } else if (req.url.startsWith('/missing')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('nope');
    } else if (req.method === 'POST') {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ got: body }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    }
  });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

// Waits for "go" on stdin, then: N keep-alive requests on one socket, then 3 pipelined ones.
const CLIENT = `
const http = require('http');
const net = require('net');
const [port, n] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function request(i) {
  const kind = ['get', 'post', 'chunked', 'missing'][i % 4];
  const path = kind === 'chunked' ? '/chunked-' + i : kind === 'missing' ? '/missing-' + i : '/item-' + i;
  const method = kind === 'post' ? 'POST' : 'GET';
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers: kind === 'post' ? { 'content-type': 'text/plain' } : {} }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(kind === 'post' ? 'payload-' + i : undefined);
  });
}
process.stdin.once('data', async () => {
  for (let i = 0; i < n; i++) await request(i);
  agent.destroy();
  const sock = net.connect(port, '127.0.0.1', () => {
    sock.write('GET /pipe-0 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /pipe-1 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /pipe-2 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n');
  });
  let got = '';
  sock.on('data', (d) => {
    got += d;
    if ((got.match(/HTTP\\/1\\.1 200/g) || []).length === 3 && got.endsWith('"/pipe-2"}')) sock.end();
  });
  sock.on('close', () => process.exit(0));
});
`;

const N = 12;

test('tracing a Node HTTP server and client yields exactly one http_events row per request on each side', async () => {
  const children: ChildProcess[] = [];
  try {
    const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const client = spawn(process.execPath, ['-e', CLIENT, String(port), String(N)], { stdio: ['pipe', 'inherit', 'inherit'] });
    children.push(client);
    // An untraced pair on the same kernel: its traffic must not appear.
    const other = spawn(process.execPath, ['-e', `const h = require('http'); const s = h.createServer((q, r) => r.end('x')).listen(0, '127.0.0.1', () => { const t = setInterval(() => h.get('http://127.0.0.1:' + s.address().port + '/untraced', (r) => r.resume()), 20); setTimeout(() => { clearInterval(t); process.exit(0); }, 3000); });`], { stdio: 'ignore' });
    children.push(other);

    const collector = await SocketTraceCollector.start({ pids: [server.pid!, client.pid!], traceRoles: 'both', tracker: { bodyLimitBytes: 1024, dataAccess: 'Full' } });
    const rows: HttpEventRow[] = [];
    const connStats: ConnStatsRow[] = [];
    const exited = once(client, 'exit');
    client.stdin!.write('go\n');
    const poller = setInterval(() => {
      const polled = collector.poll();
      rows.push(...polled.httpEvents);
      connStats.push(...polled.connStats);
    }, 100);
    await exited;
    clearInterval(poller);
    await new Promise((r) => setTimeout(r, 200));
    const last = await collector.stop();
    rows.push(...last.httpEvents);
    connStats.push(...last.connStats);
    // conn_stats: the server side's pair with the client host, as HTTP, with the bytes that moved.
    const serverPair = connStats.filter((r) => r.trace_role === 2 && r.upid.startsWith(`${server.pid}:`)).at(-1);
    assert.ok(serverPair, 'a conn_stats row for the server');
    assert.equal(serverPair.protocol, TRAFFIC_PROTOCOL.http, 'the detected protocol reaches conn_stats');
    assert.equal(serverPair.conn_open, 2, 'the keep-alive connection and the pipelining one');
    assert.equal(serverPair.conn_close + serverPair.conn_active, 2, 'each one closed or still open');
    assert.ok(serverPair.bytes_recv > 0 && serverPair.bytes_sent > 0);

    const serverRows = rows.filter((r) => r.trace_role === 2);
    const clientRows = rows.filter((r) => r.trace_role === 1);
    assert.equal(serverRows.length, N + 3, `server rows: ${serverRows.map((r) => r.req_path).join(' ')}`);
    assert.equal(clientRows.length, N + 3, `client rows: ${clientRows.map((r) => r.req_path).join(' ')}`);
    assert.ok(!rows.some((r) => r.req_path === '/untraced'), 'the untraced process is excluded');

    for (const side of [serverRows, clientRows]) {
      const byPath = new Map(side.map((r) => [r.req_path, r]));
      for (let i = 0; i < N; i++) {
        const kind = ['get', 'post', 'chunked', 'missing'][i % 4];
        const path = kind === 'chunked' ? `/chunked-${i}` : kind === 'missing' ? `/missing-${i}` : `/item-${i}`;
        const r = byPath.get(path);
        assert.ok(r, `row for ${path}`);
        assert.equal(r.major_version, 1);
        assert.ok(r.latency > 0n, `${path} latency ${r.latency}`);
        assert.equal(r.remote_addr, '127.0.0.1');
        if (kind === 'post') {
          assert.equal(r.req_method, 'POST');
          assert.equal(r.req_body, `payload-${i}`);
          assert.equal(r.resp_status, 201);
          assert.equal(r.resp_body, JSON.stringify({ got: `payload-${i}` }));
        } else {
          assert.equal(r.req_method, 'GET');
        }
        if (kind === 'chunked') {
          assert.equal(r.resp_status, 200);
          assert.equal(r.resp_body, 'part1-part2-end', 'chunked body reassembled');
        }
        if (kind === 'missing') {
          assert.equal(r.resp_status, 404);
          assert.equal(r.resp_message, 'Not Found');
        }
        if (kind === 'get') assert.equal(r.resp_body, JSON.stringify({ path }));
      }
      for (let i = 0; i < 3; i++) assert.equal(byPath.get(`/pipe-${i}`)?.resp_body, JSON.stringify({ path: `/pipe-${i}` }), `pipelined request ${i} matched to its response`);
    }
    assert.ok(serverRows.every((r) => r.local_port === port), 'server rows carry the server port');
    assert.ok(clientRows.every((r) => r.remote_port === port), 'client rows carry the server as remote');
    assert.equal(collector.counters?.lostRingbufFull, 0, 'nothing lost at this load');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});

const BIG_SERVER = `
const http = require('http');
const s = http.createServer((req, res) => {
  if (req.url.startsWith('/big-chunked')) {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('a'.repeat(9000));
    res.write('b'.repeat(9000));
    res.end('c'.repeat(9000));
  } else if (req.url.startsWith('/big')) {
    const body = 'x'.repeat(20000);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  } else {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('small');
  }
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

const BIG_CLIENT = `
const http = require('http');
const port = Number(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const paths = ['/big-0', '/small-1', '/big-chunked-2', '/small-3', '/big-4', '/small-5'];
const get = (path) => new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, path, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
process.stdin.once('data', async () => { for (const p of paths) await get(p); agent.destroy(); process.exit(0); });
`;

test('responses far larger than the per-event payload cap still make their rows, and the rows after them pair correctly', async () => {
  const children: ChildProcess[] = [];
  try {
    const server = spawn(process.execPath, ['-e', BIG_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const client = spawn(process.execPath, ['-e', BIG_CLIENT, String(port)], { stdio: ['pipe', 'inherit', 'inherit'] });
    children.push(client);
    // 1 KiB per event: every big response loses most of its bytes in the kernel.
    const collector = await SocketTraceCollector.start({ pids: [server.pid!, client.pid!], traceRoles: 'both', maxEventBytes: 1024, tracker: { bodyLimitBytes: 16, dataAccess: 'Full' } });
    const rows: HttpEventRow[] = [];
    const exited = once(client, 'exit');
    client.stdin!.write('go\n');
    const poller = setInterval(() => rows.push(...collector.poll().httpEvents), 100);
    await exited;
    clearInterval(poller);
    await new Promise((r) => setTimeout(r, 200));
    rows.push(...(await collector.stop()).httpEvents);

    assert.ok((collector.counters?.truncated ?? 0) > 0, 'the kernel cut payloads at the cap');
    for (const role of [1, 2]) {
      const side = rows.filter((r) => r.trace_role === role);
      // A chunked body whose lost bytes span chunk-size lines cannot be followed to its end: its
      // row is cut there (on the receiving side reads merge chunks), its size the bytes before.
      assert.deepEqual(
        side.map((r) => [r.req_path, r.resp_status, r.req_path === '/big-chunked-2' ? 'cut' : r.resp_body_size]),
        [['/big-0', 200, 20000], ['/small-1', 200, 5], ['/big-chunked-2', 200, 'cut'], ['/small-3', 200, 5], ['/big-4', 200, 20000], ['/small-5', 200, 5]],
        `rows of role ${role}`,
      );
      for (const r of side) {
        if (r.req_path.startsWith('/small')) assert.equal(r.resp_body, 'small');
        else if (r.req_path.startsWith('/big-chunked')) {
          assert.ok(r.resp_body_size > 0 && r.resp_body_size <= 27000, `${r.req_path} size ${r.resp_body_size}`);
          assert.equal(r.resp_body, `${'a'.repeat(16)}${TRUNCATION_MARKER}`);
        } else assert.equal(r.resp_body, `${'x'.repeat(16)}${TRUNCATION_MARKER}`);
        assert.ok(r.latency > 0n, `${r.req_path} latency`);
      }
    }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});

test('a cgroup filter traces processes that join the cgroup (or a child of it) after tracing starts, and nothing outside it', async () => {
  const mount = cgroup2Mount();
  assert.ok(mount, 'no cgroup2 file system is mounted here, so the cgroup filter cannot be tested');
  const parent = join(mount, `loupe-trace-test-${process.pid}`);
  const child = join(parent, 'app');
  mkdirSync(child, { recursive: true });
  const children: ChildProcess[] = [];
  try {
    const target = resolveCgroup(parent);
    const collector = await SocketTraceCollector.start({ cgroupPath: target.path });
    // Started after the tracer, then moved into the child cgroup: traced.
    const inside = spawn(process.execPath, ['-e', BIG_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(inside);
    const [line] = (await once(inside.stdout!, 'data')) as [Buffer];
    writeFileSync(join(child, 'cgroup.procs'), String(inside.pid));
    const port = Number(line.toString().trim());
    // The client and another server stay outside.
    const client = spawn(process.execPath, ['-e', `const h = require('http'); const a = new h.Agent({ keepAlive: true, maxSockets: 1 }); let n = 0;
      const next = () => n === 5 ? process.exit(0) : h.get({ host: '127.0.0.1', port: ${port}, path: '/small-in-' + n++, agent: a }, (r) => { r.resume(); r.on('end', next); });
      next();`], { stdio: 'inherit' });
    children.push(client);
    await once(client, 'exit');
    await new Promise((r) => setTimeout(r, 200));
    const { httpEvents } = await collector.stop();
    assert.deepEqual(
      httpEvents.map((r) => [r.trace_role, r.req_path]),
      [0, 1, 2, 3, 4].map((i) => [2, `/small-in-${i}`]),
      'only the server inside the cgroup, as the server side',
    );
  } finally {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await once(c, 'exit');
      }
    }
    rmdirSync(child);
    rmdirSync(parent);
  }
});
