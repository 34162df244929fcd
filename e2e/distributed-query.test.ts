// Distributed PxL over real gRPC and a real NATS server: three PEMs holding different rows
// announce themselves, the broker compiles and splits, Kelvin merges — and every script gives
// the same answer as one process holding all the rows.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BROKER_SERVICE, callStream, insecureClient } from '../dataplane/query/grpc-services.js';
import { collectFrames, type QueryResults } from '../dataplane/query/results.js';
import { runScriptLocally } from '../dataplane/query/services.js';
import { queryErrorMessage } from '../dataplane/query/errors.js';
import { HTTP_EVENTS, PROCESS_STATS } from '../dataplane/table-store/schemas.js';
import { TableStore } from '../dataplane/table-store/table-store.js';
import { bundledScripts, resolveScript } from '../dataplane/scripts/library.js';
import { startNats, type NatsServer } from './harness/nats.js';
import { startQueryCluster, type QueryCluster } from './harness/query-cluster.js';

const PEMS = 3;
let nats: NatsServer;
let cluster: QueryCluster | undefined;
let brokerAddress = '';
const all = new TableStore({ totalBytes: 256 << 20 });

/** Deterministic rows spread over the PEMs; `all` gets every row. */
function fill(stores: TableStore[]): void {
  const now = BigInt(Date.now()) * 1_000_000n;
  const tables = (s: TableStore) => ({ http: s.createTable(HTTP_EVENTS.schema), procs: s.createTable(PROCESS_STATS.schema) });
  const whole = tables(all);
  const parts = stores.map(tables);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 6000; i++) {
    const row = {
      time_: now - BigInt(Math.floor(rand() * 240_000)) * 1_000_000n,
      upid: `${1000 + (i % 12)}:77`,
      remote_addr: `10.0.0.${i % 5}`,
      remote_port: 40000 + (i % 50),
      local_addr: '127.0.0.1',
      local_port: 8080,
      trace_role: i % 4 === 0 ? 1 : 2,
      major_version: 1,
      minor_version: 1,
      content_type: 1,
      req_headers: '{"host":"svc"}',
      req_method: ['GET', 'POST', 'PUT'][i % 3]!,
      req_path: `/api/v1/items/${i % 37}`,
      req_body: '',
      req_body_size: i % 100,
      resp_headers: '{}',
      resp_status: [200, 200, 200, 201, 404, 500][i % 6]!,
      resp_message: 'OK',
      resp_body: '{}',
      resp_body_size: 100 + (i % 900),
      latency: BigInt(Math.floor(rand() * 50_000_000) + 100_000),
    };
    whole.http.appendObject(row);
    // Rows of one process live on one node, as upids do.
    parts[(i % 12) % PEMS]!.http.appendObject(row);
  }
  for (let i = 0; i < 12; i++) {
    for (let t = 0; t < 20; t++) {
      const row = {
        time_: now - BigInt(200_000 - t * 10_000) * 1_000_000n,
        upid: `${1000 + i}:77`,
        major_faults: 0,
        minor_faults: 10 * t,
        cpu_utime_ns: BigInt(t * 1_000_000 * (i + 1)),
        cpu_ktime_ns: BigInt(t * 500_000),
        num_threads: 4 + i,
        vsize_bytes: 1 << 30,
        rss_bytes: (64 + i + t) << 20,
        rchar_bytes: t * 4096,
        wchar_bytes: t * 1024,
        read_bytes: 0,
        write_bytes: 0,
      };
      whole.procs.appendObject(row);
      parts[i % PEMS]!.procs.appendObject(row);
    }
  }
}

before(async () => {
  nats = await startNats();
  const stores = Array.from({ length: PEMS }, () => new TableStore({ totalBytes: 128 << 20 }));
  fill(stores);
  cluster = await startQueryCluster(nats.url, stores);
  brokerAddress = cluster.brokerAddress;
});

after(async () => {
  await cluster?.stop();
  await nats?.stop();
});

async function viaBroker(script: string, entry?: string, args?: Record<string, string>): Promise<QueryResults> {
  const client = insecureClient(brokerAddress);
  try {
    return await collectFrames(callStream(client, BROKER_SERVICE.executeScript, { script, ...(entry ? { defaultEntry: entry } : {}), ...(args ? { args } : {}) }));
  } finally {
    client.close();
  }
}

const locally = (script: string, entry?: string, args?: Record<string, string>) =>
  collectFrames(runScriptLocally({ script, ...(entry ? { defaultEntry: entry } : {}), ...(args ? { args } : {}) }, { source: all }));

/** Rows as sorted text, floats rounded, so the comparison ignores row order (PxL has no sort). */
function canonical(r: QueryResults, quantileColumns: readonly string[] = []): string[] {
  return r.tables.map((t) => {
    const cols = t.relation.map((c) => c.name);
    const rows = t.rows.map((row) =>
      row
        .map((v, j) => {
          if (quantileColumns.includes(cols[j]!)) return '~';
          if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(9);
          return String(v);
        })
        .join('|'),
    );
    return `${t.name}[${cols.join(',')}]\n${rows.sort().join('\n')}`;
  });
}

test('aggregates, filters, maps, joins and limits give the same answer through Kelvin as in one process', async () => {
  const script = `
import px
df = px.DataFrame(table='http_events', start_time='-10m')
df = df[df.trace_role == 2]
df.failure = df.resp_status >= 400
stats = df.groupby(['req_path', 'req_method']).agg(n=('latency', px.count), errors=('failure', px.sum), mean=('latency', px.mean), lo=('latency', px.min), hi=('latency', px.max), bytes=('resp_body_size', px.sum))
px.display(stats, 'stats')
per_upid = df.groupby('upid').agg(requests=('latency', px.count))
procs = px.DataFrame(table='process_stats', start_time='-10m')
procs = procs.groupby('upid').agg(rss=('rss_bytes', px.max), threads=('num_threads', px.max))
joined = per_upid.merge(procs, how='inner', left_on='upid', right_on='upid', suffixes=['', '_p'])
px.display(joined, 'joined')
total = df.agg(n=('latency', px.count), slow=('latency', px.max))
px.display(total, 'total')
`;
  const [distributed, local] = await Promise.all([viaBroker(script), locally(script)]);
  assert.equal(distributed.stats?.agents, PEMS, 'the query ran on every PEM');
  assert.deepEqual(canonical(distributed), canonical(local));
  assert.equal(distributed.tables.find((t) => t.name === 'total')!.rows[0]![0], 4500n, '6000 rows, a quarter are client side');
  // Processes 1000, 1004 and 1008 only ever act as clients, so 9 of the 12 serve requests.
  assert.equal(distributed.tables.find((t) => t.name === 'joined')!.rows.length, 9);
});

test('quantiles merge across PEMs within the sketch error', async () => {
  const script = `
import px
df = px.DataFrame(table='http_events', start_time='-10m')
df = df.groupby('resp_status').agg(q=('latency', px.quantiles), n=('latency', px.count))
df.p50 = px.pluck_float64(df.q, 'p50')
df.p99 = px.pluck_float64(df.q, 'p99')
px.display(df[['resp_status', 'n', 'p50', 'p99']], 'q')
`;
  const [distributed, local] = await Promise.all([viaBroker(script), locally(script)]);
  const byStatus = (r: QueryResults) => new Map(r.tables[0]!.rows.map((row) => [row[0], row]));
  const d = byStatus(distributed);
  const l = byStatus(local);
  assert.equal(d.size, 4);
  for (const [status, row] of l) {
    const other = d.get(status)!;
    assert.equal(other[1], row[1]);
    for (const j of [2, 3]) assert.ok(Math.abs((other[j] as number) - (row[j] as number)) <= 0.03 * (row[j] as number), `status ${String(status)} column ${j}: ${String(other[j])} vs ${String(row[j])}`);
  }
});

test('a head() over all PEMs returns exactly n rows; every bundled script runs distributed', async () => {
  const head = await viaBroker("import px\npx.display(px.DataFrame(table='http_events').head(25), 'h')");
  assert.equal(head.tables[0]!.rows.length, 25);
  for (const name of bundledScripts()) {
    const s = resolveScript(name);
    const uses = (table: string) => s.text.includes(`'${table}'`);
    if (!['http_events', 'process_stats'].some(uses) || ['conn_stats', 'network_stats', 'stack_traces.beta'].some(uses)) continue;
    const [distributed, local] = await Promise.all([viaBroker(s.text, s.entry), locally(s.text, s.entry)]);
    if (/\.head\(/.test(s.text)) {
      // head() keeps any n rows: which ones depends on arrival order, so compare counts.
      assert.deepEqual(distributed.tables.map((t) => [t.name, t.rows.length]), local.tables.map((t) => [t.name, t.rows.length]), name);
      continue;
    }
    assert.deepEqual(canonical(distributed, ['latency_quantiles', 'latency_p50', 'latency_p90', 'latency_p99']), canonical(local, ['latency_quantiles', 'latency_p50', 'latency_p90', 'latency_p99']), name);
  }
});

test('compile errors come back from the broker with line, column and caret', async () => {
  await assert.rejects(viaBroker("import px\ndf = px.DataFrame(table='http_events')\ndf.x = df.no_such_column\npx.display(df)"), (err: unknown) => {
    const message = queryErrorMessage(err);
    assert.match(message, /script\.pxl:3:\d+: .*no_such_column/);
    assert.match(message, /\^/);
    return true;
  });
});
