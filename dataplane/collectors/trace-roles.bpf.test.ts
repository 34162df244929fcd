// The trace-roles rule on the real kernel (root, eBPF): a Node HTTP server and client both traced
// on one host make one http_events row per request, the server's; a client calling into a network
// namespace this test creates (a veth pair, 10.201.N.0/24), outside the configured cluster CIDRs,
// is recorded as the client; with both roles traced the same requests appear on each side. The
// kernel gives a client side into the inside networks no payload beyond its first bytes.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { DETECT_BYTES, SocketTracer, type SocketDataEvent, type SocketEvent, type SocketOpenEvent } from '../../native-bpf/index.js';
import { ipToBytes, LOOPBACK, parseCidr } from '../../lib/cidr.js';
import { FixedNetworks, HostNetworks, type InsideNetworks } from '../metadata/inside-networks.js';
import { TRAFFIC_PROTOCOL } from '../protocols/types.js';
import type { ConnStatsRow, HttpEventRow } from '../table-store/schemas.js';
import { SocketTraceCollector } from './socket-trace-collector.js';
import type { TraceRoles } from './trace-roles.js';

const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await once(c, 'exit');
    }
  }
});

// Answers every request with its path; prints its port. HOST is where it listens.
const SERVER = `
const http = require('http');
const s = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('served ' + req.url)); });
s.keepAliveTimeout = 60000;
s.listen(0, process.argv[1], () => console.log(s.address().port));
`;

// On "go": N requests to HOST:PORT over one keep-alive connection, then a second connection for one more; prints "done".
const CLIENT = `
const http = require('http');
const [host, port, n] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const get = (path, agent) => new Promise((resolve, reject) => http.get({ host, port, path, agent }, (r) => { r.resume(); r.on('end', resolve); }).on('error', reject));
process.stdin.once('data', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < n; i++) await get('/req-' + i, agent);
  agent.destroy();
  await get('/last', undefined);
  console.log('done');
});
`;

function track(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}

async function startServer(host: string, netns?: string): Promise<{ child: ChildProcess; port: number }> {
  const argv = [process.execPath, '-e', SERVER, host];
  const child = track(netns ? spawn('ip', ['netns', 'exec', netns, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] }));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(line.toString().trim()) };
}

function startClient(host: string, port: number, n: number): ChildProcess {
  return track(spawn(process.execPath, ['-e', CLIENT, host, String(port), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] }));
}

async function runClient(client: ChildProcess): Promise<void> {
  const done = once(client.stdout!, 'data');
  client.stdin!.write('go\n');
  await done;
}

/** Polls the collector until `enough` holds of what it returned (or 15 s pass), then stops it and returns everything. */
async function collect(collector: SocketTraceCollector, enough: (rows: HttpEventRow[]) => boolean): Promise<{ http: HttpEventRow[]; conn: ConnStatsRow[] }> {
  const http: HttpEventRow[] = [];
  const conn: ConnStatsRow[] = [];
  const deadline = Date.now() + 15_000;
  while (!enough(http) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const polled = collector.poll();
    http.push(...polled.httpEvents);
    conn.push(...polled.connStats);
  }
  // A moment more, so a row that should not exist would have had its chance to arrive.
  await new Promise((r) => setTimeout(r, 300));
  const last = await collector.stop();
  http.push(...last.httpEvents);
  conn.push(...last.connStats);
  return { http, conn };
}

const N = 8;
const PATHS = [...Array.from({ length: N }, (_, i) => `/req-${i}`), '/last'].sort();

async function traceLoopbackPair(traceRoles: TraceRoles) {
  const server = await startServer('127.0.0.1');
  const client = startClient('127.0.0.1', server.port, N);
  const collector = await SocketTraceCollector.start({ pids: [server.child.pid!, client.pid!], traceRoles });
  await runClient(client);
  const want = traceRoles === 'both' ? 2 * PATHS.length : PATHS.length;
  const { http, conn } = await collect(collector, (rows) => rows.length >= want);
  return { http, conn, collector, server, client };
}

test('a server and a client traced on one host: each request appears once, as the server side', async () => {
  const { http, conn, collector, server, client } = await traceLoopbackPair('server');
  assert.deepEqual(http.map((r) => r.req_path).sort(), PATHS, 'one row per request');
  assert.ok(http.every((r) => r.trace_role === 2 && r.local_port === server.port && r.upid.startsWith(`${server.child.pid}:`)));
  const skipped = collector.traceRoleCounters;
  assert.equal(skipped.skippedConnections, 2, 'both client connections');
  assert.ok(skipped.skippedEvents >= 2 * PATHS.length, `their data events were only counted (${skipped.skippedEvents})`);
  assert.equal(collector.insideNetworks?.source, "this host's addresses and loopback");
  assert.ok((collector.insideNetworks?.inKernel ?? 0) >= 3, 'loopback and the host addresses are in the kernel');
  // conn_stats keeps the client side: its pair with the server, its bytes, its protocol.
  const clientPair = conn.filter((r) => r.trace_role === 1 && r.upid.startsWith(`${client.pid}:`) && r.remote_port === server.port).at(-1);
  assert.ok(clientPair, 'a conn_stats row for the client side');
  assert.equal(clientPair.protocol, TRAFFIC_PROTOCOL.http, 'named from the first bytes the kernel still captures');
  assert.equal(clientPair.conn_open, 2);
  const serverBytes = conn.filter((r) => r.trace_role === 2 && r.upid.startsWith(`${server.child.pid}:`)).at(-1);
  assert.equal(clientPair.bytes_sent, serverBytes?.bytes_recv, 'every byte the client sent, as the server received it');
  assert.equal(clientPair.bytes_recv, serverBytes?.bytes_sent);
});

test('with both roles traced, the same requests appear on each side', async () => {
  const { http, collector, client } = await traceLoopbackPair('both');
  assert.deepEqual(http.filter((r) => r.trace_role === 2).map((r) => r.req_path).sort(), PATHS);
  assert.deepEqual(http.filter((r) => r.trace_role === 1 && r.upid.startsWith(`${client.pid}:`)).map((r) => r.req_path).sort(), PATHS);
  assert.equal(collector.traceRoleCounters.skippedConnections, 0);
  assert.equal(collector.insideNetworks, undefined);
});

test('the kernel captures no payload past the first bytes of a client side into the inside networks', async () => {
  const server = await startServer('127.0.0.1');
  const events: SocketEvent[] = [];
  for (const inside of [true, false]) {
    const client = startClient('127.0.0.1', server.port, N);
    const tracer = await SocketTracer.start({ pids: [client.pid!] });
    if (inside) assert.equal(tracer.setInsideNetworks(LOOPBACK.map((c) => ({ addr: ipToBytes(c.addr), prefixLength: c.prefix }))), 2);
    await runClient(client);
    const seen = [...tracer.drain(), ...(await tracer.stop())];
    events.push(...seen);
    const opens = seen.filter((e): e is SocketOpenEvent => e.kind === 'open' && e.role === 'client' && e.remotePort === server.port);
    assert.equal(opens.length, 2);
    assert.ok(opens.every((o) => o.noPayload === inside), `noPayload ${inside}`);
    for (const o of opens) {
      const data = seen.filter((e): e is SocketDataEvent => e.kind === 'data' && e.conn.generation === o.conn.generation);
      const moved = data.reduce((n, d) => n + d.size, 0);
      const captured = data.reduce((n, d) => n + d.data.length, 0);
      assert.ok(moved > DETECT_BYTES * 2, 'the connection moved more than the detection prefix');
      if (inside) {
        assert.equal(captured, Math.min(moved, DETECT_BYTES), 'only the first bytes, to name the protocol');
        assert.match(data[0]!.data.toString(), /^GET \/(req-0|last) HTTP\/1\.1/);
      } else {
        assert.equal(captured, moved, 'outside: every byte');
      }
    }
  }
});

describe('a client calling into a network namespace outside the cluster CIDRs', () => {
  // 10.201.N.0/24 with N from this process's pid, so two runs on one machine do not meet.
  const net = 1 + (process.pid % 250);
  const ns = `loupe-tr-${process.pid}`;
  const [hostIf, nsIf] = [`ltr${process.pid % 100000}h`, `ltr${process.pid % 100000}n`];
  const [hostAddr, nsAddr] = [`10.201.${net}.1`, `10.201.${net}.2`];
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let server: { child: ChildProcess; port: number };

  before(async () => {
    ip('netns', 'add', ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', ns);
    ip('addr', 'add', `${hostAddr}/24`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsAddr}/24`, 'dev', nsIf);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    server = await startServer(nsAddr, ns);
  });

  after(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await once(server.child, 'exit');
    }
    // Deleting one end of a veth pair deletes both; the namespace goes with its last process.
    try {
      ip('link', 'del', hostIf);
    } finally {
      ip('netns', 'del', ns);
    }
  });

  const CLUSTER = () => new FixedNetworks([...LOOPBACK, parseCidr('10.244.0.0/16'), parseCidr('10.96.0.0/12')], 'test cluster CIDRs');

  async function traceClient(insideNetworks: InsideNetworks, traceRoles: TraceRoles = 'server') {
    const client = startClient(nsAddr, server.port, N);
    const collector = await SocketTraceCollector.start({ pids: [client.pid!], traceRoles, insideNetworks });
    await runClient(client);
    // Every request made a row, or (skipped) its data events were counted.
    const { http } = await collect(collector, (rows) => rows.length >= PATHS.length || collector.traceRoleCounters.skippedEvents >= 2 * PATHS.length);
    return { http, collector, client };
  }

  test('is recorded on the client side', async () => {
    const { http, collector, client } = await traceClient(CLUSTER());
    assert.deepEqual(http.map((r) => r.req_path).sort(), PATHS);
    assert.ok(http.every((r) => r.trace_role === 1 && r.remote_addr === nsAddr && r.remote_port === server.port && r.upid.startsWith(`${client.pid}:`)));
    assert.equal(collector.traceRoleCounters.skippedConnections, 0);
  });

  test("is recorded standalone too: the namespace's address is not this host's", async () => {
    const { http } = await traceClient(new HostNetworks());
    assert.deepEqual(http.map((r) => r.req_path).sort(), PATHS);
  });

  test('is not recorded once the namespace is configured inside', async () => {
    const { http, collector } = await traceClient(new FixedNetworks([...LOOPBACK, parseCidr(`10.201.${net}.0/24`)], 'test cluster CIDRs with the namespace'));
    assert.deepEqual(http, []);
    assert.equal(collector.traceRoleCounters.skippedConnections, 2);
  });
});
