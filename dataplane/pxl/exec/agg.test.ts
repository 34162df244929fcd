import test from 'node:test';
import assert from 'node:assert/strict';
import type { CellValue, TableSchema } from '../../table-store/types.js';
import type { Plan } from '../plan.js';
import { executePlan } from './executor.js';
import { collectResults, type ResultTable } from './results.js';
import { HTTP_EVENTS, MemoryTableSource, PlanBuilder } from './test-support.js';
import { InProcessBridges } from './bridge.js';
import { ExecError } from './errors.js';

const T: TableSchema = {
  name: 't',
  timeColumn: 'time_',
  columns: [
    { name: 'time_', type: 'time64ns' },
    { name: 'k', type: 'string' },
    { name: 'n', type: 'int64' },
    { name: 'x', type: 'float64' },
    { name: 'b', type: 'boolean' },
    { name: 'u', type: 'uint128' },
  ],
};

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function rows(count: number, seed = 1): CellValue[][] {
  const r = rng(seed);
  const out: CellValue[][] = [];
  for (let i = 0; i < count; i++) {
    out.push([BigInt(i) * 1_000_000_000n, `k${Math.floor(r() * 7)}`, BigInt(Math.floor(r() * 2000) - 300), Math.round(r() * 1e6) / 100, r() < 0.3, `${Math.floor(r() * 3)}:0`]);
  }
  return out;
}

const run = async (plan: Plan, source: MemoryTableSource): Promise<ResultTable[]> => collectResults(executePlan(plan, { source }));

const sortRows = (rs: CellValue[][]) => [...rs].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));

const ALL_AGGS: [string, string, string][] = [
  ['count', 'count', 'n'],
  ['sum_n', 'sum', 'n'],
  ['sum_x', 'sum', 'x'],
  ['sum_b', 'sum', 'b'],
  ['mean_n', 'mean', 'n'],
  ['mean_x', 'mean', 'x'],
  ['mean_b', 'mean', 'b'],
  ['min_n', 'min', 'n'],
  ['max_n', 'max', 'n'],
  ['min_x', 'min', 'x'],
  ['max_x', 'max', 'x'],
  ['min_t', 'min', 'time_'],
  ['max_t', 'max', 'time_'],
  ['min_k', 'min', 'k'],
  ['any_u', 'any', 'u'],
  ['any_k', 'any', 'k'],
  ['q_n', 'quantiles', 'n'],
  ['q_x', 'quantiles', 'x'],
];

/** The same aggregates computed row by row, exactly. */
function reference(data: CellValue[][], keyCol: number) {
  const groups = new Map<string, CellValue[][]>();
  for (const r of data) {
    const key = String(r[keyCol]);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  return groups;
}

test('full aggregation: every aggregate, grouped by a string column, matches a row-by-row reference', async () => {
  const data = rows(5000);
  const src = new MemoryTableSource().add(T, data, 300);
  const p = new PlanBuilder();
  const s = p.source(T);
  p.sink(p.agg(s, ['k'], ALL_AGGS), 'out');
  const [t] = await run(p.plan(), src);
  const ref = reference(data, 1);
  assert.equal(t!.rows.length, ref.size);
  for (const row of t!.rows) {
    const g = ref.get(row[0] as string)!;
    const n = g.map((r) => r[2] as bigint);
    const x = g.map((r) => r[3] as number);
    const sumN = n.reduce((a, b) => a + b, 0n);
    const sumX = x.reduce((a, b) => a + b, 0);
    const trues = g.filter((r) => r[4]).length;
    const got = Object.fromEntries(t!.relation.map((c, j) => [c.name, row[j]]));
    assert.equal(got['count'], BigInt(g.length));
    assert.equal(got['sum_n'], sumN);
    assert.ok(Math.abs((got['sum_x'] as number) - sumX) < 1e-6);
    assert.equal(got['sum_b'], BigInt(trues));
    assert.ok(Math.abs((got['mean_n'] as number) - Number(sumN) / g.length) < 1e-9);
    assert.ok(Math.abs((got['mean_x'] as number) - sumX / g.length) < 1e-9);
    assert.ok(Math.abs((got['mean_b'] as number) - trues / g.length) < 1e-12);
    assert.equal(got['min_n'], n.reduce((a, b) => (b < a ? b : a)));
    assert.equal(got['max_n'], n.reduce((a, b) => (b > a ? b : a)));
    assert.equal(got['min_x'], Math.min(...x));
    assert.equal(got['max_x'], Math.max(...x));
    assert.equal(got['min_t'], g[0]![0]);
    assert.equal(got['max_t'], g.at(-1)![0]);
    assert.equal(got['min_k'], row[0]);
    assert.equal(got['any_u'], g[0]![5]);
    assert.equal(got['any_k'], row[0]);
    const sorted = [...n].sort((a, b) => (a < b ? -1 : 1)).map(Number);
    const q = JSON.parse(got['q_n'] as string) as Record<string, number>;
    assert.deepEqual(Object.keys(q), ['p01', 'p10', 'p25', 'p50', 'p75', 'p90', 'p99']);
    const p50 = sorted[Math.ceil(0.5 * sorted.length) - 1]!;
    assert.ok(Math.abs(q['p50']! - p50) <= 0.03 * Math.abs(p50), `p50 ${q['p50']} vs ${p50}`);
  }
});

test('sums of int64 wrap like BigInt.asIntN(64)', async () => {
  const big = 2n ** 62n;
  const src = new MemoryTableSource().add(T, [
    [0n, 'a', big, 0, false, ''],
    [0n, 'a', big, 0, false, ''],
  ]);
  const p = new PlanBuilder();
  p.sink(p.agg(p.source(T), [], [['s', 'sum', 'n']]), 'out');
  const [t] = await run(p.plan(), src);
  assert.deepEqual(t!.rows, [[BigInt.asIntN(64, 2n * big)]]);
});

test('grouping by several columns of every kind (string, int64, float64, boolean, time, uint128)', async () => {
  const data = rows(3000, 3);
  const src = new MemoryTableSource().add(T, data, 256);
  const p = new PlanBuilder();
  const s = p.source(T);
  p.sink(p.agg(s, ['k', 'b', 'u'], [['c', 'count', 'n']]), 'three');
  const s2 = p.source(T);
  p.sink(p.agg(s2, ['n', 'x'], [['c', 'count', 'n']]), 'numeric');
  const [three, numeric] = await run(p.plan(), src);
  const ref = new Map<string, bigint>();
  for (const r of data) ref.set(`${r[1]}|${r[4]}|${r[5]}`, (ref.get(`${r[1]}|${r[4]}|${r[5]}`) ?? 0n) + 1n);
  assert.deepEqual(sortRows(three!.rows.map((r) => [`${r[0]}|${r[1]}|${r[2]}`, r[3]!])), sortRows([...ref]));
  const ref2 = new Map<string, bigint>();
  for (const r of data) ref2.set(`${r[2]}|${r[3]}`, (ref2.get(`${r[2]}|${r[3]}`) ?? 0n) + 1n);
  assert.equal(numeric!.rows.length, ref2.size);
  for (const r of numeric!.rows) assert.equal(r[2], ref2.get(`${r[0]}|${r[1]}`));
});

test('time bins and large int64 keys group exactly', async () => {
  const data: CellValue[][] = [];
  const base = 1_700_000_000_000_000_000n;
  for (let i = 0; i < 1000; i++) data.push([base + BigInt(i) * 7_000_000_000n, 'a', base + BigInt(i % 3), 0, false, '']);
  const src = new MemoryTableSource().add(T, data, 100);
  const p = new PlanBuilder();
  const s = p.source(T);
  p.sink(p.agg(s, ['time_'], [['c', 'count', 'n']]), 'bins');
  p.sink(p.agg(s, ['n'], [['c', 'count', 'n']]), 'big');
  const [bins, big] = await run(p.plan(), src);
  assert.equal(bins!.rows.length, 1000);
  assert.deepEqual(sortRows(big!.rows), sortRows([
    [base, 334n],
    [base + 1n, 333n],
    [base + 2n, 333n],
  ]));
});

test('dictionaries that repeat a value, or differ per batch, still form one group per value', async () => {
  const schema: TableSchema = { name: 'd', timeColumn: 'time_', columns: [{ name: 'time_', type: 'time64ns' }, { name: 'k', type: 'string' }] };
  const src = new MemoryTableSource().addBatches(schema, [
    { length: 3, columns: [{ type: 'time64ns', values: new BigInt64Array(3) }, { type: 'string', codes: Uint32Array.of(0, 1, 2), dict: ['a', 'a', 'b'] }] },
    { length: 2, columns: [{ type: 'time64ns', values: new BigInt64Array(2) }, { type: 'string', codes: Uint32Array.of(0, 1), dict: ['b', 'c'] }] },
  ]);
  const p = new PlanBuilder();
  const s = p.source(schema);
  p.sink(p.agg(s, ['k'], [['c', 'count', 'k']]), 'out');
  const [t] = await run(p.plan(), src);
  assert.deepEqual(sortRows(t!.rows), [
    ['a', 2n],
    ['b', 2n],
    ['c', 1n],
  ]);
});

test('an aggregate without groups over no rows gives one row of zeros; with groups, no rows', async () => {
  const src = new MemoryTableSource().add(T, []);
  const p = new PlanBuilder();
  const s = p.source(T);
  p.sink(p.agg(s, [], [['c', 'count', 'n'], ['s', 'sum', 'x'], ['m', 'mean', 'n'], ['q', 'quantiles', 'n'], ['k', 'min', 'k']]), 'ungrouped');
  p.sink(p.agg(s, ['k'], [['c', 'count', 'n']]), 'grouped');
  const tables = await run(p.plan(), src);
  const byName = Object.fromEntries(tables.map((t) => [t.name, t.rows]));
  assert.deepEqual(byName['ungrouped'], [[0n, 0, 0, '{"p01":0,"p10":0,"p25":0,"p50":0,"p75":0,"p90":0,"p99":0}', '']]);
  assert.deepEqual(byName['grouped'], []);
});

test('groupby without aggregates lists the distinct keys', async () => {
  const src = new MemoryTableSource().add(T, rows(500));
  const p = new PlanBuilder();
  p.sink(p.agg(p.source(T), ['k'], []), 'out');
  const [t] = await run(p.plan(), src);
  assert.deepEqual(t!.rows.map((r) => r[0]).sort(), ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
});

test('partial aggregates over N parts then one final equal one full aggregate', async () => {
  const data = rows(20_000, 9);
  const parts = 4;
  const full = await (async () => {
    const p = new PlanBuilder();
    p.sink(p.agg(p.source(T), ['k', 'b'], ALL_AGGS), 'out');
    return (await run(p.plan(), new MemoryTableSource().add(T, data, 1000)))[0]!;
  })();
  // Each part: scan → partial agg → bridge 1; Kelvin: bridge 1 → final agg → display.
  const bridges = new InProcessBridges({ producers: parts, highWaterMark: 2 });
  const pemPlan = new PlanBuilder();
  const partial = pemPlan.agg(pemPlan.source(T), ['k', 'b'], ALL_AGGS, 'partial');
  pemPlan.bridgeSink(partial, 1);
  const pems = Array.from({ length: parts }, (_, i) => {
    const source = new MemoryTableSource().add(
      T,
      data.filter((_, r) => r % parts === i),
      700,
    );
    return collectResults(executePlan(pemPlan.plan(), { source, bridges }));
  });
  const k = new PlanBuilder();
  k.sink(k.finalAgg(k.bridgeSource(1, partial.relation), pemPlan.node(partial)), 'out');
  const [kelvin] = await Promise.all([collectResults(executePlan(k.plan(), { source: new MemoryTableSource(), bridges })), ...pems]);
  const merged = kelvin[0]!;
  assert.equal(merged.rows.length, full.rows.length);
  const byKey = new Map(full.rows.map((r) => [`${r[0]}|${r[1]}`, r]));
  for (const row of merged.rows) {
    const want = byKey.get(`${row[0]}|${row[1]}`)!;
    full.relation.forEach((c, j) => {
      const a = row[j]!;
      const b = want[j]!;
      if (c.name.startsWith('q_')) {
        const qa = JSON.parse(a as string) as Record<string, number>;
        const qb = JSON.parse(b as string) as Record<string, number>;
        for (const key of Object.keys(qb)) assert.ok(Math.abs(qa[key]! - qb[key]!) <= 0.03 * Math.abs(qb[key]!), `${c.name}.${key}`);
      } else if (typeof b === 'number') {
        assert.ok(Math.abs((a as number) - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${c.name}: ${a} vs ${b}`);
      } else if (!c.name.startsWith('any_')) {
        assert.equal(a, b, c.name);
      }
    });
  }
});

test('the partial state columns are strings, and compact', async () => {
  const data = rows(2000);
  const src = new MemoryTableSource().add(T, data);
  const p = new PlanBuilder();
  const part = p.agg(p.source(T), ['k'], [['c', 'count', 'n'], ['m', 'mean', 'x'], ['q', 'quantiles', 'n']], 'partial');
  p.sink(part, 'out');
  const [t] = await run(p.plan(), src);
  assert.deepEqual(
    t!.relation.map((c) => c.type),
    ['string', 'string', 'string', 'string'],
  );
  for (const r of t!.rows) {
    assert.match(r[1] as string, /^\d+$/);
    assert.match(r[2] as string, /^[-\d.e+]+ \d+$/);
    assert.ok((r[3] as string).length < 1500);
  }
});

test('the http_events-shaped query: group by path and status with count, mean and quantiles', async () => {
  const data: CellValue[][] = [];
  for (let i = 0; i < 4000; i++) data.push([BigInt(i), '1:1', `/p${i % 10}`, BigInt(200 + 100 * (i % 3)), BigInt(1000 + i), 1]);
  const src = new MemoryTableSource().add(HTTP_EVENTS, data, 512);
  const p = new PlanBuilder();
  const s = p.source(HTTP_EVENTS);
  p.sink(p.agg(s, ['req_path', 'resp_status'], [['count', 'count', 'latency'], ['mean', 'mean', 'latency'], ['q', 'quantiles', 'latency']]), 'out');
  const [t] = await run(p.plan(), src);
  assert.equal(t!.rows.length, 30);
  assert.equal(t!.rows.reduce((s, r) => s + (r[2] as bigint), 0n), 4000n);
});

test('a malformed partial state fails the final aggregate with its position', async () => {
  const states: TableSchema = { name: 's', timeColumn: 'time_', columns: [{ name: 'time_', type: 'time64ns' }, { name: 'k', type: 'string' }, { name: 'c', type: 'string' }] };
  const src = new MemoryTableSource().add(states, [[0n, 'a', 'not a number']]);
  const p = new PlanBuilder();
  const s = p.source(states, ['k', 'c']);
  p.nodes.push({
    op: 'agg',
    id: p.nodes.length,
    input: s.id,
    groups: [0],
    aggs: [{ name: 'c', fn: 'sum', arg: 1, argType: 'string', type: 'int64' }],
    mode: 'final',
    relation: [
      { name: 'k', type: 'string' },
      { name: 'c', type: 'int64' },
    ],
    at: { line: 12, column: 3 },
  });
  p.sink({ id: p.nodes.length - 1, relation: [] }, 'out');
  await assert.rejects(run(p.plan(), src), (e: unknown) => e instanceof ExecError && e.at?.line === 12 && e.code === 'internal');
});
