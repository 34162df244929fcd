import test from 'node:test';
import assert from 'node:assert/strict';
import { formatCell, formatJsonLines, formatTable, formatTime } from './format.js';
import type { ResultTable } from './results.js';

const table: ResultTable = {
  name: 'http_stats',
  relation: [
    { name: 'time_', type: 'time64ns' },
    { name: 'req_path', type: 'string' },
    { name: 'count', type: 'int64' },
    { name: 'latency', type: 'float64', semantic: 'duration_ns' },
    { name: 'ok', type: 'boolean' },
  ],
  rows: [
    [1714564800123456789n, '/api/users', 1200n, 1_234_567, true],
    [1714564800000000000n, '/healthz\nx', 3n, 850, false],
  ],
  truncated: false,
};

test('times print as RFC 3339 with nanoseconds', () => {
  assert.equal(formatTime(1714564800123456789n), '2024-05-01T12:00:00.123456789Z');
  assert.equal(formatTime(-1n), '1969-12-31T23:59:59.999999999Z');
});

test('cells: humanized durations, bytes and percents; floats trimmed', () => {
  assert.equal(formatCell(1_500_000, { name: 'l', type: 'int64', semantic: 'duration_ns' }), '1.50 ms');
  assert.equal(formatCell(1_500_000, { name: 'l', type: 'int64', semantic: 'duration_ns' }, false), '1500000');
  assert.equal(formatCell(2048, { name: 'b', type: 'float64', semantic: 'bytes' }), '2.0 KiB');
  assert.equal(formatCell(0.123, { name: 'p', type: 'float64', semantic: 'percent' }), '12.3%');
  assert.equal(formatCell(1 / 3, { name: 'x', type: 'float64' }), '0.333333');
  assert.equal(formatCell(2, { name: 'x', type: 'float64' }), '2');
});

test('a table is aligned: numbers right, text left, with a row count', () => {
  assert.equal(
    formatTable(table),
    [
      'http_stats',
      'time_                           req_path     count  latency  ok',
      '2024-05-01T12:00:00.123456789Z  /api/users    1200  1.23 ms  true',
      '2024-05-01T12:00:00.000000000Z  /healthz\\nx      3   850 ns  false',
      '(2 rows)',
      '',
    ].join('\n'),
  );
  assert.match(formatTable({ ...table, rows: [], truncated: true }), /\(0 rows, truncated at the result-row limit\)\n$/);
});

test('JSON lines: one object per row, exact int64, raw values', () => {
  const lines = formatJsonLines(table).trim().split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[0], '{"_table":"http_stats","time_":1714564800123456789,"req_path":"/api/users","count":1200,"latency":1234567,"ok":true}');
  assert.deepEqual(JSON.parse(lines[1]!), { _table: 'http_stats', time_: 1714564800000000000, req_path: '/healthz\nx', count: 3, latency: 850, ok: false });
  assert.equal(formatJsonLines({ ...table, rows: [[0n, '', 0n, NaN, false]] }), '{"_table":"http_stats","time_":0,"req_path":"","count":0,"latency":null,"ok":false}\n');
});
