import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Plan, PlanNode } from '../plan.js';
import { explain } from './explain.js';
import { optimize } from './optimize.js';
import { compile, compileRaw, names, node } from './test-fixtures.js';

const sinkRelations = (plan: Plan): unknown[] => plan.nodes.filter((n) => n.op === 'sink' || n.op === 'otel_export').map((n) => [n.op === 'sink' ? n.name : 'export', n.relation]);

/** Every input id is an earlier node, ids are 0..n-1, and every column reference is in range. */
function checkWellFormed(plan: Plan): void {
  plan.nodes.forEach((n, i) => assert.equal(n.id, i, explain(plan)));
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const width = (id: number): number => (byId.get(id) as PlanNode).relation.length;
  for (const n of plan.nodes) {
    if (n.op === 'map') {
      const walk = (e: import('../plan.js').Expr): void => {
        if (e.kind === 'column') assert.ok(e.index < width(n.input), explain(plan));
        if (e.kind === 'call') e.args.forEach(walk);
      };
      n.exprs.forEach((x) => walk(x.expr));
      assert.equal(n.exprs.length, n.relation.length);
    }
    if (n.op === 'agg') {
      for (const g of n.groups) assert.ok(g < width(n.input));
      for (const a of n.aggs) assert.ok(a.arg < width(n.input));
      assert.equal(n.relation.length, n.groups.length + n.aggs.length);
    }
    if (n.op === 'join') {
      for (const o of n.output) assert.ok(o.index < width(o.side === 'left' ? n.left : n.right));
      assert.equal(n.output.length, n.relation.length);
    }
    if (n.op === 'source') assert.equal(n.columns.length, n.relation.length);
    if (n.op === 'filter' || n.op === 'limit') assert.deepEqual(n.relation, (byId.get(n.input) as PlanNode).relation);
  }
}

const SCRIPT = `import px
df = px.DataFrame(table='http_events', start_time='-5m')
unused = df.groupby('req_path').agg(n=('latency', px.count))
df.service = df.ctx['service']
df.slow = df.latency > 1000
df = df[df.resp_status >= 400]
per = df.groupby(['service']).agg(n=('latency', px.count), slow=('slow', px.sum), worst=('latency', px.max))
c = px.DataFrame(table='conn_stats')
c.service = c.ctx['service']
c = c.groupby('service').agg(sent=('bytes_sent', px.sum), recv=('bytes_recv', px.sum))
j = per.merge(c, how='left', on='service')
px.display(j[['service_x', 'n', 'sent']], 'joined')
px.display(df.head(3)[['req_path']], 'paths')
`;

describe('plan optimizer', () => {
  it('keeps sink relations, drops unused operators and scans only needed columns', async () => {
    const raw = await compileRaw(SCRIPT);
    const opt = optimize(raw);
    checkWellFormed(opt);
    assert.deepEqual(sinkRelations(opt), sinkRelations(raw));
    assert.ok(opt.nodes.length < raw.nodes.length);
    assert.equal(opt.nodes.filter((n) => n.op === 'agg' && names(n).includes('req_path')).length, 0, 'the unused groupby is gone');
    const http = opt.nodes.find((n) => n.op === 'source' && n.table === 'http_events');
    assert.ok(http?.op === 'source');
    assert.deepEqual(names(http), ['upid', 'req_path', 'resp_status', 'latency']);
    const conn = opt.nodes.find((n) => n.op === 'source' && n.table === 'conn_stats');
    assert.ok(conn?.op === 'source');
    assert.deepEqual(names(conn), ['upid', 'bytes_sent']);
    const aggs = opt.nodes.filter((n): n is Extract<PlanNode, { op: 'agg' }> => n.op === 'agg');
    assert.deepEqual(
      aggs.map((a) => a.aggs.map((x) => x.name)),
      [['n'], ['sent']],
    );
  });

  it('removes maps that pass every column through and keeps ids dense', async () => {
    const plan = (await compile("import px\ndf = px.DataFrame(table='http_events', select=['req_path', 'latency'])\ndf.x = 1\ndf = df.drop('x')\npx.display(df)\n")).plan;
    assert.deepEqual(
      plan.nodes.map((n) => n.op),
      ['source', 'sink'],
    );
    checkWellFormed(plan);
  });

  it('keeps one aggregate when nothing downstream reads any, and every column through unions', async () => {
    const plan = (await compile(`import px
df = px.DataFrame(table='http_events')
total = df.agg(n=('latency', px.count), m=('latency', px.max))
total.one = 1
px.display(total[['one']], 'rows')
u = df.append(df)
px.display(u[['latency']], 'u')
`)).plan;
    checkWellFormed(plan);
    const agg = plan.nodes.find((n) => n.op === 'agg');
    assert.ok(agg?.op === 'agg');
    assert.deepEqual(agg.aggs.map((a) => a.name), ['n']);
    const union = plan.nodes.find((n) => n.op === 'union');
    assert.ok(union);
    assert.equal(union.relation.length, 11);
  });

  it('leaves exports and their spec positions intact', async () => {
    const src = "import px\ndf = px.DataFrame(table='http_events')\ndf.s = df.ctx['service']\npx.export(df, px.otel.Data(resource={'service.name': df.s}, data=[px.otel.metric.Gauge(name='l', value=df.latency)]))\n";
    const raw = await compileRaw(src);
    const opt = optimize(raw);
    checkWellFormed(opt);
    const a = raw.nodes.find((n) => n.op === 'otel_export');
    const b = opt.nodes.find((n) => n.op === 'otel_export');
    assert.deepEqual(a?.op === 'otel_export' && a.spec, b?.op === 'otel_export' && b.spec);
    assert.deepEqual(a?.relation, b?.relation);
  });

  it('remaps join keys and outputs after pruning both sides', async () => {
    const plan = (await compile(SCRIPT)).plan;
    const join = plan.nodes.find((n) => n.op === 'join');
    assert.ok(join?.op === 'join');
    assert.deepEqual(names(join), ['service_x', 'n', 'sent']);
    const left = node(plan, join.left, 'agg');
    const right = node(plan, join.right, 'agg');
    assert.equal(left.relation[join.leftOn[0] as number]?.name, 'service');
    assert.equal(right.relation[join.rightOn[0] as number]?.name, 'service');
  });
});
