import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TableStoreError } from './errors.js';
import { readRows } from './rows.js';
import { PEM_TABLES } from './schemas.js';
import { DEFAULT_TABLE_WEIGHTS, TableStore } from './table-store.js';
import type { TableSchema } from './types.js';

const T0 = 1_700_000_000_000_000_000n;
const clock = () => T0;

function schema(name: string): TableSchema {
  return {
    name,
    timeColumn: 'time_',
    columns: [
      { name: 'time_', type: 'time64ns' },
      { name: 'text', type: 'string' },
    ],
  };
}

describe('TableStore', () => {
  it('derives the total budget from 60% of the memory limit by default, or takes it directly', () => {
    assert.equal(new TableStore({ memoryLimitBytes: 2 ** 30 }).totalBytes, Math.floor(0.6 * 2 ** 30));
    assert.equal(new TableStore({ memoryLimitBytes: 2 ** 30, memoryShare: 0.5 }).totalBytes, 2 ** 29);
    assert.equal(new TableStore().totalBytes, Math.floor(0.6 * 2 * 2 ** 30));
    assert.equal(new TableStore({ totalBytes: 12345, memoryLimitBytes: 2 ** 30 }).totalBytes, 12345);
    assert.throws(() => new TableStore({ memoryShare: 1.5 }), (e: unknown) => e instanceof TableStoreError && e.code === 'BAD_OPTIONS');
    assert.throws(() => new TableStore({ weights: { http_events: 0 } }), /weight of http_events is 0/);
  });

  it('splits the budget by table weight, http_events getting the biggest share', () => {
    const store = new TableStore({ totalBytes: 1_600_000, clock });
    for (const t of PEM_TABLES) store.createTable(t.schema);
    const budgets = Object.fromEntries(store.stats().map((s) => [s.name, s.budgetBytes]));
    assert.deepEqual(budgets, {
      http_events: 800_000,
      conn_stats: 200_000,
      process_stats: 200_000,
      network_stats: 100_000,
      'stack_traces.beta': 300_000,
    });
    assert.equal(Math.max(...Object.values(budgets)), budgets['http_events']);
    assert.equal(DEFAULT_TABLE_WEIGHTS['http_events'], 8);
  });

  it('takes weights from the options, and a default weight for tables without one', () => {
    const store = new TableStore({ totalBytes: 1000, weights: { a: 3 }, defaultWeight: 2, clock });
    store.createTable(schema('a'));
    store.createTable(schema('b'));
    store.createTable(schema('toString'));
    assert.deepEqual(
      store.stats().map((s) => s.budgetBytes),
      [428, 285, 285],
    );
  });

  it('re-splits the budget when a table is created, evicting the old tables down to their new share', () => {
    const store = new TableStore({ totalBytes: 400_000, weights: { big: 3, small: 1 }, clock });
    const big = store.createTable(schema('big'));
    for (let i = 0; i < 5000; i++) big.appendRow([T0 + BigInt(i), `row ${i} `.padEnd(100, '-')]);
    assert.ok(big.bytes > 300_000, `${big.bytes}`);
    const small = store.createTable(schema('small'));
    assert.equal(big.budgetBytes, 300_000);
    assert.equal(small.budgetBytes, 100_000);
    assert.ok(big.bytes <= 300_000);
    for (let i = 0; i < 5000; i++) {
      small.appendRow([T0 + BigInt(i), `small ${i} `.padEnd(50, '-')]);
      assert.ok(store.bytes <= store.totalBytes);
    }
    assert.ok(small.stats().rowsEvicted.bytes > 0);
  });

  it('serves as the executor\'s TableSource: names, schemas, scans; unknown tables are errors', () => {
    const store = new TableStore({ totalBytes: 1_000_000, clock });
    const table = store.createTable(schema('events'));
    table.appendRow([T0, 'one']);
    table.appendRow([T0 + 5n, 'two']);
    assert.deepEqual(store.tableNames(), ['events']);
    assert.equal(store.schema('events'), table.schema);
    assert.equal(store.schema('nope'), undefined);
    assert.deepEqual(readRows(store.scan('events', { columns: [1], startTime: T0 + 1n })), [['two']]);
    assert.throws(
      () => store.scan('nope', { columns: [0] }),
      (e: unknown) => e instanceof TableStoreError && e.code === 'UNKNOWN_TABLE' && /table nope: no such table; tables: events/.test(e.message),
    );
  });

  it('returns the existing table for the same schema and refuses a different one under the same name', () => {
    const store = new TableStore({ totalBytes: 1_000_000, clock });
    const table = store.createTable(schema('events'));
    assert.equal(store.createTable(schema('events')), table);
    const other: TableSchema = { ...schema('events'), columns: [{ name: 'time_', type: 'time64ns' }] };
    assert.throws(() => store.createTable(other), (e: unknown) => e instanceof TableStoreError && e.code === 'TABLE_EXISTS');
  });

  it('evicts expired rows of every table', () => {
    let now = T0;
    const store = new TableStore({ totalBytes: 1_000_000, maxAgeNs: 100n, clock: () => now });
    store.createTable(schema('a')).appendRow([T0, 'x']);
    store.createTable(schema('b')).appendRow([T0 + 50n, 'y']);
    now = T0 + 120n;
    assert.equal(store.evictExpired(), 1);
    assert.deepEqual(
      store.stats().map((s) => s.rows),
      [0, 1],
    );
  });
});
