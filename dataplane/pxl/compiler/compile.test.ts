import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Expr } from '../plan.js';
import { MINUTE, NOW, SECOND, compile, compileError, compileRaw, last, names, node } from './test-fixtures.js';

const HTTP = "import px\ndf = px.DataFrame(table='http_events')\n";
const col = (index: number, name: string, type: Expr['type'], semantic?: string): Expr => (semantic ? ({ kind: 'column', index, name, type, semantic } as Expr) : { kind: 'column', index, name, type });

/** The expression a map node computes for `name`. */
async function mapped(body: string, name: string): Promise<Expr> {
  const plan = await compileRaw(`${HTTP}${body}\npx.display(df)\n`);
  const map = node(plan, plan.nodes.length - 2, 'map');
  const e = map.exprs.find((x) => x.name === name);
  assert.ok(e, `no column ${name}`);
  return e.expr;
}

describe('px.DataFrame', () => {
  it('reads every column of the table, with types and semantic types, unbounded in time by default', async () => {
    const plan = await compileRaw(`${HTTP}px.display(df)\n`);
    const src = node(plan, 0, 'source');
    assert.equal(src.table, 'http_events');
    assert.deepEqual(src.columns, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(src.relation[1], { name: 'upid', type: 'uint128', semantic: 'upid' });
    assert.deepEqual(src.relation[10], { name: 'latency', type: 'int64', semantic: 'duration_ns' });
    assert.equal(src.startTime, undefined);
    assert.equal(src.endTime, undefined);
    assert.deepEqual(src.at, { line: 2, column: 6 });
    const sink = node(plan, 1, 'sink');
    assert.deepEqual([sink.input, sink.name, sink.relation], [0, 'output', src.relation]);
  });

  it('takes select= in its order and the table positionally', async () => {
    const plan = await compileRaw("import px\npx.display(px.DataFrame('http_events', select=['latency', 'time_']))\n");
    const src = node(plan, 0, 'source');
    assert.deepEqual(src.columns, [10, 0]);
    assert.deepEqual(names(src), ['latency', 'time_']);
  });

  it('resolves start_time and end_time at compile time: duration text, ns, times, px.now() arithmetic', async () => {
    const cases: [string, bigint | undefined, bigint | undefined][] = [
      ["start_time='-5m'", NOW - 5n * MINUTE, undefined],
      ["start_time='-1h30m', end_time='-30s'", NOW - 90n * MINUTE, NOW - 30n * SECOND],
      ['start_time=px.now() - px.minutes(5)', NOW - 5n * MINUTE, undefined],
      ['start_time=px.now() - px.DurationNanos(300 * 1000 * 1000 * 1000)', NOW - 5n * MINUTE, undefined],
      ["start_time=px.now() - px.parse_duration('2m'), end_time=px.now()", NOW - 2n * MINUTE, NOW],
      ['start_time=1714564500000000000', 1_714_564_500_000_000_000n, undefined],
      ['start_time=-60000000000', NOW - MINUTE, undefined],
      ["start_time='2024-05-01T11:00:00Z', end_time='2024-05-01T13:00:00+01:00'", NOW - 60n * MINUTE, NOW],
      ['start_time=None', undefined, undefined],
    ];
    for (const [args, start, end] of cases) {
      const plan = await compileRaw(`import px\npx.display(px.DataFrame(table='http_events', ${args}))\n`);
      const src = node(plan, 0, 'source');
      assert.deepEqual([src.startTime, src.endTime], [start, end], args);
    }
  });
});

describe('column assignment', () => {
  it('appends a new column in a map that keeps every other column', async () => {
    const plan = await compileRaw(`${HTTP}df.lat_ms = df.latency / 1000000\npx.display(df)\n`);
    const map = node(plan, 1, 'map');
    assert.equal(map.input, 0);
    assert.equal(map.exprs.length, 12);
    assert.deepEqual(map.exprs[8], { name: 'resp_status', expr: col(8, 'resp_status', 'int64', 'http_resp_status') });
    assert.deepEqual(map.exprs[11], {
      name: 'lat_ms',
      expr: { kind: 'call', fn: 'divide', args: [col(10, 'latency', 'int64', 'duration_ns'), { kind: 'literal', type: 'int64', value: 1000000n }], type: 'float64', at: { line: 3, column: 24 } },
    });
    assert.deepEqual(map.relation[11], { name: 'lat_ms', type: 'float64' });
    assert.deepEqual(map.at, { line: 3, column: 1 });
  });

  it("replaces an existing column in place, with df['x'] = ... as well", async () => {
    const plan = await compileRaw(`${HTTP}df['latency'] = df.latency * 1.5\npx.display(df)\n`);
    const map = node(plan, 1, 'map');
    assert.equal(map.exprs.length, 11);
    assert.deepEqual(map.relation[10], { name: 'latency', type: 'float64' });
  });

  it('assigns constants, semantic wrappers and px.now()', async () => {
    assert.deepEqual(await mapped("df.k = 'v'", 'k'), { kind: 'literal', type: 'string', value: 'v' });
    assert.deepEqual(await mapped('df.k = 1', 'k'), { kind: 'literal', type: 'int64', value: 1n });
    assert.deepEqual(await mapped('df.k = px.now()', 'k'), { kind: 'literal', type: 'time64ns', value: NOW });
    const wrapped = await mapped('df.k = px.Bytes(df.remote_port)', 'k');
    assert.deepEqual(wrapped, col(3, 'remote_port', 'int64', 'bytes'));
    const pct = await mapped('df.k = px.Percent(df.latency / 2)', 'k');
    assert.equal(pct.semantic, 'percent');
  });

  it('rebinds the variable: later reads see the new column, older values are unchanged', async () => {
    const plan = await compileRaw(`${HTTP}old = df\ndf.x = 1\npx.display(old, 'old')\npx.display(df, 'new')\n`);
    assert.equal(node(plan, 2, 'sink').input, 0);
    assert.equal(node(plan, 3, 'sink').input, 1);
  });
});

describe('filters and projections', () => {
  it('df[cond] adds a filter with the predicate over input positions', async () => {
    const plan = await compileRaw(`${HTTP}df = df[df.resp_status >= 400]\npx.display(df)\n`);
    const f = node(plan, 1, 'filter');
    assert.deepEqual(f.predicate, {
      kind: 'call',
      fn: 'greaterThanEqual',
      args: [col(8, 'resp_status', 'int64', 'http_resp_status'), { kind: 'literal', type: 'int64', value: 400n }],
      type: 'boolean',
      at: { line: 3, column: 24 },
    });
    assert.deepEqual(f.relation, node(plan, 0, 'source').relation);
  });

  it('maps and/or/not and &/|/~ to logicalAnd, logicalOr, logicalNot and invert', async () => {
    const plan = await compileRaw(`${HTTP}df = df[(df.latency > 10 and not df.trace_role == 1) or (df.req_method == 'GET') & ~(df.resp_status == 200) | False]\npx.display(df)\n`);
    const p = node(plan, 1, 'filter').predicate;
    const shape = (e: Expr): unknown => (e.kind === 'call' ? [e.fn, ...e.args.map(shape)] : e.kind === 'column' ? e.name : e.value);
    assert.deepEqual(shape(p), [
      'logicalOr',
      ['logicalAnd', ['greaterThan', 'latency', 10n], ['logicalNot', ['equal', 'trace_role', 1n]]],
      ['logicalOr', ['logicalAnd', ['equal', 'req_method', 'GET'], ['invert', ['equal', 'resp_status', 200n]]], false],
    ]);
  });

  it('folds and/or with compile-time flags the way Pixie scripts use them', async () => {
    const plan = await compileRaw(`${HTTP}skip = True\ndf = df[(df.req_path != '/health' or not skip) and (df.latency > 0 or skip)]\npx.display(df)\n`);
    const p = node(plan, 1, 'filter').predicate;
    assert.equal(p.kind === 'call' && p.fn, 'notEqual');
    const none = await compileRaw(`${HTTP}df = df[df.latency > 0 or True]\npx.display(df)\n`);
    assert.deepEqual(
      none.nodes.map((n) => n.op),
      ['source', 'sink'],
    );
  });

  it("df[['a', 'b']] projects, df['a'] reads a column, drop() removes, head() limits", async () => {
    const plan = await compileRaw(`${HTTP}p = df[['latency', 'req_path']]\np.l2 = df['latency'] * 2\nd = p.drop('l2')\nd2 = df.drop(['upid', 'req_body'])\npx.display(d.head(3), 'a')\npx.display(d2.head(), 'b')\n`);
    const proj = node(plan, 1, 'map');
    assert.deepEqual(proj.exprs, [
      { name: 'latency', expr: col(10, 'latency', 'int64', 'duration_ns') },
      { name: 'req_path', expr: col(6, 'req_path', 'string') },
    ]);
    const add = node(plan, 2, 'map');
    assert.deepEqual(names(add), ['latency', 'req_path', 'l2']);
    const l2 = add.exprs[2]?.expr;
    assert.deepEqual(l2?.kind === 'call' && l2.args[0], col(0, 'latency', 'int64', 'duration_ns'));
    assert.deepEqual(names(node(plan, 3, 'map')), ['latency', 'req_path']);
    assert.equal(names(node(plan, 4, 'map')).length, 9);
    assert.equal(node(plan, 5, 'limit').n, 3);
    assert.equal(node(plan, 7, 'limit').n, 5);
  });
});

describe('groupby and agg', () => {
  it('outputs group columns then one column per aggregate, typed by the UDA signatures', async () => {
    const plan = await compileRaw(
      `${HTTP}df.failure = df.resp_status >= 400\nagg = df.groupby(['req_path', 'req_method']).agg(\n    n=('latency', px.count),\n    lat=('latency', px.quantiles),\n    mean_lat=('latency', px.mean),\n    max_lat=('latency', px.max),\n    errors=('failure', px.sum),\n    any_upid=('upid', px.any),\n)\npx.display(agg)\n`,
    );
    const a = node(plan, 2, 'agg');
    assert.equal(a.mode, 'full');
    assert.deepEqual(a.groups, [6, 5]);
    assert.deepEqual(a.aggs, [
      { name: 'n', fn: 'count', arg: 10, argType: 'int64', type: 'int64' },
      { name: 'lat', fn: 'quantiles', arg: 10, argType: 'int64', type: 'string', semantic: 'quantiles' },
      { name: 'mean_lat', fn: 'mean', arg: 10, argType: 'int64', type: 'float64', semantic: 'duration_ns' },
      { name: 'max_lat', fn: 'max', arg: 10, argType: 'int64', type: 'int64', semantic: 'duration_ns' },
      { name: 'errors', fn: 'sum', arg: 11, argType: 'boolean', type: 'int64' },
      { name: 'any_upid', fn: 'any', arg: 1, argType: 'uint128', type: 'uint128', semantic: 'upid' },
    ]);
    assert.deepEqual(names(a), ['req_path', 'req_method', 'n', 'lat', 'mean_lat', 'max_lat', 'errors', 'any_upid']);
    assert.deepEqual(a.at, { line: 4, column: 7 });
  });

  it('aggregates without groupby, and groupby().agg() with no aggregates lists distinct groups', async () => {
    const plan = await compileRaw(`${HTTP}px.display(df.agg(total=('latency', px.sum)), 'a')\npx.display(df.groupby('req_path').agg(), 'b')\n`);
    const whole = node(plan, 1, 'agg');
    assert.deepEqual([whole.groups, names(whole)], [[], ['total']]);
    const distinct = node(plan, 3, 'agg');
    assert.deepEqual([distinct.groups, distinct.aggs, names(distinct)], [[6], [], ['req_path']]);
  });
});

describe('merge and append', () => {
  it('joins on key columns; clashing names get the suffixes', async () => {
    const plan = await compileRaw(
      "import px\nh = px.DataFrame(table='http_events', select=['upid', 'latency'])\nc = px.DataFrame(table='conn_stats', select=['upid', 'bytes_sent'])\nj = h.merge(c, how='left', left_on='upid', right_on=['upid'], suffixes=['', '_c'])\npx.display(j)\n",
    );
    const j = node(plan, 2, 'join');
    assert.deepEqual([j.left, j.right, j.how, j.leftOn, j.rightOn], [0, 1, 'left', [0], [0]]);
    assert.deepEqual(j.output, [
      { side: 'left', index: 0 },
      { side: 'left', index: 1 },
      { side: 'right', index: 0 },
      { side: 'right', index: 1 },
    ]);
    assert.deepEqual(j.relation, [
      { name: 'upid', type: 'uint128', semantic: 'upid' },
      { name: 'latency', type: 'int64', semantic: 'duration_ns' },
      { name: 'upid_c', type: 'uint128', semantic: 'upid' },
      { name: 'bytes_sent', type: 'int64', semantic: 'bytes' },
    ]);
  });

  it('defaults to an inner join with _x/_y suffixes and accepts on=', async () => {
    const plan = await compileRaw("import px\na = px.DataFrame(table='conn_stats', select=['upid', 'trace_role'])\nb = px.DataFrame(table='process_stats', select=['upid', 'num_threads'])\npx.display(a.merge(b, on='upid'))\n");
    const j = node(plan, 2, 'join');
    assert.equal(j.how, 'inner');
    assert.deepEqual(names(j), ['upid_x', 'trace_role', 'upid_y', 'num_threads']);
    for (const how of ['inner', 'left', 'right', 'outer']) {
      const p = await compileRaw(`import px\na = px.DataFrame(table='conn_stats', select=['upid'])\npx.display(a.merge(a, how='${how}', left_on='upid', right_on='upid'))\n`);
      assert.equal(node(p, 1, 'join').how, how);
    }
  });

  it('append() unions DataFrames with the same columns, reordering columns when needed', async () => {
    const plan = await compileRaw(
      "import px\na = px.DataFrame(table='http_events', select=['req_path', 'latency'])\nb = px.DataFrame(table='http_events', select=['latency', 'req_path'])\npx.display(a.append(b).append([a, a]))\n",
    );
    const reorder = node(plan, 2, 'map');
    assert.deepEqual(names(reorder), ['req_path', 'latency']);
    assert.deepEqual(node(plan, 3, 'union').inputs, [0, 2]);
    assert.deepEqual(node(plan, 4, 'union').inputs, [3, 0, 0]);
    const err = await compileError("import px\na = px.DataFrame(table='http_events', select=['req_path'])\nb = px.DataFrame(table='http_events', select=['latency'])\npx.display(a.append(b))\n");
    assert.equal(err.code, 'type');
    assert.match(err.message, /append\(\) needs DataFrames with the same columns and types; this one has \(req_path:string\) and the appended one has \(latency:int64\[duration_ns\]\)/);
  });
});

describe('df.ctx', () => {
  it('reads metadata through the upid column', async () => {
    const pod = await mapped("df.pod = df.ctx['pod']", 'pod');
    assert.deepEqual(pod, { kind: 'call', fn: 'upid_to_pod_name', args: [col(1, 'upid', 'uint128', 'upid')], type: 'string', semantic: 'pod_name', at: { line: 3, column: 10 } });
    const expected: Record<string, [string, string, string | undefined]> = {
      service: ['upid_to_service_name', 'string', 'service_name'],
      namespace: ['upid_to_namespace', 'string', 'namespace_name'],
      node: ['upid_to_node_name', 'string', 'node_name'],
      container: ['upid_to_container_name', 'string', 'container_name'],
      pid: ['upid_to_pid', 'int64', undefined],
      cmdline: ['upid_to_cmdline', 'string', undefined],
      pod_id: ['upid_to_pod_id', 'string', undefined],
      container_id: ['upid_to_container_id', 'string', undefined],
      hostname: ['upid_to_hostname', 'string', undefined],
    };
    for (const [key, [fn, type, semantic]] of Object.entries(expected)) {
      const e = await mapped(`df.v = df.ctx['${key}']`, 'v');
      assert.deepEqual([e.kind === 'call' && e.fn, e.type, e.semantic], [fn, type, semantic], key);
    }
  });
});

describe('expressions', () => {
  it('types arithmetic, string concatenation and time arithmetic through the signatures', async () => {
    const types: [string, string][] = [
      ['df.latency + 1', 'int64'],
      ['df.latency * 1.5', 'float64'],
      ['df.latency / 2', 'float64'],
      ['df.latency % 7', 'int64'],
      ['df.latency // 1000', 'int64'],
      ['-df.latency', 'int64'],
      ["df.req_method + ' ' + df.req_path", 'string'],
      ['df.time_ - px.minutes(1)', 'time64ns'],
      ['df.time_ + 5', 'time64ns'],
      ['px.now() - df.time_', 'int64'],
      ['df.latency > 1.5', 'boolean'],
      ["df.upid == '1:2'", 'boolean'],
      ['px.select(df.latency > 10, 1, 2.5)', 'float64'],
    ];
    for (const [expr, type] of types) assert.equal((await mapped(`df.v = ${expr}`, 'v')).type, type, expr);
  });

  it('folds constant expressions, including module-level constants', async () => {
    const cases: [string, unknown][] = [
      ['1000 * 1000 * 10', 10_000_000n],
      ['7 // 2', 3n],
      ['-7 // 2', -4n],
      ['10 / 4', 2.5],
      ["'a' + 'b'", 'ab'],
      ['3 > 2 and 1 == 1', true],
      ['not 0', true],
      ['px.seconds(2)', 2_000_000_000n],
      ['px.milliseconds(1.5)', 1_500_000n],
      ['px.hours(1) + px.microseconds(1)', 3_600_000_001_000n],
      ["px.parse_duration('-30s')", -30_000_000_000n],
      ['px.now() - px.minutes(5)', NOW - 5n * MINUTE],
      ["px.parse_time('2024-05-01T12:00:00.5Z')", NOW + 500_000_000n],
      ['px.select(True, 1, 2)', 1n],
      ['2 ** 10', 1024],
      ["'x' if 1 > 2 else 'y'", 'y'],
      ["'b' in ['a', 'b']", true],
      ['int("42") + int(1.9)', 43n],
      ['float(3)', 3],
      ['str(7)', '7'],
    ];
    for (const [expr, value] of cases) {
      const e = await mapped(`k = ${expr}\ndf.v = k`, 'v');
      assert.equal(e.kind, 'literal', expr);
      assert.equal(e.kind === 'literal' && e.value, value, expr);
    }
  });

  it('calls every scalar function as px.<name>, with the pluck aliases', async () => {
    const cases: [string, string, string][] = [
      ["px.contains(df.req_path, 'api')", 'contains', 'boolean'],
      ['px.bin(df.time_, px.seconds(10))', 'bin', 'time64ns'],
      ["px.pluck_float(df.req_body, 'a')", 'pluck_float64', 'float64'],
      ["px.pluck_int(df.req_body, 'a')", 'pluck_int64', 'int64'],
      ["px.pluck_float64(df.req_body, 'a')", 'pluck_float64', 'float64'],
      ['px.ip_to_pod_id(df.remote_addr)', 'ip_to_pod_id', 'string'],
      ['px.upid_to_pid(df.upid)', 'upid_to_pid', 'int64'],
      ['px.floor(df.latency / 3)', 'floor', 'int64'],
      ['px.atoi(df.req_body)', 'atoi', 'int64'],
      ["px.substring(df.req_path, 0, 4)", 'substring', 'string'],
      ["px.regex_match('.*x', df.req_path)", 'regex_match', 'boolean'],
      ['px.parse_duration(df.req_body)', 'parse_duration', 'int64'],
    ];
    for (const [expr, fn, type] of cases) {
      const e = await mapped(`df.v = ${expr}`, 'v');
      assert.deepEqual([e.kind === 'call' && e.fn, e.type], [fn, type], expr);
    }
  });

  it('px.script_reference flattens its argument dict into name/value strings', async () => {
    const e = await mapped("df.link = px.script_reference(df.req_path, 'px/http_data', {'path': df.req_path, 'start_time': '-5m', 'port': df.remote_port})", 'link');
    assert.ok(e.kind === 'call');
    assert.equal(e.fn, 'script_reference');
    assert.equal(e.semantic, 'script_reference');
    const shape = e.args.map((a) => (a.kind === 'literal' ? a.value : a.kind === 'column' ? `$${a.name}` : `${a.fn}($${a.args[0]?.kind === 'column' ? a.args[0].name : ''})`));
    assert.deepEqual(shape, ['$req_path', 'px/http_data', 'path', '$req_path', 'start_time', '-5m', 'port', 'int64_to_string($remote_port)']);
  });
});

describe('sinks and exports', () => {
  it('px.display adds sinks in call order; the default name is output', async () => {
    const q = await compile(`${HTTP}px.display(df[['latency']], 'lat')\npx.display(df)\npx.display(df.head(1), name='one')\n`);
    assert.deepEqual(q.sinks, ['lat', 'output', 'one']);
    assert.deepEqual(
      q.plan.nodes.filter((n) => n.op === 'sink').map((n) => n.op === 'sink' && n.name),
      ['lat', 'output', 'one'],
    );
  });

  it('px.export plans an otel_export node with the px.otel.Data call captured as data', async () => {
    const plan = await compileRaw(
      `${HTTP}df.service = df.ctx['service']\npx.export(df, px.otel.Data(\n    endpoint=px.otel.Endpoint(url='collector:4317', headers={'k': 'v'}, insecure=True),\n    resource={'service.name': df.service},\n    data=[\n        px.otel.metric.Gauge(name='http.latency', value=df.latency, attributes={'path': df.req_path}),\n        px.otel.metric.Summary(name='s', count=df.remote_port, sum=df.latency, quantile_values={0.5: df.latency}),\n        px.otel.trace.Span(name=df.req_path, start_time=df.time_, end_time=df.time_, kind=px.otel.trace.SPAN_KIND_SERVER),\n    ],\n))\n`,
    );
    const ex = last(plan, 'otel_export');
    assert.equal(ex.input, 1);
    const spec = ex.spec as { fn: string; args: Record<string, unknown> };
    assert.equal(spec.fn, 'px.otel.Data');
    assert.deepEqual(spec.args.resource, { kind: 'dict', entries: [{ key: 'service.name', value: { kind: 'expr', expr: col(11, 'service', 'string', 'service_name') } }] });
    assert.deepEqual(spec.args.endpoint, {
      kind: 'call',
      fn: 'px.otel.Endpoint',
      args: { url: { kind: 'value', value: 'collector:4317' }, headers: { kind: 'dict', entries: [{ key: 'k', value: { kind: 'value', value: 'v' } }] }, insecure: { kind: 'value', value: true } },
    });
    const data = spec.args.data as { items: { fn: string; args: Record<string, unknown> }[] };
    assert.deepEqual(
      data.items.map((i) => i.fn),
      ['px.otel.metric.Gauge', 'px.otel.metric.Summary', 'px.otel.trace.Span'],
    );
    assert.deepEqual(data.items[0]?.args.value, { kind: 'expr', expr: col(10, 'latency', 'int64', 'duration_ns') });
    assert.deepEqual(data.items[2]?.args.kind, { kind: 'value', value: 2n });
    const q = await compile(`${HTTP}px.export(df, px.otel.Data(resource={}, data=[]))\n`);
    assert.deepEqual(q.sinks, []);
  });

  it('px.plugin.start_time and end_time come from the plugin window', async () => {
    const plugin = { startTime: NOW - 10n * SECOND, endTime: NOW };
    const plan = await compileRaw("import px\npx.display(px.DataFrame(table='http_events', start_time=px.plugin.start_time, end_time=px.plugin.end_time))\n", { plugin });
    const src = node(plan, 0, 'source');
    assert.deepEqual([src.startTime, src.endTime], [plugin.startTime, plugin.endTime]);
  });
});

describe('user functions', () => {
  it('runs defs with positional and keyword arguments, defaults, locals, module constants and nested calls', async () => {
    const plan = await compileRaw(`import px
threshold = 400
def load(table, cols=['req_path', 'resp_status', 'latency']):
    return px.DataFrame(table=table, select=cols)

def errors(df, min_status=threshold):
    bad = df[df.resp_status >= min_status]
    return bad

def summary(status: int = 500):
    df = errors(load('http_events'), min_status=status)
    return df.groupby('req_path').agg(n=('latency', px.count))

px.display(summary(), 'five')
px.display(summary(status=404), 'four')
px.display(errors(load(cols=['resp_status', 'latency'], table='http_events')), 'default')
`);
    const filters = plan.nodes.filter((n) => n.op === 'filter');
    const bounds = filters.map((f) => f.op === 'filter' && f.predicate.kind === 'call' && f.predicate.args[1]?.kind === 'literal' && f.predicate.args[1].value);
    assert.deepEqual(bounds, [500n, 404n, 400n]);
    assert.deepEqual(names(node(plan, plan.nodes.length - 1, 'sink')), ['resp_status', 'latency']);
  });

  it('runs if/elif/else on compile-time conditions', async () => {
    const src = (flag: string): string => `import px\nmode = '${flag}'\ndf = px.DataFrame(table='http_events')\nif mode == 'errors':\n    df = df[df.resp_status >= 400]\nelif mode == 'slow':\n    df = df[df.latency > 1000]\nelse:\n    pass\npx.display(df)\n`;
    assert.deepEqual(
      (await compileRaw(src('errors'))).nodes.map((n) => n.op),
      ['source', 'filter', 'sink'],
    );
    const slow = await compileRaw(src('slow'));
    assert.equal(node(slow, 1, 'filter').predicate.kind === 'call' && (node(slow, 1, 'filter').predicate as { fn: string }).fn, 'greaterThan');
    assert.deepEqual(
      (await compileRaw(src('all'))).nodes.map((n) => n.op),
      ['source', 'sink'],
    );
  });

  it('unpacks tuples returned from functions and supports augmented assignment', async () => {
    const plan = await compileRaw(`import px
def two():
    df = px.DataFrame(table='http_events', select=['latency'])
    return df, df.head(1)
a, b = two()
n = 1
n += 2
a.latency += n
px.display(a, 'a')
px.display(b, 'b')
`);
    const map = node(plan, 2, 'map');
    assert.deepEqual(map.exprs[0]?.expr, { kind: 'call', fn: 'add', args: [col(0, 'latency', 'int64', 'duration_ns'), { kind: 'literal', type: 'int64', value: 3n }], type: 'int64', at: { line: 8, column: 11 } });
  });
});
