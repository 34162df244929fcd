// The operator-to-role contract on the real kernel: PEMs started as `loupe pem` processes with
// the environment the Vizier render gives them (crds/contract/, crds/contract/role-config.ts) record what
// the Vizier's spec asks for. Full keeps bodies and headers; Restricted withholds bodies and
// headers; PIIRestricted records no bodies and redacts e-mail, IP and card numbers from headers
// and paths; spec.pem.protocols without http (or empty) yields no http_events rows while the
// connections still count in conn_stats; the cluster name is what px.vizier_name() returns on PEMs
// and Kelvin and what the agents announce over NATS. `loupe standalone` reads the same settings
// from its environment and flags. Needs root (eBPF).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { V1Container, V1DaemonSet, V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { connect } from 'nats';
import { vizier, tls } from '../controllers/vizier/fixtures.test-util.js';
import { renderVizier } from '../controllers/vizier/render.js';
import type { QueryResults } from '../dataplane/query/results.js';
import { waitFor } from './harness/cluster.js';
import { startHttpServer, type HttpServer } from './harness/http-server.js';
import { query, startLoupe, type LoupeProcess } from './harness/loupe-process.js';
import { startNats, type NatsServer } from './harness/nats.js';

const CLUSTER = 'e2e-cluster';

// Answers every request with a body and a header that carry an e-mail and an IP address.
const ECHO_SERVER_JS = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = 'hello jane@example.com from 10.9.8.7';
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Served-For': 'jane@example.com', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
});
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

const REQUEST_BODY = '{"email":"jane@example.com","card":"4111 1111 1111 1111","ip":"192.168.1.20"}';
const REQUEST_PATH = '/users?email=jane%40example.com&card=4111111111111111';
const RESPONSE_BODY = 'hello jane@example.com from 10.9.8.7';

interface Case {
  readonly name: string;
  readonly spec: Record<string, unknown>;
}

const CASES: readonly Case[] = [
  { name: 'Full', spec: { dataAccess: 'Full' } },
  { name: 'Restricted', spec: { dataAccess: 'Restricted' } },
  { name: 'PIIRestricted', spec: { dataAccess: 'PIIRestricted', pem: { protocols: ['http'] } } },
  { name: 'protocols without http', spec: { pem: { protocols: ['dns'] } } },
  { name: 'no protocols', spec: { pem: { protocols: [] } } },
];

// What the render gives a pod that only a pod has: the NATS Service, the mounted TLS Secret, the
// host's /proc under /host and port 9090 on every interface. The test empties those variables (an
// empty variable is unset) and passes local flags; everything else stays as rendered.
const POD_ONLY = new Set(['LOUPE_NATS_URL', 'LOUPE_TLS_DIR', 'LOUPE_HOST_PREFIX', 'LOUPE_HEALTH_ADDR']);

/** The container's rendered environment, downward-API values filled in as the kubelet would. */
function podEnv(c: V1Container, pod: string): NodeJS.ProcessEnv {
  const field: Record<string, string> = { 'metadata.name': pod, 'metadata.namespace': 'obs', 'status.podIP': '127.0.0.1', 'spec.nodeName': `node-of-${pod}` };
  const env: NodeJS.ProcessEnv = { LOUPE_LOG_LEVEL: 'info' };
  for (const e of c.env as V1EnvVar[]) env[e.name] = POD_ONLY.has(e.name) ? '' : (e.value ?? field[e.valueFrom!.fieldRef!.fieldPath]!);
  return env;
}

function rendered(spec: Record<string, unknown>) {
  const objs = renderVizier({ vizier: vizier({ clusterName: CLUSTER, ...spec }), tls: tls() });
  const container = (kind: string, name: string) => (objs.find((o) => o.kind === kind && o.metadata!.name === name) as V1DaemonSet | V1Deployment).spec!.template.spec!.containers[0]!;
  return { pem: container('DaemonSet', 'vz-pem'), kelvin: container('Deployment', 'vz-kelvin') };
}

async function send(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${REQUEST_PATH}`, {
    method: 'POST',
    headers: { From: 'jane@example.com', 'X-Client-Ip': '10.20.30.40', 'Content-Type': 'application/json' },
    body: REQUEST_BODY,
  });
  assert.equal(await res.text(), RESPONSE_BODY);
}

const ROWS_SCRIPT = `
import px
df = px.DataFrame(table='http_events', start_time='-10m')
df = df[df.trace_role == 2]
df.cluster = px.vizier_name()
df = df[['local_port', 'cluster', 'req_path', 'req_headers', 'req_body', 'req_body_size', 'resp_headers', 'resp_body', 'resp_body_size']]
px.display(df, 'rows')
per_server = df.groupby('local_port').agg(n=('req_body_size', px.count))
per_server.cluster = px.vizier_name()
px.display(per_server, 'per_server')
`;

const CONN_SCRIPT = `
import px
df = px.DataFrame(table='conn_stats', start_time='-10m')
df.pid = px.upid_to_pid(df.upid)
df = df.groupby('pid').agg(opened=('conn_open', px.max))
px.display(df, 'conns')
`;

type Row = Record<string, unknown>;

function table(r: QueryResults, name: string): Row[] {
  const t = r.tables.find((x) => x.name === name);
  assert.ok(t, `no table ${name} in ${r.tables.map((x) => x.name).join(', ')}`);
  return t.rows.map((row) => Object.fromEntries(t.relation.map((c, j) => [c.name, row[j]])));
}

describe('PEMs started with the environment a Vizier renders', { timeout: 240_000 }, () => {
  let nats: NatsServer;
  const servers: HttpServer[] = [];
  const pems: LoupeProcess[] = [];
  let broker: LoupeProcess;
  /** Every process that started, so `after` stops them even when another failed to start. */
  const running: LoupeProcess[] = [];
  const start = async (args: string[], opts: { name: string; env?: NodeJS.ProcessEnv }) => {
    const l = await startLoupe(args, opts);
    running.push(l);
    return l;
  };
  const REQUESTS = 3;

  before(async () => {
    nats = await startNats();
    for (let i = 0; i < CASES.length; i++) servers.push(await startHttpServer(ECHO_SERVER_JS));
    const local = ['--nats', nats.url, '--listen', '127.0.0.1:0', '--health-addr', '127.0.0.1:0'];
    const started = await Promise.all([
      ...CASES.map((c, i) => start(['pem', ...local, '--pid', String(servers[i]!.pid), '--sources', 'socket_tracer', '--stats-interval', '1s'], { name: `pem (${c.name})`, env: podEnv(rendered(c.spec).pem, `vz-pem-${i}`) })),
      start(['kelvin', ...local], { name: 'kelvin', env: podEnv(rendered({}).kelvin, 'vz-kelvin-0') }),
      start(['query-broker', ...local], { name: 'query-broker' }),
    ]);
    pems.push(...started.slice(0, CASES.length));
    broker = started[CASES.length + 1]!;
  });

  after(async () => {
    for (const l of running) await l.stop('SIGTERM');
    for (const s of servers) s.child.kill('SIGKILL');
    await nats?.stop();
  });

  it('each PEM and Kelvin announce the cluster and Vizier names over NATS', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const seen = new Map<string, { kind: string; cluster?: string; vizier?: string }>();
      const sub = nc.subscribe('loupe.agents.heartbeat', {
        callback: (_err, msg) => {
          const info = JSON.parse(new TextDecoder().decode(msg.data)) as { id: string; kind: string; cluster?: string; vizier?: string };
          seen.set(info.id, info);
        },
      });
      nc.publish('loupe.agents.announce');
      await waitFor('every agent to announce itself', async () => seen.size >= CASES.length + 1, 20_000, 100);
      sub.unsubscribe();
      for (const info of seen.values()) assert.deepEqual([info.cluster, info.vizier], [CLUSTER, 'vz'], JSON.stringify(info));
      assert.equal([...seen.values()].filter((i) => i.kind === 'kelvin').length, 1);
    } finally {
      await nc.close();
    }
  });

  it('record per the data-access mode and the protocols the spec lists', async () => {
    for (const s of servers) for (let k = 0; k < REQUESTS; k++) await send(s.port);
    const port = (name: string) => servers[CASES.findIndex((c) => c.name === name)]!.port;
    const pid = (name: string) => servers[CASES.findIndex((c) => c.name === name)]!.pid;
    const recording = ['Full', 'Restricted', 'PIIRestricted'];
    const silent = ['protocols without http', 'no protocols'];
    let rows: Row[] = [];
    await waitFor('the recording PEMs to hold every request', async () => {
      rows = table(await query(broker.address, ROWS_SCRIPT), 'rows');
      return recording.every((name) => rows.filter((r) => Number(r['local_port']) === port(name)).length >= REQUESTS);
    }, 60_000, 250);
    // The PEMs that parse no HTTP still traced the connections: conn_stats counts them.
    await waitFor('conn_stats of the PEMs without an HTTP parser', async () => {
      const conns = table(await query(broker.address, CONN_SCRIPT), 'conns');
      return silent.every((name) => conns.some((r) => Number(r['pid']) === pid(name) && Number(r['opened']) >= 1));
    }, 30_000, 500);
    const result = await query(broker.address, ROWS_SCRIPT);
    rows = table(result, 'rows');
    const of = (name: string) => rows.filter((r) => Number(r['local_port']) === port(name));

    for (const name of recording) assert.equal(of(name).length, REQUESTS, name);
    for (const name of silent) assert.deepEqual(of(name), [], `${name}: no http_events rows`);
    for (const r of rows) assert.equal(r['cluster'], CLUSTER, 'px.vizier_name() on the PEMs');
    for (const r of table(result, 'per_server')) assert.equal(r['cluster'], CLUSTER, 'px.vizier_name() on Kelvin');

    for (const r of of('Full')) {
      assert.equal(r['req_body'], REQUEST_BODY);
      assert.equal(r['resp_body'], RESPONSE_BODY);
      assert.equal(r['req_path'], REQUEST_PATH);
      assert.match(String(r['req_headers']), /"X-Client-Ip":"10\.20\.30\.40"/i);
      assert.match(String(r['resp_headers']), /"X-Served-For":"jane@example\.com"/i);
    }
    for (const r of of('Restricted')) {
      assert.equal(r['req_body'], '<REDACTED>');
      assert.equal(r['resp_body'], '<REDACTED>');
      assert.equal(r['req_headers'], '<REDACTED>');
      assert.equal(r['resp_headers'], '<REDACTED>');
      assert.equal(Number(r['req_body_size']), Buffer.byteLength(REQUEST_BODY), 'sizes are kept');
      assert.equal(r['req_path'], REQUEST_PATH);
    }
    for (const r of of('PIIRestricted')) {
      assert.equal(r['req_body'], '<REDACTED>');
      assert.equal(r['resp_body'], '<REDACTED>');
      assert.equal(Number(r['resp_body_size']), Buffer.byteLength(RESPONSE_BODY));
      assert.equal(r['req_path'], '/users?email=<REDACTED_EMAIL>&card=<REDACTED_CC_NUMBER>');
      const headers = `${String(r['req_headers'])} ${String(r['resp_headers'])}`;
      assert.match(headers, /"From":"<REDACTED_EMAIL>"/i);
      assert.match(headers, /"X-Client-Ip":"<REDACTED_IPV4>"/i);
      assert.match(headers, /"X-Served-For":"<REDACTED_EMAIL>"/i);
      assert.doesNotMatch(headers, /jane|10\.20\.30\.40/);
    }
  });

  it('a listed protocol without a parser is logged once, never an error', () => {
    const notBuilt = (l: LoupeProcess) => l.output().split('\n').filter((line) => line.includes('no parser for this protocol yet'));
    const dnsOnly = pems[CASES.findIndex((c) => c.name === 'protocols without http')]!;
    assert.equal(notBuilt(dnsOnly).length, 1, dnsOnly.output());
    assert.match(notBuilt(dnsOnly)[0]!, /"protocol":"dns"/);
    assert.match(notBuilt(dnsOnly)[0]!, /"level":"warn"/);
    for (const p of pems.filter((x) => x !== dnsOnly)) assert.deepEqual(notBuilt(p), [], p.name);
  });

  it('loupe standalone reads the same settings, from its environment and flags', async () => {
    const server = await startHttpServer(ECHO_SERVER_JS);
    servers.push(server);
    const env = { LOUPE_LOG_LEVEL: 'info', LOUPE_DATA_ACCESS: 'PIIRestricted', LOUPE_CLUSTER_NAME: 'laptop', LOUPE_PROTOCOLS: 'dns' };
    const standalone = await start(['standalone', '--listen', '127.0.0.1:0', '--pid', String(server.pid), '--sources', 'socket_tracer', '--protocols', 'http'], { name: 'standalone', env });
    for (let k = 0; k < REQUESTS; k++) await send(server.port);
    let rows: Row[] = [];
    await waitFor('the standalone to hold every request', async () => (rows = table(await query(standalone.address, ROWS_SCRIPT), 'rows')).length >= REQUESTS, 30_000, 250);
    assert.equal(rows.length, REQUESTS, '--protocols http wins over $LOUPE_PROTOCOLS dns');
    for (const r of rows) {
      assert.equal(r['cluster'], 'laptop');
      assert.equal(r['req_body'], '<REDACTED>');
      assert.equal(r['req_path'], '/users?email=<REDACTED_EMAIL>&card=<REDACTED_CC_NUMBER>');
      assert.doesNotMatch(`${String(r['req_headers'])} ${String(r['resp_headers'])}`, /jane|10\.20\.30\.40/);
    }
  });
});
