import test from 'node:test';
import assert from 'node:assert/strict';
import type { CellValue, TableSchema } from '../../table-store/types.js';
import type { JoinType } from '../plan.js';
import { executePlan } from './executor.js';
import { collectResults } from './results.js';
import { call, col, lit, MemoryTableSource, PlanBuilder } from './test-support.js';

const PODS: TableSchema = {
  name: 'pods',
  timeColumn: 'time_',
  columns: [
    { name: 'time_', type: 'time64ns' },
    { name: 'pod', type: 'string' },
    { name: 'ns', type: 'string' },
    { name: 'cpu', type: 'float64' },
  ],
};
const REQS: TableSchema = {
  name: 'reqs',
  timeColumn: 'time_',
  columns: [
    { name: 'time_', type: 'time64ns' },
    { name: 'pod', type: 'string' },
    { name: 'ns', type: 'string' },
    { name: 'latency', type: 'int64' },
    { name: 'ok', type: 'boolean' },
  ],
};

const pods: CellValue[][] = [
  [1n, 'a', 'x', 0.5],
  [2n, 'b', 'x', 1.5],
  [3n, 'c', 'y', 2.5],
  [4n, 'a', 'y', 9.5], // same pod name, other namespace
];
const reqs: CellValue[][] = [
  [10n, 'a', 'x', 100n, true],
  [11n, 'a', 'x', 110n, false],
  [12n, 'b', 'x', 200n, true],
  [13n, 'd', 'x', 400n, true],
  [14n, 'a', 'y', 500n, true],
];

async function join(how: JoinType, on: [string, string][], batch = 2): Promise<CellValue[][]> {
  const src = new MemoryTableSource().add(PODS, pods, batch).add(REQS, reqs, batch);
  const p = new PlanBuilder();
  const l = p.source(PODS, ['pod', 'ns', 'cpu']);
  const r = p.source(REQS, ['pod', 'ns', 'latency', 'ok']);
  p.sink(p.join(l, r, how, on), 'out');
  const [t] = await collectResults(executePlan(p.plan(), { source: src }));
  return t!.rows.map((row) => row.map((c) => c)).sort((a, b) => (JSON.stringify(a, big) < JSON.stringify(b, big) ? -1 : 1));
}

const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

test('inner join on two keys keeps matching pairs only', async () => {
  assert.deepEqual(await join('inner', [['pod', 'pod'], ['ns', 'ns']]), [
    ['a', 'x', 0.5, 'a', 'x', 100n, true],
    ['a', 'x', 0.5, 'a', 'x', 110n, false],
    ['a', 'y', 9.5, 'a', 'y', 500n, true],
    ['b', 'x', 1.5, 'b', 'x', 200n, true],
  ]);
});

test('left join keeps unmatched left rows with zero values on the right (no nulls)', async () => {
  assert.deepEqual(await join('left', [['pod', 'pod'], ['ns', 'ns']]), [
    ['a', 'x', 0.5, 'a', 'x', 100n, true],
    ['a', 'x', 0.5, 'a', 'x', 110n, false],
    ['a', 'y', 9.5, 'a', 'y', 500n, true],
    ['b', 'x', 1.5, 'b', 'x', 200n, true],
    ['c', 'y', 2.5, '', '', 0n, false],
  ]);
});

test('right join keeps unmatched right rows with zero values on the left', async () => {
  assert.deepEqual(await join('right', [['pod', 'pod'], ['ns', 'ns']]), [
    ['', '', 0, 'd', 'x', 400n, true],
    ['a', 'x', 0.5, 'a', 'x', 100n, true],
    ['a', 'x', 0.5, 'a', 'x', 110n, false],
    ['a', 'y', 9.5, 'a', 'y', 500n, true],
    ['b', 'x', 1.5, 'b', 'x', 200n, true],
  ]);
});

test('outer join keeps unmatched rows of both sides', async () => {
  const rows = await join('outer', [['pod', 'pod'], ['ns', 'ns']]);
  assert.equal(rows.length, 6);
  assert.ok(rows.some((r) => r[0] === 'c' && r[3] === ''));
  assert.ok(rows.some((r) => r[0] === '' && r[3] === 'd'));
});

test('one key: every pair of matching rows (many-to-many)', async () => {
  const rows = await join('inner', [['pod', 'pod']], 1);
  // pod a: 2 left rows × 3 right rows; pod b: 1 × 1.
  assert.equal(rows.length, 7);
  assert.equal(rows.filter((r) => r[0] === 'a').length, 6);
});

test('results do not depend on which side finishes first or on batch sizes', async () => {
  for (const how of ['inner', 'left', 'right', 'outer'] as const) {
    const base = await join(how, [['pod', 'pod'], ['ns', 'ns']], 100);
    // Right side scanned first: swap the source order in the plan.
    const src = new MemoryTableSource().add(PODS, pods, 1).add(REQS, reqs, 3);
    const p = new PlanBuilder();
    const r = p.source(REQS, ['pod', 'ns', 'latency', 'ok']);
    const l = p.source(PODS, ['pod', 'ns', 'cpu']);
    p.sink(p.join(l, r, how, [['pod', 'pod'], ['ns', 'ns']]), 'out');
    const [t] = await collectResults(executePlan(p.plan(), { source: src }));
    const rows = t!.rows.sort((a, b) => (JSON.stringify(a, big) < JSON.stringify(b, big) ? -1 : 1));
    assert.deepEqual(rows, base, how);
  }
});

test('a self-join of one scan (both inputs from the same node)', async () => {
  const src = new MemoryTableSource().add(PODS, pods, 1);
  const p = new PlanBuilder();
  const s = p.source(PODS, ['pod', 'cpu']);
  p.sink(p.join(s, s, 'inner', [['pod', 'pod']]), 'out');
  const [t] = await collectResults(executePlan(p.plan(), { source: src }));
  assert.equal(t!.rows.length, 6); // a: 2×2, b: 1, c: 1
});

test('join keys of int64 and time64ns match by value; large outputs come in batches', async () => {
  const schema: TableSchema = { name: 'n', timeColumn: 'time_', columns: [{ name: 'time_', type: 'time64ns' }, { name: 'v', type: 'int64' }] };
  const rows: CellValue[][] = Array.from({ length: 300 }, (_, i) => [BigInt(i % 10), BigInt(i)]);
  const src = new MemoryTableSource().add(schema, rows, 64);
  const p = new PlanBuilder();
  const a = p.source(schema);
  const b = p.source(schema);
  p.sink(p.join(a, b, 'inner', [['time_', 'time_']]), 'out');
  const batches = [];
  for await (const r of executePlan(p.plan(), { source: src, batchSize: 1000, limits: { maxResultRows: 1e6 } })) batches.push(r.batch.length);
  assert.equal(
    batches.reduce((x, y) => x + y, 0),
    10 * 30 * 30,
  );
  assert.ok(Math.max(...batches) <= 1000);
});

test('an inner join with an empty side stops reading the other side', async () => {
  const many: CellValue[][] = Array.from({ length: 10_000 }, (_, i) => [BigInt(i), 'a', 'x', 1n, true]);
  const src = new MemoryTableSource().add(PODS, [], 10).add(REQS, many, 10);
  const p = new PlanBuilder();
  const l = p.source(PODS, ['pod']);
  const r = p.source(REQS, ['pod']);
  const f = p.filter(l, call('equal', col(l, 'pod'), lit('zzz')));
  p.sink(p.join(f, r, 'inner', [['pod', 'pod']]), 'out');
  const [t] = await collectResults(executePlan(p.plan(), { source: src }));
  assert.equal(t!.rows.length, 0);
  assert.equal(src.batchesRead.get('reqs'), undefined);
});
