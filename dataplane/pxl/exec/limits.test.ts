import test from 'node:test';
import assert from 'node:assert/strict';
import type { CellValue, RowBatch, ScanRequest, TableSchema, TableSource } from '../../table-store/types.js';
import { ExecError } from './errors.js';
import { executePlan } from './executor.js';
import { collectResults } from './results.js';
import { MemoryTableSource, PlanBuilder } from './test-support.js';

const T: TableSchema = {
  name: 't',
  timeColumn: 'time_',
  columns: [
    { name: 'time_', type: 'time64ns' },
    { name: 'id', type: 'int64' },
    { name: 'name', type: 'string' },
  ],
};

/** Endless batches of unique ids (optionally burning CPU per batch), counting what it hands out. */
class Endless implements TableSource {
  batches = 0;
  constructor(
    private readonly busyMs = 0,
    private readonly rows = 1000,
  ) {}
  schema(table: string) {
    return table === 't' ? T : undefined;
  }
  tableNames() {
    return ['t'];
  }
  *scan(_table: string, req: ScanRequest): Iterable<RowBatch> {
    for (let b = 0; ; b++) {
      const until = performance.now() + this.busyMs;
      while (performance.now() < until);
      this.batches++;
      const n = this.rows;
      const ids = new BigInt64Array(n);
      const codes = new Uint32Array(n);
      const dict: string[] = [];
      for (let i = 0; i < n; i++) {
        ids[i] = BigInt(b * n + i);
        codes[i] = i;
        dict.push(`name-${b * n + i}`);
      }
      const cols = [{ type: 'time64ns' as const, values: ids }, { type: 'int64' as const, values: ids }, { type: 'string' as const, codes, dict }];
      yield { length: n, columns: req.columns.map((c) => cols[c]!) };
    }
  }
}

test('a display stops at the result-row limit: truncated, with a warning, not an error', async () => {
  const rows: CellValue[][] = Array.from({ length: 5000 }, (_, i) => [BigInt(i), BigInt(i), 'x']);
  const src = new MemoryTableSource().add(T, rows, 300);
  const p = new PlanBuilder();
  p.sink(p.source(T), 'out');
  const warnings: string[] = [];
  const results = [];
  for await (const r of executePlan(p.plan(), { source: src, limits: { maxResultRows: 1000 }, onWarning: (w) => warnings.push(w) })) results.push(r);
  assert.equal(
    results.reduce((s, r) => s + r.batch.length, 0),
    1000,
  );
  assert.equal(results.at(-1)!.truncated, true);
  assert.ok(results.slice(0, -1).every((r) => !r.truncated));
  assert.deepEqual(warnings, ["'out' was truncated to 1000 rows (the query's result-row limit)"]);
  assert.ok(src.batchesRead.get('t')! <= 4, 'the scan stopped');
  const [t] = await collectResults(executePlan(p.plan(), { source: src, limits: { maxResultRows: 1000 } }));
  assert.equal(t!.truncated, true);
  assert.equal(t!.rows.length, 1000);
});

test('the default result-row limit is 10,000', async () => {
  const rows: CellValue[][] = Array.from({ length: 12_000 }, (_, i) => [BigInt(i), BigInt(i), 'x']);
  const p = new PlanBuilder();
  p.sink(p.source(T), 'out');
  const [t] = await collectResults(executePlan(p.plan(), { source: new MemoryTableSource().add(T, rows, 4096) }));
  assert.equal(t!.rows.length, 10_000);
  assert.ok(t!.truncated);
});

test('aggregate state past the memory limit ends the query with an error naming the operator and the limit', async () => {
  const src = new Endless();
  const p = new PlanBuilder();
  p.sink(p.agg(p.source(T), ['name'], [['c', 'count', 'id']], 'full', { line: 4, column: 7 }), 'out');
  await assert.rejects(collectResults(executePlan(p.plan(), { source: src, limits: { maxMemoryBytes: 8 * 1024 * 1024 } })), (e: unknown) => {
    assert.ok(e instanceof ExecError);
    assert.equal(e.code, 'memory_limit');
    assert.deepEqual(e.at, { line: 4, column: 7 });
    assert.match(e.message, /^line 4, column 7: the aggregate at line 4, column 7 \(\d+ groups from \d+ rows\) holds about [\d.]+ MiB of state, over the query's memory limit of 8\.0 MiB; group by fewer/);
    return true;
  });
  assert.ok(src.batches < 200, `stopped after ${src.batches} batches`);
});

test('a join build past the memory limit is an error naming the merge', async () => {
  const src = new Endless();
  const p = new PlanBuilder();
  const a = p.source(T, ['id', 'name']);
  const b = p.source(T, ['id']);
  p.sink(p.join(a, b, 'inner', [['id', 'id']]), 'out');
  await assert.rejects(collectResults(executePlan(p.plan(), { source: src, limits: { maxMemoryBytes: 4 * 1024 * 1024 } })), (e: unknown) => e instanceof ExecError && e.code === 'memory_limit' && /the merge .*holds about/.test(e.message));
});

test('a query past its time limit ends with a time-limit error', async () => {
  const src = new Endless(2);
  const p = new PlanBuilder();
  p.sink(p.agg(p.source(T), [], [['c', 'count', 'id']]), 'out');
  const t0 = performance.now();
  await assert.rejects(collectResults(executePlan(p.plan(), { source: src, limits: { maxWallTimeMs: 100 } })), (e: unknown) => e instanceof ExecError && e.code === 'time_limit' && /time limit of 0\.1 s/.test(e.message));
  assert.ok(performance.now() - t0 < 1000);
});

test('an AbortSignal cancels a running query', async () => {
  const src = new Endless(1);
  const p = new PlanBuilder();
  p.sink(p.agg(p.source(T), [], [['c', 'count', 'id']]), 'out');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 30);
  await assert.rejects(collectResults(executePlan(p.plan(), { source: src, signal: ac.signal })), (e: unknown) => e instanceof ExecError && e.code === 'aborted');
});

test('a heavy query gives the event loop turns: timers fire and another query makes progress meanwhile', async () => {
  const heavy = new Endless(0, 8192);
  const p = new PlanBuilder();
  p.sink(p.agg(p.source(T), ['id'], [['c', 'count', 'id']]), 'out');
  // At each timer tick, how many heavy batches ran since the previous one: without yielding,
  // every batch would run between two ticks.
  const seen: number[] = [];
  const timer = setInterval(() => seen.push(heavy.batches), 1);
  const light = (async () => {
    const q = new PlanBuilder();
    q.sink(q.source(T), 'out');
    const t = await collectResults(executePlan(q.plan(), { source: new MemoryTableSource().add(T, [[1n, 1n, 'a']]) }));
    return { rows: t[0]!.rows.length, heavyBatchesThen: heavy.batches };
  })();
  const run = collectResults(executePlan(p.plan(), { source: heavy, limits: { maxWallTimeMs: 400, maxMemoryBytes: 1e10 } })).catch((e: unknown) => e);
  const [lightResult, heavyResult] = await Promise.all([light, run]);
  clearInterval(timer);
  assert.ok(heavyResult instanceof ExecError && heavyResult.code === 'time_limit');
  assert.equal(lightResult.rows, 1);
  assert.ok(lightResult.heavyBatchesThen < heavy.batches / 2, `the light query finished after ${lightResult.heavyBatchesThen} of ${heavy.batches} heavy batches`);
  const gaps = seen.slice(1).map((b, i) => b - seen[i]!);
  assert.ok(seen.length >= 5, `only ${seen.length} timer ticks while ${heavy.batches} batches ran`);
  assert.ok(Math.max(...gaps) <= 10, `up to ${Math.max(...gaps)} batches ran between two timer ticks`);
});
