// The socket-trace collector's JavaScript path without the kernel: batches shaped like the
// tracer's 100 ms drains under wrk (keep-alive connections to a Node HTTP server, one request
// read and one response writev per request) replayed through SocketEventRouter.route and
// takeHttpEvents. Prints CPU µs per request against a baseline measured in the same run: a hand
// loop over the same batches that only finds each message's CRLF CRLF and counts requests (the
// floor any parser pays to look at the bytes). Not a test: no thresholds.
//
// Variants: Content-Length responses, and chunked ones (head, one chunk, last chunk in one write).
// Medians of BENCH_COLLECTOR_RUNS runs (default 7) after a warm-up run; BENCH_COLLECTOR_REQUESTS
// (default 300000) requests per run; BENCH_COLLECTOR_VARIANT=length|chunked selects one (for
// profiling). The http_events rows of one extra run are digested (time_ relative to the first
// row), so a change to the path can be checked to leave them byte for byte the same.
import { createHash } from 'node:crypto';
import { BATCH_DIR_EGRESS, BATCH_KIND, type TracerBatch } from '../../native-bpf/index.js';
import { SocketEventRouter } from '../../dataplane/collectors/socket-trace-collector.js';
import { SYSCALL, tracerBatch, type BatchConnection, type BatchRow } from '../../dataplane/collectors/tracer-batch.js';
import { HTTP_EVENTS, type HttpEventRow } from '../../dataplane/table-store/schemas.js';

const REQUESTS = Number(process.env['BENCH_COLLECTOR_REQUESTS'] ?? 300_000);
const RUNS = Number(process.env['BENCH_COLLECTOR_RUNS'] ?? 7);
const ONLY = process.env['BENCH_COLLECTOR_VARIANT'];
const CONNECTIONS = 16;
/** Rows per drain: ~30k requests/s, two data events each, drained every 100 ms. */
const BATCH_ROWS = 3000;
const PATHS = 100;
const REQUESTS_PER_SECOND = 30_000;
const SERVER_PORT = 8080;
/** The traced server's tgid: pid 1, so that its upid (and the rows' digest) is the same in every run. */
const SERVER_TGID = 1;
const T0_NS = 5_000_000_000_000n;
const DATE0_MS = Date.UTC(2026, 0, 1);

type Variant = 'length' | 'chunked';

/** The server's side of each keep-alive connection. */
const CONNS: readonly BatchConnection[] = Array.from({ length: CONNECTIONS }, (_, c) => ({
  generation: 1000 + c,
  tgid: SERVER_TGID,
  role: 'server',
  local: `127.0.0.1:${SERVER_PORT}`,
  remote: `127.0.0.1:${40_000 + c}`,
}));

const request = (k: number): Buffer => Buffer.from(`GET /r${k % PATHS} HTTP/1.1\r\nHost: 127.0.0.1:${SERVER_PORT}\r\n\r\n`);

/** What a Node server writes for res.writeHead(200, ...) + res.end(body), in one writev. */
function response(k: number, variant: Variant): Buffer {
  const body = `{"ok":true,"path":"/r${k % PATHS}"}`;
  // Node's Date header changes once a second.
  const date = new Date(DATE0_MS + Math.floor(k / REQUESTS_PER_SECOND) * 1000).toUTCString();
  const common = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: ${date}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n`;
  if (variant === 'length') return Buffer.from(`${common}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return Buffer.from(`${common}Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`);
}

/**
 * Opens, then per request a read on one connection and the writev answering it, then closes;
 * handed to `emit` a few rows at a time (so that building them leaves no heap of garbage behind).
 */
function traffic(variant: Variant, emit: (row: BatchRow) => void): void {
  const sent = new Array<number>(CONNECTIONS).fill(0);
  const received = new Array<number>(CONNECTIONS).fill(0);
  const data = (conn: number, egress: boolean, syscall: number, timestampNs: bigint, payload: Buffer): void => {
    const counter = egress ? sent : received;
    const position = counter[conn]!;
    counter[conn] = position + payload.length;
    emit({ kind: BATCH_KIND.data, conn: CONNS[conn]!, egress, syscall, timestampNs, size: payload.length, position, payload });
  };
  const none = Buffer.alloc(0);
  for (let c = 0; c < CONNECTIONS; c++) {
    emit({ kind: BATCH_KIND.open, conn: CONNS[c]!, egress: false, syscall: SYSCALL.accept4, timestampNs: T0_NS + BigInt(c), size: 0, position: 0, payload: none });
  }
  for (let k = 0; k < REQUESTS; k++) {
    const conn = k % CONNECTIONS;
    const readNs = T0_NS + BigInt(Math.round((k * 1e9) / REQUESTS_PER_SECOND)) + 1000n;
    data(conn, false, SYSCALL.read, readNs, request(k));
    data(conn, true, SYSCALL.writev, readNs + 21_000n, response(k, variant));
  }
  const endNs = T0_NS + BigInt(Math.round((REQUESTS * 1e9) / REQUESTS_PER_SECOND)) + 50_000n;
  for (let c = 0; c < CONNECTIONS; c++) {
    // A close row carries the bytes sent in `size` and the bytes received in `position`.
    emit({ kind: BATCH_KIND.close, conn: CONNS[c]!, egress: false, syscall: SYSCALL.close, timestampNs: endNs + BigInt(c), size: sent[c]!, position: received[c]!, payload: none });
  }
}

function batches(variant: Variant): TracerBatch[] {
  const out: TracerBatch[] = [];
  let rows: BatchRow[] = [];
  traffic(variant, (row) => {
    rows.push(row);
    if (rows.length < BATCH_ROWS) return;
    out.push(tracerBatch(rows));
    rows = [];
  });
  if (rows.length > 0) out.push(tracerBatch(rows));
  return out;
}

/** What the collector's poll does per drain, for every batch: returns the rows made. */
function replay(all: readonly TracerBatch[], keep?: HttpEventRow[]): number {
  const router = new SocketEventRouter();
  let rows = 0;
  for (const b of all) {
    router.route(b);
    const events = router.takeHttpEvents();
    rows += events.length;
    if (keep) for (const e of events) keep.push(e);
  }
  return rows;
}

const CR = 0x0d;
const LF = 0x0a;

/** The floor: each data row's CRLF CRLF found, ingress ones counted as requests. */
function handLoop(all: readonly TracerBatch[]): number {
  let requests = 0;
  for (const b of all) {
    const { kinds, directions, payloadOffsets, payload } = b;
    for (let i = 0; i < kinds.length; i++) {
      if (kinds[i] !== BATCH_KIND.data) continue;
      const end = payloadOffsets[i + 1]!;
      for (let j = payloadOffsets[i]! + 3; j < end; j++) {
        if (payload[j] === LF && payload[j - 1] === CR && payload[j - 2] === LF && payload[j - 3] === CR) {
          if (directions[i] !== BATCH_DIR_EGRESS) requests++;
          break;
        }
      }
    }
  }
  return requests;
}

function cpuMicros(action: () => number): { micros: number; count: number } {
  const before = process.cpuUsage();
  const count = action();
  const used = process.cpuUsage(before);
  return { micros: used.user + used.system, count };
}

function digest(rows: readonly HttpEventRow[]): string {
  const hash = createHash('sha256');
  const t0 = rows[0]?.time_ ?? 0n;
  for (const row of rows) {
    for (const column of HTTP_EVENTS.columns) {
      const value = column === 'time_' ? row.time_ - t0 : row[column];
      hash.update(`${typeof value}:${String(value)}\u0000`);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(variant: Variant): void {
  const all = batches(variant);
  const rowCount = all.reduce((sum, b) => sum + b.kinds.length, 0);
  if (replay(all) !== REQUESTS || handLoop(all) !== REQUESTS) throw new Error(`${variant}: warm-up did not see ${REQUESTS} requests`);
  const router: number[] = [];
  const floor: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const routed = cpuMicros(() => replay(all));
    const scanned = cpuMicros(() => handLoop(all));
    if (routed.count !== REQUESTS || scanned.count !== REQUESTS) throw new Error(`${variant}: run ${run} lost requests`);
    router.push(routed.micros / REQUESTS);
    floor.push(scanned.micros / REQUESTS);
  }
  const kept: HttpEventRow[] = [];
  replay(all, kept);
  const perRequest = median(router);
  const handPerRequest = median(floor);
  const fmt = (xs: readonly number[]) => xs.map((x) => x.toFixed(3)).join(', ');
  console.log(`\ncollector JS path, ${variant === 'length' ? 'Content-Length' : 'chunked'} responses: ${REQUESTS} requests on ${CONNECTIONS} keep-alive connections, ${all.length} batches of ${BATCH_ROWS} rows (${rowCount} rows), ${RUNS} runs after a warm-up`);
  console.log(`  route + takeHttpEvents: ${perRequest.toFixed(3)} µs CPU per request (median; runs ${fmt(router)})`);
  console.log(`  hand loop (CRLF CRLF)  : ${handPerRequest.toFixed(3)} µs CPU per request (median; runs ${fmt(floor)})`);
  console.log(`  ratio collector / hand loop: ${(perRequest / handPerRequest).toFixed(1)}`);
  console.log(`  http_events rows ${kept.length}, digest ${digest(kept)}`);
}

const variants: Variant[] = ONLY === undefined ? ['length', 'chunked'] : [ONLY as Variant];
if (variants.some((v) => v !== 'length' && v !== 'chunked')) throw new Error(`BENCH_COLLECTOR_VARIANT: unknown variant ${ONLY}; use length or chunked`);
for (const variant of variants) measure(variant);
