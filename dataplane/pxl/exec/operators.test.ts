import test from 'node:test';
import assert from 'node:assert/strict';
import type { CellValue } from '../../table-store/types.js';
import { ExecError } from './errors.js';
import { executePlan, type ExecuteOptions } from './executor.js';
import { collectResults, type ResultTable } from './results.js';
import { call, col, HTTP_EVENTS, lit, MemoryTableSource, PlanBuilder } from './test-support.js';
import type { Plan } from '../plan.js';

/** time_, upid, req_path, resp_status, latency, resp_body_size. */
function httpRows(n: number): CellValue[][] {
  const rows: CellValue[][] = [];
  for (let i = 0; i < n; i++) rows.push([BigInt(i) * 1000n, `${100 + (i % 2)}:1`, ['/a', '/b', '/c'][i % 3]!, BigInt([200, 404, 500][i % 3]! + (i % 5 === 0 ? 1 : 0)), BigInt(i * 10), i / 2]);
  return rows;
}

const run = async (plan: Plan, source: MemoryTableSource, opts: Partial<ExecuteOptions> = {}): Promise<ResultTable[]> =>
  collectResults(executePlan(plan, { source, ...opts }));

test('source scans the requested columns within the time range, in order', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(100), 16);
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS, ['latency', 'req_path'], { startTime: 10_000n, endTime: 14_000n });
  p.sink(s, 'out');
  const [t] = await run(p.plan(), src);
  assert.deepEqual(t!.rows, [
    [100n, '/b'],
    [110n, '/c'],
    [120n, '/a'],
    [130n, '/b'],
    [140n, '/c'],
  ]);
  assert.deepEqual(
    t!.relation.map((c) => c.name),
    ['latency', 'req_path'],
  );
});

test('map computes columns; filter keeps matching rows across batches', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(1000), 64);
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS);
  const f = p.filter(s, call('logicalAnd', call('equal', col(s, 'req_path'), lit('/b')), call('greaterThanEqual', col(s, 'latency'), lit(9000n))));
  const m = p.map(f, [
    ['path', col(f, 'req_path')],
    ['ms', call('divide', col(f, 'latency'), lit(1000n))],
    ['slow', call('greaterThan', col(f, 'latency'), lit(9950n))],
    ['tag', lit('x')],
  ]);
  p.sink(m, 'out');
  const [t] = await run(p.plan(), src);
  const want = httpRows(1000)
    .filter((r) => r[2] === '/b' && (r[4] as bigint) >= 9000n)
    .map((r) => ['/b', Number(r[4]) / 1000, (r[4] as bigint) > 9950n, 'x']);
  assert.deepEqual(t!.rows, want);
});

test('a constant filter passes or drops whole batches', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(10));
  for (const [value, rows] of [
    [true, 10],
    [false, 0],
  ] as const) {
    const p = new PlanBuilder();
    const s = p.source(HTTP_EVENTS, ['latency']);
    p.sink(p.filter(s, lit(value)), 'out');
    const [t] = await run(p.plan(), src);
    assert.equal(t!.rows.length, rows);
  }
});

test('head(n) returns the first n rows and stops the scan early', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(100_000), 100);
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS, ['latency']);
  p.sink(p.limit(s, 250), 'out');
  const [t] = await run(p.plan(), src);
  assert.equal(t!.rows.length, 250);
  assert.deepEqual(t!.rows.at(-1), [2490n]);
  assert.equal(src.batchesRead.get('http_events'), 3);
});

test('a display that got no rows reports an empty table', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(10));
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS, ['req_path']);
  p.sink(p.filter(s, lit(false)), 'empty');
  const tables = await run(p.plan(), src);
  assert.deepEqual(
    tables.map((t) => [t.name, t.rows.length]),
    [['empty', 0]],
  );
});

test('append (union) passes every input; one node can feed several displays', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(30));
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS, ['req_path', 'latency']);
  const a = p.filter(s, call('equal', col(s, 'req_path'), lit('/a')));
  const b = p.filter(s, call('equal', col(s, 'req_path'), lit('/b')));
  p.sink(p.union([a, b]), 'both');
  p.sink(a, 'only_a');
  const tables = await run(p.plan(), src);
  const byName = Object.fromEntries(tables.map((t) => [t.name, t]));
  assert.equal(byName['both']!.rows.length, 20);
  assert.equal(byName['only_a']!.rows.length, 10);
  assert.ok(byName['both']!.rows.every((r) => r[0] === '/a' || r[0] === '/b'));
});

test('nodes nobody reads do not run', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(1000), 10);
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS, ['latency']);
  p.map(s, [['x', call('parse_duration', lit('bad'))]]);
  const tables = await run(p.plan(), src);
  assert.deepEqual(tables, []);
  assert.equal(src.batchesRead.get('http_events'), undefined);
});

test('a function error carries the script position of the call', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(10));
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS, ['req_path']);
  const bad = { ...call('parse_duration', col(s, 'req_path')), at: { line: 7, column: 12 } };
  p.sink(p.map(s, [['d', bad]]), 'out');
  await assert.rejects(run(p.plan(), src), (e: unknown) => {
    assert.ok(e instanceof ExecError);
    assert.equal(e.code, 'bad_argument');
    assert.deepEqual(e.at, { line: 7, column: 12 });
    assert.match(e.message, /^line 7, column 12: '\/a' is not a duration/);
    return true;
  });
});

test('an error without a call position carries the node position', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(10));
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS, ['req_path']);
  p.sink(p.map(s, [['r', call('regex_match', lit('(a*)*'), col(s, 'req_path'))]], { line: 3, column: 1 }), 'out');
  await assert.rejects(run(p.plan(), src), (e: unknown) => e instanceof ExecError && e.code === 'rejected_pattern' && e.at?.line === 3);
});

test('px.export is planned but not executed without an exporter; with one it gets the rows', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(10));
  const build = () => {
    const p = new PlanBuilder();
    const s = p.source(HTTP_EVENTS, ['req_path', 'latency']);
    p.otelExport(s, { line: 9, column: 1 });
    return p.plan();
  };
  await assert.rejects(run(build(), src), (e: unknown) => e instanceof ExecError && e.code === 'not_executed' && /px\.export is planned but not executed yet/.test(e.message) && e.at?.line === 9);
  let rows = 0;
  let ended = false;
  await run(build(), src, {
    exporter: {
      export: (_spec, relation, batch) => {
        assert.equal(relation.length, 2);
        rows += batch.length;
      },
      end: () => {
        ended = true;
      },
    },
  });
  assert.equal(rows, 10);
  assert.ok(ended);
});

test('an unknown table is a clear error', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(1));
  const p = new PlanBuilder();
  p.sink(p.source({ ...HTTP_EVENTS, name: 'nope' }), 'out');
  await assert.rejects(run(p.plan(), src), /table 'nope' does not exist here; tables: http_events/);
});

test('breaking out of the results stops the query', async () => {
  const src = new MemoryTableSource().add(HTTP_EVENTS, httpRows(100_000), 100);
  const p = new PlanBuilder();
  p.sink(p.source(HTTP_EVENTS, ['latency']), 'out');
  for await (const r of executePlan(p.plan(), { source: src, limits: { maxResultRows: 1e9 } })) {
    assert.equal(r.sink, 'out');
    break;
  }
  assert.ok(src.batchesRead.get('http_events')! <= 2);
});
