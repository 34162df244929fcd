// The query roles as real processes on the real kernel: three `loupe pem` (each tracing its own
// HTTP server, so each holds different rows; the first also traces the client that calls all
// three), one `loupe kelvin`, one `loupe query-broker` and a real nats-server, against a reference
// `loupe standalone` tracing the three servers and the client. Each request counts once, on its
// server's side (the client calls loopback, inside), and through the broker, scripts answer
// exactly as the reference does; a PEM stopped with SIGTERM says
// goodbye and the next query runs on the other two. With --tls-dir, gRPC and NATS use mutual
// TLS, a plaintext client is refused, and `loupe run --tls-dir` prints the rows (without it, it
// says the connection failed and to pass --tls-dir). Needs root (eBPF), like the other tracer tests.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { issueTls } from '../controllers/common/tls.js';
import { repoRoot } from '../crds/generate.js';
import { callStream, insecureClient, openClient, PEM_SERVICE, type ClientSecurity } from '../dataplane/query/grpc-services.js';
import { collectFrames, type QueryResults } from '../dataplane/query/results.js';
import { resolveScript } from '../dataplane/scripts/library.js';
import { freePort, waitFor } from './harness/cluster.js';
import { startHttpServer as startStatusServer, type HttpServer } from './harness/http-server.js';
import { query, startLoupe as startLoupeProcess, type LoupeProcess } from './harness/loupe-process.js';
import { startNats, type NatsServer } from './harness/nats.js';

const LOUPE = join(repoRoot(), 'bin', 'loupe');
const NATS_BINARY = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((b) => existsSync(b));

/** Every child this file starts; `after` kills whatever still runs, by pid. */
const children: ChildProcess[] = [];
const scratch: string[] = [];

function track(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}

after(() => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

async function startHttpServer(): Promise<HttpServer> {
  const server = await startStatusServer();
  track(server.child);
  return server;
}

type Loupe = LoupeProcess;

/** Spawns `loupe ARGS` and resolves once it logs the address it serves on. */
async function startLoupe(name: string, args: string[]): Promise<Loupe> {
  const loupe = await startLoupeProcess(args, { name, env: { LOUPE_LOG_LEVEL: 'info' } });
  track(loupe.child);
  return loupe;
}

/** `loupe run ARGS` as a user runs it: a child process, its exit code and output. */
async function loupeRun(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv = { ...process.env, ...env };
  if (!('LOUPE_TLS_DIR' in env)) delete childEnv['LOUPE_TLS_DIR'];
  return new Promise((resolve, reject) => {
    const child = execFile(LOUPE, ['run', ...args], { env: childEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`loupe run ${args.join(' ')}: ${err.message}\n${stderr}`));
      resolve({ code: child.exitCode, stdout, stderr });
    });
    track(child);
  });
}

/** A role's /metrics, as text. */
const metrics = async (l: Loupe) => (await fetch(`http://${l.health}/metrics`)).text();
const readyz = async (l: Loupe) => (await fetch(`http://${l.health}/readyz`)).status;

/** Waits until the broker's registry counts this many live PEMs and Kelvins. */
async function waitForAgents(broker: Loupe, pems: number, kelvins: number): Promise<void> {
  await waitFor(`the broker to see ${pems} PEMs and ${kelvins} Kelvin`, async () => {
    const text = await metrics(broker);
    return text.includes(`loupe_broker_agents{kind="pem",role="query-broker"} ${pems}\n`) && text.includes(`loupe_broker_agents{kind="kelvin",role="query-broker"} ${kelvins}\n`);
  }, 30_000, 200);
}

// Requests per server: every server answers a different number, with its own paths.
const REQUESTS = [9, 6, 4];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const STATUSES = [200, 201, 404, 500] as const;

interface Sent {
  readonly port: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

function plan(server: number, port: number, n: number): Sent[] {
  return Array.from({ length: n }, (_, k) => {
    const status = STATUSES[(k + server) % STATUSES.length]!;
    return { port, method: METHODS[k % METHODS.length]!, path: `/svc${server}/item${k % 3}/status/${status}`, status };
  });
}

// A traced HTTP client: per line of JSON requests on stdin, sends them in order over keep-alive
// connections and prints one line: "ok", or what went wrong.
const CLIENT_JS = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const send = (r) => new Promise((resolve, reject) => {
  const body = r.method === 'POST' || r.method === 'PUT' ? 'payload for ' + r.path : undefined;
  const req = http.request({ host: '127.0.0.1', port: r.port, path: r.path, method: r.method, agent }, (res) => {
    res.resume();
    res.on('end', () => res.statusCode === r.status ? resolve() : reject(new Error(r.path + ': status ' + res.statusCode)));
  });
  req.on('error', reject);
  req.end(body);
});
require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  try {
    for (const r of JSON.parse(line)) await send(r);
    console.log('ok');
  } catch (err) {
    console.log(String(err));
  }
});
`;

interface HttpClient {
  readonly pid: number;
  send(requests: readonly Sent[]): Promise<void>;
}

function startHttpClient(): HttpClient {
  const child = track(spawn(process.execPath, ['-e', CLIENT_JS], { stdio: ['pipe', 'pipe', 'inherit'] }));
  return {
    pid: child.pid!,
    async send(requests) {
      const answer = new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
      child.stdin!.write(`${JSON.stringify(requests)}\n`);
      assert.equal(await answer, 'ok');
    },
  };
}

// No trace_role filter: a request recorded on both sides (client and server traced on one node)
// would count twice, and its client-side row would add a key of its own (the client's port).
const COUNT_SCRIPT = `
import px
df = px.DataFrame(table='http_events', start_time='-10m')
per_request = df.groupby(['local_port', 'req_method', 'req_path', 'resp_status']).agg(n=('latency', px.count))
px.display(per_request, 'per_request')
per_server = df.groupby('local_port').agg(n=('latency', px.count))
px.display(per_server, 'per_server')
`;

/** local_port → requests, from COUNT_SCRIPT's per_server display. */
function perServer(r: QueryResults): Map<number, number> {
  const t = r.tables.find((x) => x.name === 'per_server')!;
  return new Map(t.rows.map((row) => [Number(row[0]), Number(row[1])]));
}

/** Rows as sorted text, quantile columns masked (sketches merge within their error, not exactly). */
function canonical(r: QueryResults, masked: readonly string[] = []): string[] {
  return r.tables.map((t) => {
    const cols = t.relation.map((c) => c.name);
    const rows = t.rows.map((row) => row.map((v, j) => (masked.includes(cols[j]!) ? '~' : typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(9) : String(v))).join('|'));
    return `${t.name}[${cols.join(',')}]\n${rows.sort().join('\n')}`;
  });
}

/** Waits until a 10 s boundary has just passed, so a burst of requests lands in one px.bin window. */
async function startOfWindow(windowMs = 10_000): Promise<void> {
  const into = Date.now() % windowMs;
  if (into > 300 && into < 2_000) return;
  await new Promise((r) => setTimeout(r, (windowMs - into + 300) % windowMs));
}

describe('the query roles as processes', { timeout: 240_000 }, () => {
  let nats: NatsServer;
  const servers: HttpServer[] = [];
  let client: HttpClient;
  const pems: Loupe[] = [];
  let kelvin: Loupe;
  let broker: Loupe;
  let standalone: Loupe;

  before(async () => {
    nats = await startNats();
    for (let i = 0; i < REQUESTS.length; i++) servers.push(await startHttpServer());
    client = startHttpClient();
    const common = ['--nats', nats.url, '--listen', '127.0.0.1:0', '--health-addr', '127.0.0.1:0'];
    const started = await Promise.all([
      ...servers.map((s, i) => startLoupe(`pem-${i}`, ['pem', ...common, '--pid', i === 0 ? `${s.pid},${client.pid}` : String(s.pid), '--sources', 'socket_tracer', '--memory-limit', '64Mi', '--node-name', `node-${i}`])),
      startLoupe('kelvin', ['kelvin', ...common]),
      startLoupe('query-broker', ['query-broker', ...common]),
      startLoupe('standalone', ['standalone', '--listen', '127.0.0.1:0', '--sources', 'socket_tracer', '--memory-limit', '64Mi', '--pid', [...servers.map((s) => s.pid), client.pid].join(',')]),
    ]);
    pems.push(...started.slice(0, servers.length));
    [kelvin, broker, standalone] = started.slice(servers.length) as [Loupe, Loupe, Loupe];
    await waitForAgents(broker, servers.length, 1);
    for (const l of [...pems, kelvin, broker]) assert.equal(await readyz(l), 200, `${l.name} /readyz`);
  });

  after(async () => {
    for (const l of [...pems, kelvin, broker, standalone]) await l?.stop('SIGTERM');
    await nats?.stop();
  });

  it('announce their addresses and serve /readyz and /metrics', async () => {
    for (const p of pems) assert.match(await metrics(p), /^loupe_pem_source_running\{source="socket_tracer",role="pem"\} 1$/m, `${p.name}: the tracer runs`);
    assert.match(await metrics(broker), /^loupe_nats_connected\{role="query-broker"\} 1$/m);
    assert.match(await metrics(kelvin), /^loupe_ready\{role="kelvin"\} 1$/m);
  });

  it('through the broker, each PEM contributes exactly its own server\'s requests, as the standalone reference sees them', async () => {
    const sent = servers.map((s, i) => plan(i, s.port, REQUESTS[i]!));
    await startOfWindow();
    await client.send(sent.flat());
    const expected = new Map(servers.map((s, i) => [s.port, REQUESTS[i]!]));
    const total = REQUESTS.reduce((a, b) => a + b, 0);
    const counted = (r: QueryResults) => [...perServer(r).values()].reduce((a, b) => a + b, 0);
    // The collectors drain every 250 ms; wait until both sides hold every request.
    await waitFor('both sides to hold every request', async () => counted(await query(broker.address, COUNT_SCRIPT)) >= total && counted(await query(standalone.address, COUNT_SCRIPT)) >= total, 30_000, 250);
    // ... and no more than that, a moment later.
    await new Promise((r) => setTimeout(r, 1_000));
    const [distributed, reference] = await Promise.all([query(broker.address, COUNT_SCRIPT), query(standalone.address, COUNT_SCRIPT)]);
    assert.equal(distributed.stats?.agents, servers.length, 'the query ran on every PEM');
    assert.deepEqual(perServer(distributed), expected, 'each request once, on its server\'s side');
    assert.deepEqual(perServer(reference), expected);
    // PEM 0 traced the client's three connections (one per server) and parsed none of them.
    const pem0 = await metrics(pems[0]!);
    assert.match(pem0, /^loupe_pem_tracer_client_side_skipped\{what="connections",role="pem"\} 3$/m);
    // The kernel's copy of the inside networks is written after the collector's (and again
    // whenever they change), so a busy machine can scrape in between: wait for it.
    await waitFor('loopback and this host\'s addresses in the kernel', async () => /^loupe_pem_tracer_inside_networks\{where="kernel",role="pem"\} [2-9]\d*$/m.test(await metrics(pems[0]!)), 10_000);
    assert.match(pems[0]!.output(), /"inside":"this host's addresses and loopback".*"msg":"http_events: server sides, and client sides whose remote end is outside"/);
    assert.deepEqual(canonical(distributed), canonical(reference));
    const perRequest = distributed.tables.find((t) => t.name === 'per_request')!.rows.map((row) => `${Number(row[0])} ${String(row[1])} ${String(row[2])} ${Number(row[3])} ${Number(row[4])}`).sort();
    const want = new Map<string, number>();
    for (const r of sent.flat()) want.set(`${r.port} ${r.method} ${r.path} ${r.status}`, (want.get(`${r.port} ${r.method} ${r.path} ${r.status}`) ?? 0) + 1);
    assert.deepEqual(perRequest, [...want].map(([k, n]) => `${k} ${n}`).sort());

    const stats = resolveScript('px/http_request_stats');
    const quantiles = ['latency_quantiles', 'latency_p50', 'latency_p90', 'latency_p99'];
    const [d, l] = await Promise.all([query(broker.address, stats.text, { entry: stats.entry }), query(standalone.address, stats.text, { entry: stats.entry })]);
    assert.ok(d.tables[0]!.rows.length > 0, 'px/http_request_stats returns rows');
    assert.deepEqual(canonical(d, quantiles), canonical(l, quantiles));
  });

  it('a PEM stopped with SIGTERM says goodbye; the next query runs on the other two without its rows', async () => {
    const [gone, ...rest] = pems;
    assert.equal(await gone!.stop('SIGTERM'), 0, gone!.output());
    assert.match(gone!.output(), /"msg":"stopped"/);
    // The goodbye, not the 15 s expiry, takes it out of the registry.
    const t0 = Date.now();
    await waitForAgents(broker, rest.length, 1);
    assert.ok(Date.now() - t0 < 5_000, `the broker dropped the PEM after ${Date.now() - t0} ms`);
    const r = await query(broker.address, COUNT_SCRIPT);
    assert.equal(r.stats?.agents, rest.length);
    assert.deepEqual(perServer(r), new Map(servers.slice(1).map((s, i) => [s.port, REQUESTS[i + 1]!])));
  });
});

/** nats-server on 127.0.0.1 requiring TLS with client certificates from `dir`. */
async function startTlsNats(dir: string): Promise<{ url: string; child: ChildProcess }> {
  assert.ok(NATS_BINARY, 'nats-server is not installed: run `make deps` (Debian package nats-server)');
  const [port, monitor] = [await freePort(), await freePort()];
  const logPath = join(dir, 'nats.log');
  const log = openSync(logPath, 'a');
  const child = track(spawn(NATS_BINARY, ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '--tlsverify', '--tlscert', join(dir, 'tls.crt'), '--tlskey', join(dir, 'tls.key'), '--tlscacert', join(dir, 'ca.crt')], { stdio: ['ignore', log, log] }));
  closeSync(log);
  await waitFor(`TLS nats-server on 127.0.0.1:${port} (log ${logPath})`, async () => {
    if (child.exitCode !== null) throw new Error(`nats-server exited; see ${logPath}`);
    return (await fetch(`http://127.0.0.1:${monitor}/healthz`)).ok;
  }, 10_000, 50);
  return { url: `tls://127.0.0.1:${port}`, child };
}

describe('the query roles with --tls-dir', { timeout: 180_000 }, () => {
  const NAMES = ['vizier-kelvin.loupe.svc', 'vizier-pem.loupe.svc', 'vizier-nats.loupe.svc'];
  let dir: string;
  let natsChild: ChildProcess;
  let server: HttpServer;
  let pem: Loupe;
  let kelvin: Loupe;
  let broker: Loupe;
  let security: ClientSecurity;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loupe-tls-e2e-'));
    scratch.push(dir);
    const tls = await issueTls(undefined, NAMES, new Date(), true);
    writeFileSync(join(dir, 'ca.crt'), tls.caCrt);
    writeFileSync(join(dir, 'tls.crt'), tls.crt);
    writeFileSync(join(dir, 'tls.key'), tls.key, { mode: 0o600 });
    const nats = await startTlsNats(dir);
    natsChild = nats.child;
    server = await startHttpServer();
    const common = ['--nats', nats.url, '--tls-dir', dir, '--listen', '127.0.0.1:0', '--health-addr', '127.0.0.1:0'];
    [pem, kelvin, broker] = await Promise.all([
      startLoupe('tls-pem', ['pem', ...common, '--pid', String(server.pid), '--sources', 'socket_tracer', '--memory-limit', '64Mi']),
      startLoupe('tls-kelvin', ['kelvin', ...common]),
      startLoupe('tls-query-broker', ['query-broker', ...common]),
    ]);
    await waitForAgents(broker, 1, 1);
    security = {
      credentials: grpc.credentials.createSsl(Buffer.from(tls.caCrt), Buffer.from(tls.key), Buffer.from(tls.crt)),
      options: { 'grpc.ssl_target_name_override': NAMES[0]! },
    };
  });

  after(async () => {
    for (const l of [pem, kelvin, broker]) await l?.stop('SIGTERM');
    if (natsChild?.exitCode === null) process.kill(natsChild.pid!, 'SIGTERM');
  });

  it('runs a query over mutual TLS end to end (broker → Kelvin → PEM, NATS)', async () => {
    const requests = plan(0, server.port, 5);
    await startHttpClient().send(requests);
    await waitFor('the TLS PEM to hold the requests', async () => perServer(await query(broker.address, COUNT_SCRIPT, { security })).get(server.port) === requests.length, 30_000, 250);
    const r = await query(broker.address, COUNT_SCRIPT, { security });
    assert.equal(r.stats?.agents, 1);
    assert.deepEqual(perServer(r), new Map([[server.port, requests.length]]));
    assert.match(pem.output(), new RegExp(`"tls":"${dir}"`));
  });

  it('`loupe run --tls-dir` prints the rows; without it, it names the address and suggests --tls-dir', async () => {
    const script = join(dir, 'count.pxl');
    writeFileSync(script, COUNT_SCRIPT);
    const want = perServer(await query(broker.address, COUNT_SCRIPT, { security })).get(server.port);
    assert.ok(want && want > 0, 'the previous test left requests in the PEM');

    const r = await loupeRun(['--server', broker.address, '--tls-dir', dir, '--format', 'json', script]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { _table: string; local_port?: number; n?: number });
    assert.deepEqual(rows.filter((row) => row._table === 'per_server').map((row) => [Number(row.local_port), Number(row.n)]), [[server.port, want]]);
    assert.ok(rows.some((row) => row._table === 'per_request'), r.stdout);
    // $LOUPE_TLS_DIR (what the operator sets in a pod) does the same; the table format prints the port.
    const fromEnv = await loupeRun(['--server', broker.address, script], { LOUPE_TLS_DIR: dir });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, new RegExp(`\\b${server.port}\\b`));

    const plain = await loupeRun(['--server', broker.address, script]);
    assert.equal(plain.code, 1);
    assert.equal(plain.stdout, '');
    assert.match(plain.stderr, new RegExp(`^loupe run: could not connect to ${broker.address.replace(/\./g, '\\.')}: .*; if the server requires mutual TLS .*pass --tls-dir DIR .*\\$LOUPE_TLS_DIR\n$`), plain.stderr);
    assert.doesNotMatch(plain.stderr, /cannot reach a query API/);

    const missing = await loupeRun(['--server', broker.address, '--tls-dir', join(dir, 'missing'), script]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, new RegExp(`${join(dir, 'missing', 'ca.crt')} does not exist`));
  });

  it('refuses a plaintext client and a TLS client without a certificate', async () => {
    const fragment = { queryId: 'x', plan: { nodes: [] } } as unknown as Parameters<typeof PEM_SERVICE.executeFragment.requestSerialize>[0];
    const plain = insecureClient(pem.address);
    try {
      await assert.rejects(collectFrames(callStream(plain, PEM_SERVICE.executeFragment, fragment, undefined, 5_000)), (err: { code?: number }) => err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED);
    } finally {
      plain.close();
    }
    const anonymous = openClient(pem.address, { credentials: grpc.credentials.createSsl(readFileSync(join(dir, 'ca.crt'))), options: { 'grpc.ssl_target_name_override': NAMES[1]! } });
    try {
      await assert.rejects(collectFrames(callStream(anonymous, PEM_SERVICE.executeFragment, fragment, undefined, 5_000)), (err: { code?: number }) => err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED);
    } finally {
      anonymous.close();
    }
    // The same call with the leaf certificate gets through the transport to the handler.
    const trusted = openClient(pem.address, { ...security, options: { 'grpc.ssl_target_name_override': NAMES[1]! } });
    try {
      const outcome = await collectFrames(callStream(trusted, PEM_SERVICE.executeFragment, fragment, undefined, 5_000)).then(() => 'ok', (err: { code?: number }) => err.code);
      assert.notEqual(outcome, grpc.status.UNAVAILABLE);
      assert.notEqual(outcome, grpc.status.DEADLINE_EXCEEDED);
    } finally {
      trusted.close();
    }
    // The broker's own API is mutual TLS too.
    await assert.rejects(query(broker.address, COUNT_SCRIPT), (err: { code?: number }) => err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED);
  });
});
