import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { DICT_ENTRY_OVERHEAD_BYTES } from './column-builder.js';
import { TableStoreError } from './errors.js';
import { seededRandom } from './random.js';
import { cellAt, readRows } from './rows.js';
import { Table, type TableOptions } from './table.js';
import type { CellValue, RowBatch, ScanRequest, TableSchema } from './types.js';

const SCHEMA: TableSchema = {
  name: 'requests',
  timeColumn: 'time_',
  columns: [
    { name: 'time_', type: 'time64ns' },
    { name: 'upid', type: 'uint128' },
    { name: 'path', type: 'string' },
    { name: 'seq', type: 'int64' },
    { name: 'latency_ms', type: 'float64' },
    { name: 'ok', type: 'boolean' },
  ],
};
const ALL = [0, 1, 2, 3, 4, 5];
/** Bytes per row of the schema's typed arrays: 8 + 4 + 4 + 8 + 8 + 1. */
const ROW_WIDTH = 33;
const BATCH_OVERHEAD = 128 + 160 * 6;
const T0 = 1_700_000_000_000_000_000n;

function makeTable(options: Partial<TableOptions> = {}): Table {
  return new Table(SCHEMA, { budgetBytes: 10_000_000, clock: () => T0, ...options });
}

function row(seq: number, time: bigint = T0 + BigInt(seq)): CellValue[] {
  return [time, `${100 + (seq % 2)}:7`, `/p${seq % 3}`, seq, seq / 2, seq % 2 === 0];
}

function scanRows(table: Table, request: Partial<ScanRequest> = {}): CellValue[][] {
  return readRows(table.scan({ columns: ALL, ...request }));
}

function seqs(table: Table): number[] {
  return readRows(table.scan({ columns: [3] })).map((r) => Number(r[0]));
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Every cell of a batch, to compare a batch with itself later. */
function contents(batch: RowBatch): { length: number; cells: CellValue[][]; dictLengths: number[] } {
  return {
    length: batch.length,
    cells: batch.columns.map((v) => Array.from({ length: batch.length }, (_, r) => cellAt(v, r))),
    dictLengths: batch.columns.map((v) => ('dict' in v ? v.dict.length : -1)),
  };
}

/** The accounted bytes of sealed batches, recomputed from their columns and dictionaries. */
function accountedBytes(table: Table): number {
  let bytes = 0;
  for (const batch of table.scan({ columns: ALL })) {
    bytes += batch.length * ROW_WIDTH + BATCH_OVERHEAD;
    for (const vector of batch.columns) {
      if ('dict' in vector) for (const text of vector.dict) bytes += Buffer.byteLength(text) + DICT_ENTRY_OVERHEAD_BYTES;
    }
  }
  return bytes;
}

describe('Table budget', () => {
  it('never holds more than its budget under many random appends, and keeps the newest rows', () => {
    const rnd = seededRandom(42);
    const budget = 60_000;
    const table = makeTable({ budgetBytes: budget, batchRows: 64 });
    const stored: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const r = rnd();
      // Mostly short paths, some long ones, a few too large for the whole budget.
      const length = r < 0.002 ? 70_000 : r < 0.05 ? Math.floor(rnd() * 5000) : Math.floor(rnd() * 40);
      const path = 'x'.repeat(length) + String(Math.floor(rnd() * 50));
      if (table.appendRow([T0 + BigInt(i), `${i % 20}:1`, path, i, rnd(), rnd() < 0.5])) stored.push(i);
      assert.ok(table.bytes <= budget, `after row ${i}: ${table.bytes} bytes > budget ${budget}`);
      if (i % 997 === 0) table.seal();
    }
    const stats = table.stats();
    assert.ok(stats.rowsDropped > 0, 'rows larger than the budget are dropped');
    assert.equal(stats.rowsAppended + stats.rowsDropped, 20_000);
    assert.equal(stats.rowsAppended, stored.length);
    assert.ok(stats.rowsEvicted.bytes > 0);
    assert.equal(stats.rows + stats.rowsEvicted.bytes, stats.rowsAppended);
    assert.ok(stats.bytes > budget / 2, `the table uses its budget (${stats.bytes} bytes)`);
    const kept = seqs(table);
    assert.equal(kept.length, stats.rows);
    assert.deepEqual(kept, stored.slice(stored.length - kept.length), 'what remains is the newest rows, in order');
    table.seal();
    assert.equal(table.bytes, accountedBytes(table), 'the byte count follows appends and evictions exactly');
  });

  it('accounts sealed batches as typed-array bytes plus dictionary UTF-8 bytes plus a per-batch overhead', () => {
    const rnd = seededRandom(3);
    const table = makeTable({ batchRows: 100 });
    for (let i = 0; i < 1234; i++) table.appendRow([T0 + BigInt(i), `${i % 7}:1`, `/é/${Math.floor(rnd() * 300)}`, i, 1.5, true]);
    table.seal();
    assert.equal(table.bytes, accountedBytes(table));
    assert.equal(table.stats().batches, 13);
  });

  it('evicts the oldest sealed batches first and counts rows and batches evicted for bytes', () => {
    const probe = makeTable({ batchRows: 10 });
    for (let i = 0; i < 10; i++) probe.appendRow(row(i));
    probe.seal();
    const batchBytes = probe.bytes;

    const table = makeTable({ batchRows: 10, budgetBytes: 4 * batchBytes + 100 });
    for (let i = 0; i < 100; i++) table.appendRow(row(i));
    let stats = table.stats();
    assert.deepEqual(
      [stats.batches, stats.rows, stats.hotRows, stats.bytes, stats.rowsAppended, stats.batchesAppended],
      [4, 40, 0, 4 * batchBytes, 100, 10],
    );
    assert.deepEqual(stats.rowsEvicted, { bytes: 60, age: 0 });
    assert.deepEqual(stats.batchesEvicted, { bytes: 6, age: 0 });
    assert.deepEqual(seqs(table), range(60, 100));

    // One more row opens a hot batch; the oldest sealed batch makes room for it.
    table.appendRow(row(100));
    stats = table.stats();
    assert.deepEqual([stats.batches, stats.rows, stats.hotRows], [3, 31, 1]);
    assert.deepEqual(stats.rowsEvicted, { bytes: 70, age: 0 });
    assert.deepEqual(stats.batchesEvicted, { bytes: 7, age: 0 });
    assert.deepEqual(seqs(table), range(70, 101));
  });

  it('evicts down to a smaller budget at once', () => {
    const table = makeTable({ batchRows: 10 });
    for (let i = 0; i < 95; i++) table.appendRow(row(i));
    const before = table.bytes;
    table.setBudget(Math.floor(before / 3));
    assert.ok(table.bytes <= before / 3);
    const kept = seqs(table);
    assert.ok(kept.length > 0 && kept.length < 95);
    assert.deepEqual(kept, range(95 - kept.length, 95));
  });

  it('drops a row larger than the whole budget, keeping the rows before it', () => {
    const table = makeTable({ budgetBytes: 20_000 });
    for (let i = 0; i < 5; i++) table.appendRow(row(i));
    const huge = row(5);
    huge[2] = 'y'.repeat(25_000);
    assert.equal(table.appendRow(huge), false);
    assert.ok(table.bytes <= 20_000);
    assert.equal(table.appendRow(row(6)), true);
    assert.deepEqual(seqs(table), [0, 1, 2, 3, 4, 6]);
    const stats = table.stats();
    assert.equal(stats.rowsDropped, 1);
    assert.equal(stats.rowsAppended, 6);
  });

  it('seals early a batch that would take more than a quarter of the budget, so the whole budget stays usable', () => {
    const table = makeTable({ budgetBytes: 40_000 });
    for (let i = 0; i < 40; i++) {
      const r = row(i);
      r[2] = `${i}`.padEnd(1000, '.');
      table.appendRow(r);
    }
    const stats = table.stats();
    assert.ok(stats.batchesAppended >= 4, `${stats.batchesAppended} batches sealed`);
    assert.ok(stats.rows >= 25, `${stats.rows} rows kept`);
    assert.ok(table.bytes <= 40_000);
  });
});

describe('Table age', () => {
  it('evicts batches older than the maximum age, measured on the time column with the injected clock', () => {
    let now = T0;
    const table = makeTable({ batchRows: 5, maxAgeNs: 1000n, clock: () => now });
    for (let i = 0; i < 15; i++) table.appendRow(row(i));
    assert.equal(table.stats().batches, 3);

    now = T0 + 1009n; // cutoff T0 + 9: the first batch (up to T0 + 4) is older, the second ends at it
    let stats = table.stats();
    assert.deepEqual([stats.batches, stats.rows], [2, 10]);
    assert.deepEqual(stats.rowsEvicted, { bytes: 0, age: 5 });
    assert.deepEqual(stats.batchesEvicted, { bytes: 0, age: 1 });
    assert.deepEqual(seqs(table), range(5, 15));

    now = T0 + 1010n;
    assert.deepEqual(seqs(table), range(10, 15), 'a scan sees only unexpired batches');

    table.appendRow(row(20));
    table.appendRow(row(21));
    now = T0 + 1022n; // every sealed batch has expired, and so have the hot batch's rows
    stats = table.stats();
    assert.deepEqual([stats.rows, stats.bytes, stats.batches, stats.hotRows], [0, 0, 0, 0]);
    assert.deepEqual(stats.rowsEvicted, { bytes: 0, age: 17 });
    assert.deepEqual(stats.batchesEvicted, { bytes: 0, age: 4 });
  });

  it('defaults to 24 hours', () => {
    let now = T0;
    const table = makeTable({ batchRows: 1, clock: () => now });
    table.appendRow(row(0));
    now = T0 + 24n * 3600n * 1_000_000_000n;
    assert.equal(table.evictExpired(), 0);
    now += 1n;
    assert.equal(table.evictExpired(), 1);
  });
});

describe('Table scan', () => {
  function sequential(): Table {
    const table = makeTable({ batchRows: 4 });
    for (let i = 0; i < 22; i++) table.appendRow(row(i)); // 5 sealed batches, rows 20 and 21 hot
    return table;
  }

  it('returns only rows within inclusive time bounds, skipping batches outside them', () => {
    const table = sequential();
    const batches = [...table.scan({ columns: [3], startTime: T0 + 5n, endTime: T0 + 13n })];
    assert.equal(batches.length, 3, 'batches 0-3, 16-19 and the hot one are skipped');
    assert.deepEqual(readRows(batches).map((r) => r[0]), range(5, 14).map(BigInt));
    assert.deepEqual(readRows(table.scan({ columns: [3], startTime: T0 + 8n, endTime: T0 + 8n })), [[8n]]);
    assert.deepEqual(readRows(table.scan({ columns: [3], startTime: T0 + 21n })), [[21n]], 'the hot batch is scanned');
    assert.deepEqual(readRows(table.scan({ columns: [3], endTime: T0 + 1n })), [[0n], [1n]]);
    assert.deepEqual(readRows(table.scan({ columns: [3], startTime: T0 + 9n, endTime: T0 + 8n })), []);
    assert.equal(scanRows(table).length, 22);
  });

  it('projects the requested columns in the requested order', () => {
    const table = sequential();
    const [first] = table.scan({ columns: [5, 2, 0, 2], endTime: T0 + 1n });
    assert.ok(first);
    assert.deepEqual(
      first.columns.map((c) => c.type),
      ['boolean', 'string', 'time64ns', 'string'],
    );
    assert.deepEqual(readRows([first]), [
      [true, '/p0', T0, '/p0'],
      [false, '/p1', T0 + 1n, '/p1'],
    ]);
  });

  it('filters rows that arrived out of time order', () => {
    const table = makeTable();
    const times = [100n, 5n, 6n, 200n, 7n];
    times.forEach((t, i) => table.appendRow(row(i, T0 + t)));
    table.seal();
    table.appendRow(row(5, T0 + 6n));
    assert.deepEqual(
      scanRows(table, { startTime: T0, endTime: T0 + 50n }).map((r) => [r[0], r[2], r[3]]),
      [
        [T0 + 5n, '/p1', 1n],
        [T0 + 6n, '/p2', 2n],
        [T0 + 7n, '/p1', 4n],
        [T0 + 6n, '/p2', 5n],
      ],
    );
    assert.deepEqual(readRows(table.scan({ columns: [3], startTime: T0 + 150n })), [[3n]]);
  });

  it('returns a snapshot of the hot batch that later appends do not change', () => {
    const table = makeTable({ batchRows: 8 });
    for (let i = 0; i < 3; i++) table.appendRow(row(i));
    const scan = table.scan({ columns: ALL });
    const iterator = scan[Symbol.iterator]();
    const first = iterator.next();
    assert.equal(first.done, false);
    const snapshot = first.value as RowBatch;
    const before = contents(snapshot);
    assert.equal(before.length, 3);
    for (let i = 3; i < 20; i++) {
      const r = row(i);
      r[2] = `/new/${i}`;
      table.appendRow(r);
    }
    assert.deepEqual(contents(snapshot), before);
    assert.equal(iterator.next().done, true, 'the scan ends with the rows present when it started');
    assert.deepEqual(readRows(scan).map((r) => r[3]), [0n, 1n, 2n], 'iterating the scan again reads the same rows');
    assert.equal(scanRows(table).length, 20);
  });

  it('stays correct when appends evict batches between iterator steps', () => {
    const probe = makeTable({ batchRows: 5 });
    for (let i = 0; i < 5; i++) probe.appendRow(row(i));
    probe.seal();
    const table = makeTable({ batchRows: 5, budgetBytes: 4 * probe.bytes });
    for (let i = 0; i < 15; i++) table.appendRow(row(i));
    const iterator = table.scan({ columns: ALL })[Symbol.iterator]();
    const first = iterator.next().value as RowBatch;
    const before = contents(first);
    for (let i = 15; i < 100; i++) table.appendRow(row(i));
    assert.ok(table.stats().rowsEvicted.bytes >= 15, 'the scanned batches have been evicted');
    assert.deepEqual(contents(first), before);
    const rest: RowBatch[] = [];
    for (let step = iterator.next(); !step.done; step = iterator.next()) rest.push(step.value);
    assert.deepEqual(
      readRows([first, ...rest]).map((r) => r[3]),
      range(0, 15).map(BigInt),
    );
  });

  it('rejects column positions outside the schema', () => {
    const table = sequential();
    assert.throws(
      () => table.scan({ columns: [0, 6] }),
      (e: unknown) => e instanceof TableStoreError && e.code === 'BAD_SCAN' && /position 6/.test(e.message),
    );
  });
});

describe('Table appends', () => {
  it('appends rows given by column name, converting numbers for int64 and time64ns columns', () => {
    const table = makeTable();
    // 1.7e18 is above 2^53 but exactly representable: it converts through BigInt, 42 without.
    table.appendObject({ time_: 1.7e18, upid: '1:2', path: '/x', seq: 42, latency_ms: 0.25, ok: false, extra: 'ignored' });
    table.appendObject({ time_: T0 + 1n, upid: '1:2', path: '/y', seq: -(2 ** 40) - 3, latency_ms: 1, ok: true });
    assert.deepEqual(scanRows(table), [
      [T0, '1:2', '/x', 42n, 0.25, false],
      [T0 + 1n, '1:2', '/y', -(2n ** 40n) - 3n, 1, true],
    ]);
  });

  it('rejects a value of the wrong type with the table, column and expected type, storing nothing of the row', () => {
    const table = makeTable({ batchRows: 4 });
    table.appendRow(row(0));
    const bad = { time_: T0 + 1n, upid: 'bad-upid', path: '/bad-path', seq: '80', latency_ms: 1, ok: true };
    assert.throws(
      () => table.appendObject(bad),
      (e: unknown) =>
        e instanceof TableStoreError &&
        e.code === 'BAD_ROW' &&
        e.table === 'requests' &&
        e.column === 'seq' &&
        e.message.includes('table requests, column seq: expected int64') &&
        e.message.includes('got string "80"') &&
        e.message.includes('not stored'),
    );
    table.appendRow(row(2));
    table.seal();
    assert.deepEqual(seqs(table), [0, 2]);
    const [batch] = table.scan({ columns: [1, 2] });
    assert.ok(batch);
    for (const vector of batch.columns) {
      assert.ok('dict' in vector);
      assert.ok(!vector.dict.includes('bad-upid') && !vector.dict.includes('/bad-path'), 'no dictionary entry of the bad row');
    }
    assert.equal(table.stats().rowsAppended, 2);
  });

  it('names a missing column, a non-integer for int64, an out-of-range bigint and a wrong row length', () => {
    const table = makeTable();
    const fails = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: unknown) => e instanceof TableStoreError && e.code === 'BAD_ROW' && pattern.test(e.message));
    fails(() => table.appendObject({ time_: T0, upid: '1:1', seq: 1, latency_ms: 1, ok: true }), /column path: expected string, got nothing/);
    fails(() => table.appendRow([T0, '1:1', '/', 1.5, 1, true]), /column seq: expected int64.*got number 1\.5/);
    fails(() => table.appendRow([T0, '1:1', '/', 2n ** 63n, 1, true]), /column seq: .*got bigint 9223372036854775808/);
    fails(() => table.appendRow([T0, 7, '/', 1, 1, true]), /column upid: expected uint128/);
    fails(() => table.appendRow([T0, '1:1', '/', 1, 1, 1]), /column ok: expected boolean/);
    fails(() => table.appendRow([T0, '1:1', '/', 1]), /4 values but the schema has 6 columns/);
    assert.equal(table.rows, 0);
    assert.equal(table.bytes, 0);
  });

  it('rejects schemas without a time64ns time column or with a repeated column', () => {
    const bad = (schema: TableSchema, pattern: RegExp) =>
      assert.throws(
        () => new Table(schema, { budgetBytes: 1000 }),
        (e: unknown) => e instanceof TableStoreError && e.code === 'BAD_SCHEMA' && pattern.test(e.message),
      );
    bad({ name: 'a', timeColumn: 'ts', columns: [{ name: 'time_', type: 'time64ns' }] }, /column ts: the time column is not in the schema/);
    bad({ name: 'b', timeColumn: 'time_', columns: [{ name: 'time_', type: 'int64' }] }, /must be time64ns/);
    bad({ name: 'c', timeColumn: 'time_', columns: [{ name: 'time_', type: 'time64ns' }, { name: 'time_', type: 'time64ns' }] }, /appears twice/);
  });
});
