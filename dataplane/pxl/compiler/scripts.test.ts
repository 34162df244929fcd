import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PEM_TABLES } from '../../table-store/schemas.js';
import { compilePxlSync, initPxl } from './compile.js';
import { explain } from './explain.js';
import { MINUTE, NOW, TEST_OPTIONS, compile, names } from './test-fixtures.js';

/** Per-service HTTP health: latency quantiles, error rate and throughput, overall and per time window. */
const SERVICE_HEALTH = `import px

NS_PER_S = 1000 * 1000 * 1000
WINDOW = px.DurationNanos(30 * NS_PER_S)
HIDE_PROBES = True


def http_rows(start_time: str, namespace: px.Namespace):
    """HTTP server-side requests of one namespace, probes removed."""
    df = px.DataFrame(table='http_events', start_time=start_time)
    df = df[df.trace_role == 2]
    df.service = df.ctx['service']
    df.namespace = df.ctx['namespace']
    df = df[df.namespace == namespace and df.service != '']
    df = df[not px.contains(df.req_path, '/healthz') or not HIDE_PROBES]
    df.failed = df.resp_status >= 500
    df.window = px.bin(df.time_, WINDOW)
    return df


def latency_columns(df):
    for_q = df.lat_q
    df.p50 = px.DurationNanos(px.floor(px.pluck_float(for_q, 'p50')))
    df.p99 = px.DurationNanos(px.floor(px.pluck_float(for_q, 'p99')))
    return df.drop('lat_q')


def service_health(start_time: str, namespace: px.Namespace, top: int = 20):
    rows = http_rows(start_time, namespace)
    overall = rows.groupby('service').agg(
        lat_q=('latency', px.quantiles),
        requests=('latency', px.count),
        error_rate=('failed', px.mean),
        started=('time_', px.min),
        ended=('time_', px.max),
    )
    overall = latency_columns(overall)
    overall.span_s = (overall.ended - overall.started) / NS_PER_S
    overall.rps = overall.requests / px.select(overall.span_s > 0, overall.span_s, 1.0)
    overall.error_rate = px.Percent(overall.error_rate)
    overall.details = px.script_reference(overall.service, 'px/service', {'service': overall.service, 'start_time': start_time})
    return overall[['service', 'requests', 'rps', 'error_rate', 'p50', 'p99', 'details']].head(top)


def latency_over_time(start_time: str, namespace: px.Namespace):
    rows = http_rows(start_time, namespace)
    per_window = rows.groupby(['service', 'window']).agg(lat_q=('latency', px.quantiles), requests=('latency', px.count))
    per_window = latency_columns(per_window)
    per_window.time_ = per_window.window
    return per_window[['time_', 'service', 'p50', 'p99', 'requests']]
`;

/** Bytes per pod pair from conn_stats, joined with the sending pod's memory from process_stats. */
const POD_TRAFFIC = `import px

def pod_traffic(start_time: str, min_bytes: int = 0):
    conns = px.DataFrame(table='conn_stats', start_time=start_time)
    conns = conns[conns.trace_role == 1]
    conns.pod = conns.ctx['pod']
    conns.peer = px.pod_id_to_pod_name(px.ip_to_pod_id(conns.remote_addr))
    conns.peer = px.select(conns.peer == '', conns.remote_addr, conns.peer)
    edges = conns.groupby(['upid', 'pod', 'peer']).agg(
        sent_first=('bytes_sent', px.min),
        sent_last=('bytes_sent', px.max),
        recv_first=('bytes_recv', px.min),
        recv_last=('bytes_recv', px.max),
    )
    edges.sent = px.Bytes(edges.sent_last - edges.sent_first)
    edges.recv = px.Bytes(edges.recv_last - edges.recv_first)
    edges = edges.groupby(['pod', 'peer']).agg(sent=('sent', px.sum), recv=('recv', px.sum))
    edges = edges[edges.sent + edges.recv >= min_bytes]

    procs = px.DataFrame(table='process_stats', start_time=start_time)
    procs.pod = procs.ctx['pod']
    memory = procs.groupby('pod').agg(rss=('rss_bytes', px.max))

    joined = edges.merge(memory, how='left', left_on='pod', right_on='pod', suffixes=['', '_mem'])
    return joined.drop('pod_mem')
`;

/** Module-level script: slow requests and an export of per-path counts, both shown. */
const SLOW_REQUESTS = `import px

THRESHOLD_MS = 250
df = px.DataFrame(table='http_events', start_time='-15m')
df.latency_ms = df.latency / (1000 * 1000)
slow = df[df.latency_ms > THRESHOLD_MS]
slow.pod = slow.ctx['pod']
slow.request = slow.req_method + ' ' + slow.req_path
px.display(slow[['time_', 'pod', 'request', 'resp_status', 'latency']].head(100), 'slow_requests')

counts = slow.groupby(['pod', 'req_path']).agg(n=('latency', px.count), worst=('latency', px.max))
counts.time_ = px.now()
px.export(counts, px.otel.Data(
    resource={'service.name': counts.pod},
    data=[px.otel.metric.Gauge(name='http.slow_requests', value=counts.n, attributes={'path': counts.req_path})],
))
px.display(counts, 'slow_by_path')
`;

describe('realistic scripts', () => {
  before(() => initPxl());

  it('service health: stats per service with quantiles, error rate, throughput and links', async () => {
    const q = await compile(SERVICE_HEALTH, { entry: 'service_health', args: { start_time: '-10m', namespace: 'shop' } });
    assert.deepEqual(q.sinks, ['service_health']);
    const sink = q.plan.nodes[q.plan.nodes.length - 1];
    assert.ok(sink?.op === 'sink', explain(q.plan));
    assert.deepEqual(sink.relation, [
      { name: 'service', type: 'string', semantic: 'service_name' },
      { name: 'requests', type: 'int64' },
      { name: 'rps', type: 'float64' },
      { name: 'error_rate', type: 'float64', semantic: 'percent' },
      { name: 'p50', type: 'int64', semantic: 'duration_ns' },
      { name: 'p99', type: 'int64', semantic: 'duration_ns' },
      { name: 'details', type: 'string', semantic: 'script_reference' },
    ]);
    const source = q.plan.nodes[0];
    assert.ok(source?.op === 'source');
    assert.equal(source.startTime, NOW - 10n * MINUTE);
    assert.deepEqual(names(source), ['time_', 'upid', 'trace_role', 'req_path', 'resp_status', 'latency']);
    assert.ok(q.plan.nodes.some((n) => n.op === 'limit' && n.n === 20));
  });

  it('service health: latency binned by time window', async () => {
    const q = await compile(SERVICE_HEALTH, { entry: 'latency_over_time', args: { start_time: '-1h', namespace: 'shop' } });
    const agg = q.plan.nodes.find((n) => n.op === 'agg');
    assert.ok(agg?.op === 'agg');
    assert.deepEqual(names(agg), ['service', 'window', 'lat_q', 'requests']);
    const bin = q.plan.nodes.find((n) => n.op === 'map' && n.exprs.some((e) => e.name === 'window'));
    assert.ok(bin?.op === 'map');
    const expr = bin.exprs.find((e) => e.name === 'window')?.expr;
    assert.deepEqual(expr?.kind === 'call' && [expr.fn, expr.args[1]], ['bin', { kind: 'literal', type: 'int64', value: 30_000_000_000n, semantic: 'duration_ns' }]);
    const sink = q.plan.nodes[q.plan.nodes.length - 1];
    assert.deepEqual(sink && names(sink), ['time_', 'service', 'p50', 'p99', 'requests']);
    assert.deepEqual(sink?.relation[0], { name: 'time_', type: 'time64ns' });
  });

  it('pod traffic: two aggregations, a filter on computed columns and a left merge', async () => {
    const q = await compile(POD_TRAFFIC, { entry: 'pod_traffic', args: { start_time: '-5m', min_bytes: '1024' } });
    const join = q.plan.nodes.find((n) => n.op === 'join');
    assert.ok(join?.op === 'join');
    assert.equal(join.how, 'left');
    const sink = q.plan.nodes[q.plan.nodes.length - 1];
    assert.deepEqual(sink?.relation, [
      { name: 'pod', type: 'string', semantic: 'pod_name' },
      { name: 'peer', type: 'string' },
      { name: 'sent', type: 'int64', semantic: 'bytes' },
      { name: 'recv', type: 'int64', semantic: 'bytes' },
      { name: 'rss', type: 'int64', semantic: 'bytes' },
    ]);
    assert.deepEqual(
      q.plan.nodes.filter((n) => n.op === 'source').map((n) => n.op === 'source' && n.table),
      ['conn_stats', 'process_stats'],
    );
  });

  it('slow requests: module-level displays and an OpenTelemetry export', async () => {
    const q = await compile(SLOW_REQUESTS);
    assert.deepEqual(q.sinks, ['slow_requests', 'slow_by_path']);
    const ops = q.plan.nodes.map((n) => n.op);
    assert.equal(ops.filter((o) => o === 'otel_export').length, 1);
    const filter = q.plan.nodes.find((n) => n.op === 'filter');
    assert.ok(filter?.op === 'filter');
    const p = filter.predicate;
    assert.ok(p.kind === 'call' && p.fn === 'greaterThan');
    assert.deepEqual(p.args[1], { kind: 'literal', type: 'int64', value: 250n });
    const first = q.plan.nodes.find((n) => n.op === 'sink');
    assert.deepEqual(first && names(first), ['time_', 'pod', 'request', 'resp_status', 'latency']);
  });

  it('compiles against the PEM table schemas', () => {
    const options = { schemas: (t: string) => PEM_TABLES.find((s) => s.name === t)?.schema, tableNames: PEM_TABLES.map((s) => s.name), now: NOW };
    const health = compilePxlSync(SERVICE_HEALTH, { ...options, entry: 'service_health', args: { start_time: '-5m', namespace: 'default' } });
    assert.deepEqual(health.sinks, ['service_health']);
    const traffic = compilePxlSync(POD_TRAFFIC, { ...options, entry: 'pod_traffic', args: { start_time: '-5m' } });
    assert.deepEqual(traffic.sinks, ['pod_traffic']);
    const slow = compilePxlSync(SLOW_REQUESTS, options);
    assert.deepEqual(slow.sinks, ['slow_requests', 'slow_by_path']);
  });

  it('compiles a typical script in a few milliseconds', () => {
    const run = (): unknown => compilePxlSync(SERVICE_HEALTH, { ...TEST_OPTIONS, entry: 'service_health', args: { start_time: '-5m', namespace: 'default' } });
    for (let i = 0; i < 20; i++) run();
    const started = performance.now();
    for (let i = 0; i < 50; i++) run();
    const perCompile = (performance.now() - started) / 50;
    assert.ok(perCompile < 20, `one compile took ${perCompile.toFixed(2)} ms`);
  });
});
