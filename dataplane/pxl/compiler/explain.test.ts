import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explain, showExpr } from './explain.js';
import { compile, compileRaw } from './test-fixtures.js';

describe('explain', () => {
  it('prints one line per operator and its relation', async () => {
    const plan = (
      await compile(`import px
df = px.DataFrame(table='http_events', start_time='-5m', end_time='-1m')
df.service = df.ctx['service']
df = df[df.resp_status >= 500 and not px.contains(df.req_path, '/health')]
per = df.groupby('service').agg(n=('latency', px.count), worst=('latency', px.max))
ids = px.DataFrame(table='process_stats', select=['upid'])
ids.service = ids.ctx['service']
j = per.merge(ids, on='service')
px.display(j.head(10), 'errors')
`)
    ).plan;
    assert.equal(
      explain(plan),
      [
        '#0 source http_events columns=[1,6,8,10] start=now-5m end=now-1m',
        '    -> upid:uint128[upid], req_path:string, resp_status:int64[http_resp_status], latency:int64[duration_ns]',
        '#1 map(#0) service = upid_to_service_name(upid); pass req_path, resp_status, latency',
        '    -> req_path:string, resp_status:int64[http_resp_status], latency:int64[duration_ns], service:string[service_name]',
        '#2 filter(#1) ((resp_status >= 500) and not contains(req_path, "/health"))',
        '    -> req_path:string, resp_status:int64[http_resp_status], latency:int64[duration_ns], service:string[service_name]',
        '#3 agg(#2) full by [service] n = count(latency), worst = max(latency)',
        '    -> service:string[service_name], n:int64, worst:int64[duration_ns]',
        '#4 source process_stats columns=[1]',
        '    -> upid:uint128[upid]',
        '#5 map(#4) service = upid_to_service_name(upid); pass upid',
        '    -> upid:uint128[upid], service:string[service_name]',
        '#6 join(#3, #5) inner on [service] = [service]',
        '    -> service_x:string[service_name], n:int64, worst:int64[duration_ns], upid:uint128[upid], service_y:string[service_name]',
        '#7 limit(#6) 10',
        '    -> service_x:string[service_name], n:int64, worst:int64[duration_ns], upid:uint128[upid], service_y:string[service_name]',
        "#8 sink(#7) 'errors'",
        '    -> service_x:string[service_name], n:int64, worst:int64[duration_ns], upid:uint128[upid], service_y:string[service_name]',
      ].join('\n'),
    );
  });

  it('shows semantic-only changes, unions and exports', async () => {
    const plan = await compileRaw(`import px
df = px.DataFrame(table='conn_stats', select=['bytes_sent', 'conn_open'])
df.conn_open = px.Bytes(df.conn_open)
u = df.append(df)
px.export(u, px.otel.Data(resource={}, data=[px.otel.metric.Gauge(name='b', value=u.bytes_sent)]))
`);
    const text = explain(plan);
    assert.match(text, /#1 map\(#0\) conn_open = conn_open; pass bytes_sent/);
    assert.match(text, /#2 union\(#1, #1\)/);
    assert.match(text, /#3 otel_export\(#2\) \{"fn":"px.otel.Data"/);
  });

  it('prints expressions with operators infix and constants as PxL spells them', () => {
    assert.equal(
      showExpr({
        kind: 'call',
        fn: 'select',
        args: [
          { kind: 'literal', type: 'boolean', value: true },
          { kind: 'call', fn: 'negate', args: [{ kind: 'literal', type: 'float64', value: 2 }], type: 'float64' },
          { kind: 'literal', type: 'time64ns', value: 5n },
        ],
        type: 'float64',
      }),
      'select(True, -2.0, time(5))',
    );
  });
});
