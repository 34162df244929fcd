// End to end: PxL scripts compiled by the compiler, executed over in-memory http_events rows.
import test, { before } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterIdentity, MetadataView, PodInfo, ProcessInfo } from '../../metadata/types.js';
import type { CellValue } from '../../table-store/types.js';
import { HTTP_EVENTS } from '../../table-store/schemas.js';
import { compilePxlSync, initPxl } from '../compiler/index.js';
import { executePlan } from './executor.js';
import { collectResults, type ResultTable } from './results.js';
import { MemoryTableSource } from './test-support.js';

const NOW = 1_714_564_800_000_000_000n;
const SECOND = 1_000_000_000n;

const procs: ProcessInfo[] = [
  { upid: '100:1', pid: 100, cmdline: 'web', podId: 'p-web' },
  { upid: '200:1', pid: 200, cmdline: 'api', podId: 'p-api' },
];
const pods: PodInfo[] = [
  { id: 'p-web', name: 'shop/web-0', namespace: 'shop', nodeName: 'n1', serviceIds: ['s-web'] },
  { id: 'p-api', name: 'shop/api-0', namespace: 'shop', nodeName: 'n1', serviceIds: ['s-api'] },
];
const metadata: MetadataView = {
  nodeName: 'n1',
  hostname: 'host1',
  process: (u) => procs.find((p) => p.upid === u),
  pod: (id) => pods.find((p) => p.id === id),
  podByName: (n) => pods.find((p) => p.name === n),
  podByIp: () => undefined,
  service: (id) => ({ 's-web': { id, name: 'shop/web', namespace: 'shop' }, 's-api': { id, name: 'shop/api', namespace: 'shop' } })[id],
  serviceByName: () => undefined,
  serviceByIp: () => undefined,
};

/** Two minutes of requests: web serves /, /cart, /healthz; api serves /items with some 500s. */
function httpRows(): CellValue[][] {
  const rows: CellValue[][] = [];
  const byName = HTTP_EVENTS.schema.columns.map((c) => c.name);
  for (let i = 0; i < 1200; i++) {
    const web = i % 3 !== 0;
    const cell: Record<string, CellValue> = {
      time_: NOW - 120n * SECOND + BigInt(i) * 100_000_000n,
      upid: web ? '100:1' : '200:1',
      remote_addr: '10.0.0.9',
      remote_port: 40000n,
      local_addr: '10.0.0.1',
      local_port: 8080n,
      trace_role: 2n,
      major_version: 1n,
      minor_version: 1n,
      content_type: 0n,
      req_headers: '{}',
      req_method: 'GET',
      req_path: web ? ['/', '/cart', '/healthz'][i % 3 === 1 ? 0 : (i >> 1) % 3]! : '/items',
      req_body: '',
      req_body_size: 0n,
      resp_headers: '{}',
      resp_status: !web && i % 9 === 0 ? 500n : 200n,
      resp_message: 'OK',
      resp_body: '',
      resp_body_size: 100n,
      latency: BigInt(1_000_000 + (i % 100) * 10_000),
    };
    rows.push(byName.map((n) => cell[n]!));
  }
  return rows;
}

const source = new MemoryTableSource().add(HTTP_EVENTS.schema, httpRows(), 256);

async function runScript(script: string, args: Record<string, string> = {}, identity?: ClusterIdentity): Promise<Map<string, ResultTable>> {
  const { plan } = compilePxlSync(script, { schemas: (t) => source.schema(t), tableNames: source.tableNames(), now: NOW, args });
  const tables = await collectResults(executePlan(plan, { source, metadata, ...(identity ? { identity } : {}) }));
  return new Map(tables.map((t) => [t.name, t]));
}

const column = (t: ResultTable, name: string) => {
  const j = t.relation.findIndex((c) => c.name === name);
  assert.ok(j >= 0, `no column ${name} in ${t.relation.map((c) => c.name).join(', ')}`);
  return t.rows.map((r) => r[j]!);
};

before(() => initPxl());

test('a per-service HTTP summary script runs end to end', async () => {
  const out = await runScript(`import px
df = px.DataFrame(table='http_events', start_time='-5m')
df = df[not px.contains(df.req_path, '/healthz')]
df.service = df.ctx['service']
df.failure = df.resp_status >= 500
stats = df.groupby('service').agg(
    requests=('latency', px.count),
    errors=('failure', px.sum),
    error_rate=('failure', px.mean),
    lat=('latency', px.quantiles),
)
stats.p99_ms = px.pluck_float64(stats.lat, 'p99') / 1000000
px.display(stats[['service', 'requests', 'errors', 'error_rate', 'p99_ms']], 'service_stats')
`);
  const t = out.get('service_stats')!;
  assert.ok(t, `tables: ${[...out.keys()].join(', ')}`);
  const services = column(t, 'service');
  assert.deepEqual([...services].sort(), ['shop/api', 'shop/web']);
  const requests = Object.fromEntries(services.map((s, i) => [s as string, column(t, 'requests')[i]]));
  const rows = httpRows();
  const pathAt = HTTP_EVENTS.schema.columns.findIndex((c) => c.name === 'req_path');
  const upidAt = HTTP_EVENTS.schema.columns.findIndex((c) => c.name === 'upid');
  assert.equal(requests['shop/web'], BigInt(rows.filter((r) => r[upidAt] === '100:1' && r[pathAt] !== '/healthz').length));
  assert.equal(requests['shop/api'], 400n);
  const errors = Object.fromEntries(services.map((s, i) => [s as string, column(t, 'errors')[i]]));
  assert.equal(errors['shop/web'], 0n);
  assert.equal(errors['shop/api'], BigInt(rows.filter((r, i) => r[upidAt] === '200:1' && i % 9 === 0).length));
  for (const p99 of column(t, 'p99_ms')) assert.ok((p99 as number) > 1.9 && (p99 as number) < 2.1, `p99 ${p99} ms`);
});

test('time windows, merge and head run end to end', async () => {
  const out = await runScript(`import px
df = px.DataFrame(table='http_events', start_time='-1m')
df.window = px.bin(df.time_, px.DurationNanos(10 * 1000 * 1000 * 1000))
per_window = df.groupby(['window', 'req_path']).agg(n=('latency', px.count))
totals = df.groupby('req_path').agg(total=('latency', px.count))
joined = per_window.merge(totals, how='inner', left_on='req_path', right_on='req_path', suffixes=['', '_t'])
px.display(joined.head(5), 'windows')
`);
  const t = out.get('windows')!;
  assert.ok(t, `tables: ${[...out.keys()].join(', ')}`);
  assert.equal(t.rows.length, 5);
  for (const w of column(t, 'window')) assert.equal((w as bigint) % (10n * SECOND), 0n);
});

test('px.vizier_name() and px.vizier_namespace() name the deployment the query runs in', async () => {
  const script = `import px
df = px.DataFrame(table='http_events', start_time='-1m')
df = df.groupby('req_path').agg(n=('latency', px.count))
df.cluster = px.vizier_name()
df.ns = px.vizier_namespace()
px.display(df.head(2), 'where')
`;
  const t = (await runScript(script, {}, { clusterName: 'prod-eu', vizierName: 'vz', namespace: 'obs' })).get('where')!;
  assert.deepEqual(column(t, 'cluster'), ['prod-eu', 'prod-eu']);
  assert.deepEqual(column(t, 'ns'), ['obs', 'obs']);
  assert.deepEqual(column((await runScript(script)).get('where')!, 'cluster'), ['', ''], 'nothing known: empty, as Pixie');
});
