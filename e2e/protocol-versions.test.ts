// Wire compatibility across builds, over a real NATS server and real gRPC. Two builds run in one
// process with their own protocol constants: N (a next build) and N-1 (this one), as a rolling
// upgrade runs them side by side; they answer queries together, and the query comes back as it
// does in one process. An agent of N-2 is refused by the broker (NATS) and by Kelvin (gRPC),
// with a message naming it, its version and what the refusing build supports. The real
// `loupe query-broker` and `loupe kelvin` processes log and count what they refuse.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connect, type NatsConnection } from 'nats';
import type { AgentRefusal } from '../dataplane/query/agent-registry.js';
import { SUBJECTS } from '../dataplane/query/agent-registry.js';
import { callStream, openClient, queryServices, rawFrames, startServer, type KelvinRequest } from '../dataplane/query/grpc-services.js';
import { encodePlan } from '../dataplane/query/plan-codec.js';
import { PROTOCOL_VERSION, speaks, type Protocol, type ProtocolVersionError } from '../dataplane/query/protocol-version.js';
import { collectFrames, type QueryResults } from '../dataplane/query/results.js';
import { compileRequest, pemHandlers, runScriptLocally } from '../dataplane/query/services.js';
import { splitPlan } from '../dataplane/query/split-plan.js';
import { HTTP_EVENTS, type HttpEventRow } from '../dataplane/table-store/schemas.js';
import { TableStore } from '../dataplane/table-store/table-store.js';
import { waitFor } from './harness/cluster.js';
import { startLoupe, type LoupeProcess } from './harness/loupe-process.js';
import { startNats, type NatsServer } from './harness/nats.js';
import { startQueryCluster, type QueryCluster, type QueryClusterOptions } from './harness/query-cluster.js';

const N = PROTOCOL_VERSION + 1;
const build = (version: number): Protocol => ({ version });
const SCRIPT = `
import px
df = px.DataFrame(table='http_events', start_time='-10m')
df = df.groupby(['req_path', 'resp_status']).agg(n=('latency', px.count), slowest=('latency', px.max))
px.display(df, 'paths')
`;

/** What each part started, stopped in reverse order after it. */
function lifo(): { add(stop: () => unknown): void; run(): Promise<void> } {
  const stops: (() => unknown)[] = [];
  return {
    add: (stop) => void stops.push(stop),
    async run() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/** A NATS server of its own for each part, so that one part's agents never reach another's registry. */
async function ownNats(cleanups: ReturnType<typeof lifo>): Promise<NatsServer> {
  const nats = await startNats();
  cleanups.add(() => nats.stop());
  return nats;
}

/** A store per PEM, each with its own requests, and `union` holding the rows of those in `into`. */
function stores(count: number, into: readonly number[]): { pems: TableStore[]; union: TableStore } {
  const now = BigInt(Date.now()) * 1_000_000n;
  const pems = Array.from({ length: count }, () => new TableStore({ totalBytes: 16 << 20 }));
  const union = new TableStore({ totalBytes: 16 << 20 });
  const tables = pems.map((s) => s.createTable(HTTP_EVENTS.schema));
  const all = union.createTable(HTTP_EVENTS.schema);
  for (let i = 0; i < 600; i++) {
    const pem = i % count;
    const row: HttpEventRow = {
      time_: now - BigInt(i) * 1_000_000_000n,
      upid: `${100 + pem}:1`,
      remote_addr: '10.0.0.1',
      remote_port: 40000 + i,
      local_addr: '127.0.0.1',
      local_port: 8080,
      trace_role: 2,
      major_version: 1,
      minor_version: 1,
      content_type: 0,
      req_headers: '{}',
      req_method: 'GET',
      req_path: `/pem-${pem}/item-${i % 7}`,
      req_body: '',
      req_body_size: 0,
      resp_headers: '{}',
      resp_status: i % 5 === 0 ? 500 : 200,
      resp_message: 'OK',
      resp_body: '',
      resp_body_size: 10,
      latency: BigInt(1_000_000 + i),
    };
    tables[pem]!.appendObject(row);
    if (into.includes(pem)) all.appendObject(row);
  }
  return { pems, union };
}

/** Runs SCRIPT through the broker as a client of `client` builds it; the frames' protocol versions too. */
async function viaBroker(address: string, client: Protocol): Promise<{ results: QueryResults; versions: Set<number> }> {
  const method = queryServices(client).broker.executeScript;
  const versions = new Set<number>();
  const channel = openClient(address);
  try {
    const frames: Buffer[] = [];
    for await (const frame of callStream(channel, rawFrames(method), { script: SCRIPT })) frames.push(frame);
    for (const f of frames) versions.add(f.readUInt16LE(2));
    async function* decoded() {
      for (const f of frames) yield method.responseDeserialize(f);
    }
    return { results: await collectFrames(decoded()), versions };
  } finally {
    channel.close();
  }
}

const sorted = (r: QueryResults) => r.tables.map((t) => ({ name: t.name, rows: t.rows.map((row) => row.map(String).join('|')).sort() }));

interface Builds {
  readonly pems: readonly Protocol[];
  readonly kelvin: Protocol;
  readonly broker: Protocol;
}

/**
 * Inside a describe: a query cluster of these builds on a NATS server of its own, started before
 * its tests and stopped after them; `union` holds the rows of the PEMs the broker takes.
 */
function clusterOf(builds: Builds, opts: Omit<QueryClusterOptions, 'protocols'> = {}): { cluster: QueryCluster; union: TableStore } {
  const cleanups = lifo();
  after(() => cleanups.run());
  const started = {} as { cluster: QueryCluster; union: TableStore };
  before(async () => {
    const nats = await ownNats(cleanups);
    const s = stores(builds.pems.length, builds.pems.flatMap((pem, i) => (speaks(builds.broker, pem.version) ? [i] : [])));
    started.union = s.union;
    started.cluster = await startQueryCluster(nats.url, s.pems, { ...opts, protocols: builds });
    cleanups.add(() => started.cluster.stop());
  });
  return started;
}

describe('a rolling upgrade between two builds', () => {
  const brokerRefusals: AgentRefusal[] = [];
  const kelvinRefusals: ProtocolVersionError[] = [];
  const started = clusterOf(
    { pems: [build(N), build(N - 1), build(N - 2)], kelvin: build(N), broker: build(N) },
    { expiryMs: 60_000, onBrokerRefused: (r) => brokerRefusals.push(r), onKelvinRefused: (r) => kelvinRefusals.push(r) },
  );

  it('a broker and Kelvin of build N run a query over PEMs of N and N-1 at version N-1, with the answer one process gives', async () => {
    const { results, versions } = await viaBroker(started.cluster.brokerAddress, build(N));
    assert.equal(results.stats?.agents, 2);
    assert.deepEqual([...versions], [N - 1], 'every frame came back at the older PEM\'s version');
    assert.deepEqual(sorted(results), sorted(await collectFrames(runScriptLocally({ script: SCRIPT }, { source: started.union }))));
    // A client of build N-1 (an older loupe run) reads the same answer.
    assert.deepEqual(sorted((await viaBroker(started.cluster.brokerAddress, build(N - 1))).results), sorted(results));
  });

  it('the broker refuses the PEM of build N-2, naming it, its version and what the broker supports', async () => {
    await waitFor('the broker to refuse pem-2', async () => started.cluster.registry.refused().length > 0);
    assert.deepEqual(started.cluster.registry.refused().map((r) => [r.agent.id, r.reason]), [['pem-2', 'protocol_version']]);
    assert.deepEqual(started.cluster.registry.live('pem').map((a) => [a.id, a.protocolVersion]), [['pem-0', N], ['pem-1', N - 1]]);
    assert.equal(brokerRefusals.length, 1);
    assert.equal(
      brokerRefusals[0]!.error.message,
      `PEM pem-2 at ${started.cluster.pemAddresses[2]} speaks protocol version ${N - 2}; this query broker supports protocol versions ${N - 1} and ${N}: upgrade the PEM: a query broker takes agents of its own version and the one before`,
    );
  });

  it('Kelvin of build N refuses a PEM of N-2 it is asked to query, and counts it', async () => {
    const tables = [HTTP_EVENTS.schema];
    const { pem, kelvin } = splitPlan((await compileRequest({ script: SCRIPT }, tables)).plan);
    const request: KelvinRequest = { queryId: 'q', plan: encodePlan(kelvin, N - 1), pemPlan: encodePlan(pem, N - 1), pems: started.cluster.pemAddresses };
    const client = openClient(started.cluster.kelvinAddress);
    try {
      await assert.rejects(collectFrames(callStream(client, queryServices(build(N)).kelvin.executeQuery, request)), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
        assert.equal(err.details, `PEM ${started.cluster.pemAddresses[2]} speaks protocol version ${N - 2}; this Kelvin supports protocol versions ${N - 1} and ${N}: it cannot run this query, which is at protocol version ${N - 1}`);
        return true;
      });
    } finally {
      client.close();
    }
    assert.deepEqual(kelvinRefusals.map((r) => [r.peer, r.version]), [[`PEM ${started.cluster.pemAddresses[2]}`, N - 2]]);
  });
});

describe('a Kelvin one build behind the broker and PEMs', () => {
  const started = clusterOf({ pems: [build(N), build(N)], kelvin: build(N - 1), broker: build(N) });

  it('answers at version N-1, as one process does', async () => {
    const { results, versions } = await viaBroker(started.cluster.brokerAddress, build(N));
    assert.deepEqual([...versions], [N - 1]);
    assert.equal(results.stats?.agents, 2);
    assert.deepEqual(sorted(results), sorted(await collectFrames(runScriptLocally({ script: SCRIPT }, { source: started.union }))));
  });

  it('refuses a client of build N-2, or one whose version is not a number, with what the broker supports', async () => {
    await assert.rejects(viaBroker(started.cluster.brokerAddress, build(N - 2)), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
      assert.equal(err.details, `the client speaks protocol version ${N - 2}; this query broker supports protocol versions ${N - 1} and ${N}`);
      return true;
    });
    // A version header that is not a number is refused too (String(NaN) goes out as "NaN").
    await assert.rejects(viaBroker(started.cluster.brokerAddress, build(Number.NaN)), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
      assert.equal(err.details, `the client speaks protocol version "NaN"; this query broker supports protocol versions ${N - 1} and ${N}: send loupe-protocol-version as a decimal number, or leave it out`);
      return true;
    });
  });
});

describe('the query-broker and kelvin processes', () => {
  let nc: NatsConnection;
  let broker: LoupeProcess;
  let kelvin: LoupeProcess;
  const cleanups = lifo();
  after(() => cleanups.run());

  before(async () => {
    const nats = await ownNats(cleanups);
    nc = await connect({ servers: nats.url });
    cleanups.add(() => nc.close());
    const common = ['--nats', nats.url, '--listen', '127.0.0.1:0', '--health-addr', '127.0.0.1:0'];
    broker = await startLoupe(['query-broker', ...common]);
    cleanups.add(() => broker.stop());
    kelvin = await startLoupe(['kelvin', ...common, '--no-kube']);
    cleanups.add(() => kelvin.stop());
  });

  const refusedTotal = async (role: LoupeProcess) => {
    const text = await (await fetch(`http://${role.health}/metrics`)).text();
    return /^loupe_agents_refused_total\{reason="protocol_version",role="[a-z-]+"\} (\d+)$/m.exec(text)?.[1];
  };

  it('the broker logs and counts agents of versions it does not support, once each', async () => {
    const announce = (id: string, version?: number) =>
      nc.publish(SUBJECTS.heartbeat, new TextEncoder().encode(JSON.stringify({ id, kind: 'pem', address: `127.0.0.1:${id.length}`, hostname: 'h', tables: [], ...(version === undefined ? {} : { protocolVersion: version }) })));
    announce('pem-future', PROTOCOL_VERSION + 2);
    announce('pem-future', PROTOCOL_VERSION + 2);
    announce('pem-unversioned');
    await nc.flush();
    await waitFor('two refusals in the broker log', async () => broker.output().split('\n').filter((l) => l.includes('protocol version')).length >= 2);
    const lines = broker.output().split('\n').filter((l) => l.includes('protocol version')).map((l) => JSON.parse(l) as { level: unknown; msg: string; agent: string });
    assert.deepEqual(lines.map((l) => [l.agent, l.msg]), [
      ['pem-future', `PEM pem-future at 127.0.0.1:10 speaks protocol version ${PROTOCOL_VERSION + 2}; this query broker supports protocol version ${PROTOCOL_VERSION}: upgrade the query broker before the agents`],
      ['pem-unversioned', `PEM pem-unversioned at 127.0.0.1:15 speaks no protocol version; this query broker supports protocol version ${PROTOCOL_VERSION}: upgrade the PEM: a query broker takes agents of its own version and the one before`],
    ]);
    assert.equal(await refusedTotal(broker), '2');
  });

  it('Kelvin logs and counts a PEM it refuses', async () => {
    const future = build(PROTOCOL_VERSION + 2);
    const store = new TableStore({ totalBytes: 1 << 20 });
    store.createTable(HTTP_EVENTS.schema);
    const pem = await startServer('127.0.0.1:0', (s) => s.addService(queryServices(future).pem, pemHandlers({ source: store, protocol: future })));
    cleanups.add(() => pem.server.forceShutdown());
    const { pem: pemPlan, kelvin: kelvinPlan } = splitPlan((await compileRequest({ script: SCRIPT }, [HTTP_EVENTS.schema])).plan);
    const request: KelvinRequest = { queryId: 'q', plan: encodePlan(kelvinPlan), pemPlan: encodePlan(pemPlan), pems: [pem.address] };
    const client = openClient(kelvin.address);
    try {
      await assert.rejects(collectFrames(callStream(client, queryServices().kelvin.executeQuery, request)), /speaks protocol version \d+; this Kelvin supports/);
    } finally {
      client.close();
    }
    assert.equal(await refusedTotal(kelvin), '1');
    assert.match(kelvin.output(), new RegExp(`"peer":"PEM ${pem.address.replace(/\./g, '\\.')}","protocolVersion":${future.version}`));
  });
});
