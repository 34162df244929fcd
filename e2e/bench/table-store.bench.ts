// Table store cost on http_events: appends 1 M synthetic rows shaped like traced traffic (a few
// hundred paths, ~20 processes, header and body strings from small sets, random latencies),
// then prints the accounted bytes per row against the raw row size, append rows/s (positional
// and by column name), and full-scan rows/s. Not a test: no thresholds.
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { seededRandom } from '../../dataplane/table-store/random.js';
import { HTTP_EVENTS } from '../../dataplane/table-store/schemas.js';
import { TableStore } from '../../dataplane/table-store/table-store.js';
import type { Table } from '../../dataplane/table-store/table.js';
import type { CellValue, RowBatch } from '../../dataplane/table-store/types.js';

const ROWS = Number(process.env['BENCH_STORE_ROWS'] ?? 1_000_000);
/** Distinct rows generated; the appended rows cycle through them with fresh times. */
const POOL = 100_000;
const T0 = 1_700_000_000_000_000_000n;
/** One request every 50 µs: 1 M rows span 50 s. */
const STEP_NS = 50_000n;

const rnd = seededRandom(20240601);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;

const UPIDS = Array.from({ length: 20 }, (_, i) => `${1200 + i * 37}:${8_400_000 + i * 1913}`);
const REMOTE_ADDRS = Array.from({ length: 40 }, (_, i) => `10.244.${i % 5}.${10 + i}`);
const LOCAL_ADDRS = ['10.244.0.2', '10.244.1.7', '10.244.3.4', '10.244.4.9'];
const RESOURCES = ['users', 'orders', 'carts', 'products', 'payments', 'sessions', 'inventory', 'search', 'reviews', 'shipments'];
const PATHS = Array.from({ length: 300 }, (_, i) => {
  const resource = RESOURCES[i % RESOURCES.length]!;
  if (i < 30) return `/api/v1/${resource}`;
  if (i < 60) return `/api/v1/${resource}?page=${i % 7}&limit=50`;
  return `/api/v1/${resource}/${(i * 7919) % 100_000}`;
});
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'];
const REQ_HEADERS = [
  '{"Host":"frontend.shop.svc:8080","User-Agent":"Go-http-client/1.1","Accept":"application/json","Accept-Encoding":"gzip","X-Request-Id":"b7e2c1d0-1f2a-4c3b-9d8e-7f6a5b4c3d2e"}',
  '{"Host":"orders.shop.svc:8080","User-Agent":"python-requests/2.31.0","Accept":"*/*","Connection":"keep-alive","Content-Type":"application/json","Content-Length":"87"}',
  '{"Host":"api.shop.example.com","User-Agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36","Accept":"text/html,application/json","Cookie":"session=3f9a8b7c6d5e4f3a2b1c","Referer":"https://shop.example.com/cart"}',
  '{"Host":"payments.shop.svc:9090","User-Agent":"okhttp/4.12.0","Content-Type":"application/json","Authorization":"Bearer <redacted>","Traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}',
  '{"Host":"inventory:8080","Accept":"application/json"}',
  '{"Host":"search.shop.svc:8080","User-Agent":"curl/8.5.0","Accept":"*/*"}',
];
const REQ_BODIES = ['{"userId":17,"items":[{"sku":"A-1002","qty":2}],"currency":"EUR"}', '{"query":"running shoes","size":20}', '{"status":"shipped","carrier":"DHL"}', '{"amount":4999,"method":"card","token":"tok_1Nv0FQ2eZvKYlo2C"}'];
const RESP_HEADERS = [
  '{"Content-Type":"application/json","Content-Length":"412","Date":"Mon, 03 Jun 2024 10:15:22 GMT","Server":"envoy","X-Envoy-Upstream-Service-Time":"12"}',
  '{"Content-Type":"application/json; charset=utf-8","Transfer-Encoding":"chunked","Connection":"keep-alive","Vary":"Accept-Encoding"}',
  '{"Content-Type":"text/plain","Content-Length":"9"}',
  '{"Content-Type":"application/json","Cache-Control":"no-store","Content-Length":"2048","X-Request-Id":"b7e2c1d0-1f2a-4c3b-9d8e-7f6a5b4c3d2e"}',
];
const RESP_BODIES = [
  '{"id":17,"name":"Ada","email":"ada@example.com","orders":[101,102,103]}',
  '{"items":[{"sku":"A-1002","name":"Trail Runner","price":8999,"stock":14},{"sku":"B-2203","name":"Road Runner","price":7999,"stock":3}],"total":2}',
  '{"ok":true}',
  'Not Found',
  '{"error":"upstream timeout","retryable":true}',
  `{"results":[${Array.from({ length: 12 }, (_, i) => `{"id":${i},"title":"Product ${i}","score":0.${90 - i}}`).join(',')}]}`,
  '',
  '{"status":"accepted","id":"ord_8842"}',
];
const STATUSES: ReadonlyArray<readonly [number, string]> = [
  [200, 'OK'],
  [200, 'OK'],
  [200, 'OK'],
  [200, 'OK'],
  [201, 'Created'],
  [204, 'No Content'],
  [404, 'Not Found'],
  [500, 'Internal Server Error'],
];

/** Roughly log-normal request latency, 50 µs to a few seconds. */
function latencyNs(): bigint {
  return BigInt(Math.round(50_000 * Math.exp(rnd() * 6 + rnd() * 4)));
}

function makeRow(): CellValue[] {
  const method = pick(METHODS);
  const reqBody = method === 'GET' || method === 'DELETE' ? '' : pick(REQ_BODIES);
  const respBody = pick(RESP_BODIES);
  const [status, message] = pick(STATUSES);
  return [
    0n,
    pick(UPIDS),
    pick(REMOTE_ADDRS),
    32768 + Math.floor(rnd() * 28000),
    pick(LOCAL_ADDRS),
    pick([80, 8080, 9090, 3000]),
    rnd() < 0.7 ? 2 : 1,
    1,
    1,
    respBody.startsWith('{') ? 1 : 0,
    pick(REQ_HEADERS),
    method,
    pick(PATHS),
    reqBody,
    Buffer.byteLength(reqBody),
    pick(RESP_HEADERS),
    status,
    message,
    respBody,
    Buffer.byteLength(respBody),
    latencyNs(),
  ];
}

/** The row's natural size: 8 bytes per int64, float64 and time value, UTF-8 bytes of strings, 1 per boolean. */
function rawSize(row: readonly CellValue[]): number {
  let bytes = 0;
  for (const value of row) bytes += typeof value === 'string' ? Buffer.byteLength(value) : typeof value === 'boolean' ? 1 : 8;
  return bytes;
}

const columnNames = HTTP_EVENTS.schema.columns.map((c) => c.name);
const toObject = (row: readonly CellValue[]): Record<string, CellValue> => Object.fromEntries(columnNames.map((name, i) => [name, row[i]!]));

function freshTable(): Table {
  // Budget large enough that nothing is evicted: the bench measures storage, not eviction.
  const store = new TableStore({ totalBytes: 8 * 2 ** 30, clock: () => T0 + BigInt(ROWS) * STEP_NS });
  return store.createTable(HTTP_EVENTS.schema);
}

/** Visits every cell of every column, as a vectorized operator would; returns a checksum. */
function touch(batch: RowBatch): number {
  let sum = 0;
  for (const vector of batch.columns) {
    switch (vector.type) {
      case 'boolean':
      case 'float64':
        for (let i = 0; i < batch.length; i++) sum += vector.values[i]!;
        break;
      case 'int64':
      case 'time64ns': {
        const words = new Int32Array(vector.values.buffer, vector.values.byteOffset, batch.length * 2);
        for (let i = 0; i < words.length; i += 2) sum += words[i]!;
        break;
      }
      case 'string':
      case 'uint128':
        for (let i = 0; i < batch.length; i++) sum += vector.dict[vector.codes[i]!]!.length;
        break;
    }
  }
  return sum;
}

function main(): void {
  const pool = Array.from({ length: POOL }, makeRow);
  const times = Array.from({ length: ROWS }, (_, i) => T0 + BigInt(i) * STEP_NS);
  let raw = 0;
  for (let i = 0; i < ROWS; i++) raw += rawSize(pool[i % POOL]!);

  const table = freshTable();
  let start = performance.now();
  for (let i = 0; i < ROWS; i++) {
    const row = pool[i % POOL]!;
    row[0] = times[i]!;
    table.appendRow(row);
  }
  const appendS = (performance.now() - start) / 1000;
  table.seal();
  const stats = table.stats();

  const all = HTTP_EVENTS.schema.columns.map((_, i) => i);
  start = performance.now();
  let scanned = 0;
  let checksum = 0;
  for (const batch of table.scan({ columns: all })) {
    scanned += batch.length;
    checksum += touch(batch);
  }
  const scanS = (performance.now() - start) / 1000;

  const latencyColumn = columnNames.indexOf('latency');
  start = performance.now();
  let windowRows = 0;
  for (const batch of table.scan({ columns: [latencyColumn], startTime: times[Math.floor(ROWS * 0.45)], endTime: times[Math.floor(ROWS * 0.55)] })) windowRows += batch.length;
  const windowS = (performance.now() - start) / 1000;

  const objects = pool.map(toObject);
  const byName = freshTable();
  start = performance.now();
  for (let i = 0; i < ROWS; i++) {
    const row = objects[i % POOL]!;
    row['time_'] = times[i]!;
    byName.appendObject(row);
  }
  const appendObjectS = (performance.now() - start) / 1000;

  const perRow = stats.bytes / stats.rows;
  const rawPerRow = raw / ROWS;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`http_events, ${fmt(ROWS)} rows (${fmt(stats.batches)} batches of up to 8192; ${fmt(stats.rowsEvicted.bytes + stats.rowsEvicted.age)} evicted)`);
  console.log(`  stored:        ${fmt(stats.bytes)} bytes = ${perRow.toFixed(1)} bytes/row`);
  console.log(`  raw:           ${fmt(raw)} bytes = ${rawPerRow.toFixed(1)} bytes/row`);
  console.log(`  stored / raw:  ${(perRow / rawPerRow).toFixed(3)} (${(rawPerRow / perRow).toFixed(1)}x smaller)`);
  console.log(`  appendRow:     ${fmt(ROWS / appendS)} rows/s (${(appendS * 1000).toFixed(0)} ms)`);
  console.log(`  appendObject:  ${fmt(ROWS / appendObjectS)} rows/s (${(appendObjectS * 1000).toFixed(0)} ms)`);
  console.log(`  full scan:     ${fmt(scanned / scanS)} rows/s, all ${all.length} columns, every cell read (${(scanS * 1000).toFixed(0)} ms, checksum ${checksum})`);
  console.log(`  10% time window, 1 column: ${fmt(windowRows)} rows in ${(windowS * 1000).toFixed(1)} ms`);
}

main();
