import test from 'node:test';
import assert from 'node:assert/strict';
import type { CellValue, TableSchema } from '../../table-store/types.js';
import { InProcessBridges } from './bridge.js';
import { ExecError } from './errors.js';
import { executePlan } from './executor.js';
import { collectResults } from './results.js';
import { call, col, lit, MemoryTableSource, PlanBuilder } from './test-support.js';

const T: TableSchema = {
  name: 't',
  timeColumn: 'time_',
  columns: [
    { name: 'time_', type: 'time64ns' },
    { name: 'path', type: 'string' },
    { name: 'latency', type: 'int64' },
  ],
};

const rowsFor = (node: number, n: number): CellValue[][] => Array.from({ length: n }, (_, i) => [BigInt(i), `/p${(i + node) % 5}`, BigInt(1000 * node + i)]);

test('three PEMs (filter + partial agg) and a Kelvin (final agg) answer like one process holding all the data', async () => {
  const all = [0, 1, 2].flatMap((node) => rowsFor(node, 3000));
  const build = (p: PlanBuilder) => {
    const s = p.source(T);
    return p.filter(s, call('greaterThan', col(s, 'latency'), lit(500n)));
  };
  const single = new PlanBuilder();
  single.sink(single.agg(build(single), ['path'], [['n', 'count', 'latency'], ['max', 'max', 'latency'], ['mean', 'mean', 'latency']]), 'out');
  const [want] = await collectResults(executePlan(single.plan(), { source: new MemoryTableSource().add(T, all, 256) }));

  const bridges = new InProcessBridges({ producers: 3, highWaterMark: 1 });
  const pem = new PlanBuilder();
  const partial = pem.agg(build(pem), ['path'], [['n', 'count', 'latency'], ['max', 'max', 'latency'], ['mean', 'mean', 'latency']], 'partial');
  pem.bridgeSink(partial, 7);
  const kelvin = new PlanBuilder();
  kelvin.sink(kelvin.finalAgg(kelvin.bridgeSource(7, partial.relation), pem.node(partial)), 'out');
  const [[got]] = await Promise.all([
    collectResults(executePlan(kelvin.plan(), { source: new MemoryTableSource(), bridges })),
    ...[0, 1, 2].map((node) => collectResults(executePlan(pem.plan(), { source: new MemoryTableSource().add(T, rowsFor(node, 3000), 256), bridges, batchSize: 2 }))),
  ]);
  const sort = (rows: CellValue[][]) => [...rows].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
  assert.deepEqual(sort(got!.rows), sort(want!.rows));
});

test('raw rows stream through a bridge with backpressure', async () => {
  const bridges = new InProcessBridges({ producers: 1, highWaterMark: 1 });
  const pem = new PlanBuilder();
  const s = pem.source(T);
  pem.bridgeSink(s, 1);
  const kelvin = new PlanBuilder();
  kelvin.sink(kelvin.limit(kelvin.bridgeSource(1, s.relation), 100_000), 'out');
  const [[t]] = await Promise.all([
    collectResults(executePlan(kelvin.plan(), { source: new MemoryTableSource(), bridges, limits: { maxResultRows: 1e6 } })),
    collectResults(executePlan(pem.plan(), { source: new MemoryTableSource().add(T, rowsFor(0, 20_000), 100), bridges })),
  ]);
  assert.equal(t!.rows.length, 20_000);
});

test('a failing producer fails the consumer instead of leaving it waiting', async () => {
  const bridges = new InProcessBridges({ producers: 1 });
  const pem = new PlanBuilder();
  const s = pem.source(T);
  pem.bridgeSink(pem.map(s, [['d', call('parse_duration', col(s, 'path'))]]), 1);
  const kelvin = new PlanBuilder();
  kelvin.sink(kelvin.bridgeSource(1, [{ name: 'd', type: 'int64' }]), 'out');
  const [k, p] = await Promise.allSettled([
    collectResults(executePlan(kelvin.plan(), { source: new MemoryTableSource(), bridges })),
    collectResults(executePlan(pem.plan(), { source: new MemoryTableSource().add(T, rowsFor(0, 10)), bridges })),
  ]);
  assert.equal(p.status, 'rejected');
  assert.ok((p as PromiseRejectedResult).reason instanceof ExecError);
  assert.equal(k.status, 'rejected');
  assert.match(String((k as PromiseRejectedResult).reason), /the producing query failed/);
});

test('a bridge node without a transport is a plan error', async () => {
  const p = new PlanBuilder();
  p.sink(p.bridgeSource(1, [{ name: 'x', type: 'int64' }]), 'out');
  await assert.rejects(collectResults(executePlan(p.plan(), { source: new MemoryTableSource() })), /no bridge transport was given/);
});
