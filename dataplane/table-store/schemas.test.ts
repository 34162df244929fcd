import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CONN_STATS_COLUMNS, CONN_STATS_TABLE, ConnStatsAggregator } from '../collectors/conn-stats.js';
import { HTTP_EVENTS_COLUMNS, HTTP_EVENTS_TABLE, type HttpEventRow } from '../protocols/http-events.js';
import { NetworkStatsReader } from '../stats/network-stats.js';
import { toProcessStatsRow } from '../stats/process-stats.js';
import { readRows } from './rows.js';
import { CONN_STATS_SCHEMA, HTTP_EVENTS_SCHEMA, NETWORK_STATS_SCHEMA, PEM_SCHEMAS, PROCESS_STATS_SCHEMA, STACK_TRACES_SCHEMA } from './schemas.js';
import { TableStore } from './table-store.js';
import type { CellValue, TableSchema } from './types.js';

const T0 = 1_700_000_000_000_000_000n;
const names = (schema: TableSchema) => schema.columns.map((c) => c.name);
const all = (schema: TableSchema) => schema.columns.map((_, i) => i);

/** Stores the collector's rows in a table of the schema and reads them back. */
function roundTrip<R extends { readonly [K in keyof R]: CellValue }>(schema: TableSchema, rows: readonly R[]): CellValue[][] {
  const table = new TableStore({ totalBytes: 10_000_000, clock: () => T0 }).createTable(schema);
  for (const row of rows) table.appendObject(row);
  return readRows(table.scan({ columns: all(schema) }));
}

/** The row as the schema orders its columns, int64 values as bigints. */
function expected<R extends { readonly [K in keyof R]: CellValue }>(schema: TableSchema, row: R): CellValue[] {
  const byName = row as unknown as Readonly<Record<string, CellValue>>;
  return schema.columns.map((c) => {
    const value = byName[c.name]!;
    return c.type === 'int64' && typeof value === 'number' ? BigInt(value) : value;
  });
}

describe('table schemas agree with the collectors', () => {
  it('http_events: the columns of HTTP_EVENTS_COLUMNS, in that order, and a collector row stores unchanged', () => {
    assert.equal(HTTP_EVENTS_SCHEMA.name, HTTP_EVENTS_TABLE);
    assert.deepEqual(names(HTTP_EVENTS_SCHEMA), [...HTTP_EVENTS_COLUMNS]);
    const row: HttpEventRow = {
      time_: T0,
      upid: '4242:123456',
      remote_addr: '10.0.0.7',
      remote_port: 51234,
      local_addr: '10.0.0.2',
      local_port: 8080,
      trace_role: 2,
      major_version: 1,
      minor_version: 1,
      content_type: 1,
      req_headers: '{"Host":"api","Accept":"*/*"}',
      req_method: 'GET',
      req_path: '/users/17?full=1',
      req_body: '',
      req_body_size: 0,
      resp_headers: '{"Content-Type":"application/json"}',
      resp_status: 200,
      resp_message: 'OK',
      resp_body: '{"id":17}',
      resp_body_size: 9,
      latency: 1_250_000n,
    };
    assert.deepEqual(roundTrip(HTTP_EVENTS_SCHEMA, [row]), [expected(HTTP_EVENTS_SCHEMA, row)]);
  });

  it('conn_stats: the columns of CONN_STATS_COLUMNS and of the aggregator\'s rows', () => {
    assert.equal(CONN_STATS_SCHEMA.name, CONN_STATS_TABLE);
    assert.deepEqual(names(CONN_STATS_SCHEMA), [...CONN_STATS_COLUMNS]);
    const aggregator = new ConnStatsAggregator();
    const pair = aggregator.opened({ upid: '7:99', tgid: 7, localAddr: '10.0.0.2', localPort: 40000, remoteAddr: '10.0.0.9', remotePort: 443, role: 'client' }, true);
    aggregator.transferred(pair, 'egress', 120);
    aggregator.transferred(pair, 'ingress', 4096);
    const rows = aggregator.flush(T0);
    assert.equal(rows.length, 1);
    assert.deepEqual(Object.keys(rows[0]!), names(CONN_STATS_SCHEMA));
    assert.deepEqual(roundTrip(CONN_STATS_SCHEMA, rows), [expected(CONN_STATS_SCHEMA, rows[0]!)]);
  });

  it('process_stats: the columns of the rows the /proc reader builds', () => {
    const row = toProcessStatsRow(
      { pid: 12, comm: 'node', state: 'S', ppid: 1, minorFaults: 5, majorFaults: 1, utimeTicks: 250, stimeTicks: 30, numThreads: 11, starttimeTicks: 777, vsizeBytes: 1 << 30, rssPages: 2048 },
      { rchar: 1, wchar: 2, readBytes: 3, writeBytes: 4 },
      { clockTicksPerSecond: 100, pageSizeBytes: 4096 },
      T0,
    );
    assert.deepEqual(Object.keys(row), names(PROCESS_STATS_SCHEMA));
    assert.deepEqual(roundTrip(PROCESS_STATS_SCHEMA, [row]), [expected(PROCESS_STATS_SCHEMA, row)]);
  });

  describe('network_stats', () => {
    const root = mkdtempSync(join(tmpdir(), 'loupe-table-store-net-'));
    after(() => rmSync(root, { recursive: true, force: true }));

    it('has the columns of the rows the /proc reader builds', () => {
      mkdirSync(join(root, '1', 'ns'), { recursive: true });
      mkdirSync(join(root, '1', 'net'));
      symlinkSync('net:[4026531840]', join(root, '1', 'ns', 'net'));
      writeFileSync(join(root, '1', 'net', 'dev'), 'Inter-| header\n face | header\n  eth0: 1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0\n');
      const rows = new NetworkStatsReader({ procRoot: root, clock: () => T0 }).read([1]);
      assert.equal(rows.length, 1);
      assert.deepEqual(Object.keys(rows[0]!), names(NETWORK_STATS_SCHEMA));
      assert.deepEqual(roundTrip(NETWORK_STATS_SCHEMA, rows), [expected(NETWORK_STATS_SCHEMA, rows[0]!)]);
    });
  });

  it('stack_traces.beta has Pixie\'s columns', () => {
    assert.equal(STACK_TRACES_SCHEMA.name, 'stack_traces.beta');
    assert.deepEqual(
      STACK_TRACES_SCHEMA.columns.map((c) => [c.name, c.type]),
      [
        ['time_', 'time64ns'],
        ['upid', 'uint128'],
        ['stack_trace_id', 'int64'],
        ['stack_trace', 'string'],
        ['count', 'int64'],
      ],
    );
  });

  it('types upids as uint128 and marks durations, bytes, statuses, addresses and ports', () => {
    const semantic = (schema: TableSchema, name: string) => schema.columns.find((c) => c.name === name)?.semantic;
    for (const schema of PEM_SCHEMAS) {
      assert.equal(schema.timeColumn, 'time_');
      const upid = schema.columns.find((c) => c.name === 'upid');
      if (upid) assert.deepEqual([upid.type, upid.semantic], ['uint128', 'upid'], schema.name);
    }
    assert.equal(semantic(HTTP_EVENTS_SCHEMA, 'latency'), 'duration_ns');
    assert.equal(semantic(HTTP_EVENTS_SCHEMA, 'resp_status'), 'http_resp_status');
    assert.equal(semantic(HTTP_EVENTS_SCHEMA, 'resp_body_size'), 'bytes');
    assert.equal(semantic(HTTP_EVENTS_SCHEMA, 'remote_addr'), 'ip_address');
    assert.equal(semantic(HTTP_EVENTS_SCHEMA, 'local_port'), 'port');
    assert.equal(semantic(CONN_STATS_SCHEMA, 'bytes_recv'), 'bytes');
    assert.equal(semantic(PROCESS_STATS_SCHEMA, 'cpu_ktime_ns'), 'duration_ns');
    assert.equal(semantic(NETWORK_STATS_SCHEMA, 'tx_bytes'), 'bytes');
  });
});
