import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { column, defineTable, type ColumnDeclaration, type RowOf } from './define-table.js';
import { readRows } from './rows.js';
import { TableStore } from './table-store.js';

const PING = defineTable({
  name: 'ping_events',
  description: 'Test table.',
  timeColumn: 'time_',
  columns: [
    column.time('time_', 'When.'),
    column.uint128('upid', 'Who.', 'upid'),
    column.int('bytes', 'How many bytes.', 'bytes'),
    column.bigint('latency', 'How long.', 'duration_ns'),
    column.float('ratio', 'A share.'),
    column.string('path', 'Where to.'),
    column.boolean('ok', 'Whether it worked.'),
  ],
});
type PingRow = RowOf<typeof PING>;

const row: PingRow = { time_: 1_700_000_000_000_000_000n, upid: '42:7', bytes: 512, latency: 2n ** 62n, ratio: 0.25, path: '/p', ok: true };

// The row type is the test: each of these is a compile error, and `tsc` fails the build if one
// of them stops being one.
export const typeErrors: PingRow[] = [
  // @ts-expect-error a column is missing
  { time_: 1n, upid: '1:1', bytes: 1, latency: 1n, ratio: 1, path: '/' },
  // @ts-expect-error a column the table does not have
  { ...row, extra: 1 },
  // @ts-expect-error latency is declared column.bigint: a number does not fit
  { ...row, latency: 5 },
  // @ts-expect-error bytes is declared column.int: rows carry a number, not a bigint
  { ...row, bytes: 5n },
  // @ts-expect-error upid is text
  { ...row, upid: 42 },
];

export const badTimeColumn = defineTable({
  name: 'x',
  description: '',
  // @ts-expect-error the time column must be a declared time64ns column
  timeColumn: 'n',
  columns: [column.time('time_', ''), column.int('n', '')],
});

// @ts-expect-error a string column cannot carry numbers
export const badCell: ColumnDeclaration = { name: 's', type: 'string', cell: 'number', description: '' };

describe('defineTable', () => {
  it('derives the store schema: the declared columns in order with their types, semantic types and descriptions', () => {
    assert.deepEqual(PING.schema, {
      name: 'ping_events',
      description: 'Test table.',
      timeColumn: 'time_',
      columns: [
        { name: 'time_', type: 'time64ns', description: 'When.' },
        { name: 'upid', type: 'uint128', semantic: 'upid', description: 'Who.' },
        { name: 'bytes', type: 'int64', semantic: 'bytes', description: 'How many bytes.' },
        { name: 'latency', type: 'int64', semantic: 'duration_ns', description: 'How long.' },
        { name: 'ratio', type: 'float64', description: 'A share.' },
        { name: 'path', type: 'string', description: 'Where to.' },
        { name: 'ok', type: 'boolean', description: 'Whether it worked.' },
      ],
    });
    assert.deepEqual(PING.columns, ['time_', 'upid', 'bytes', 'latency', 'ratio', 'path', 'ok']);
  });

  it('a row of the derived type is stored by a table of the derived schema and read back unchanged', () => {
    const table = new TableStore({ totalBytes: 1 << 20, clock: () => row.time_ }).createTable(PING.schema);
    assert.equal(table.appendObject(row), true);
    // int64 cells come back as bigints whichever JavaScript type the row carried.
    assert.deepEqual(readRows(table.scan({ columns: PING.schema.columns.map((_, i) => i) })), [[row.time_, '42:7', 512n, 2n ** 62n, 0.25, '/p', true]]);
  });
});
