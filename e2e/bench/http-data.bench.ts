// px/http_data latency over 1 M http_events rows, end to end, against baselines measured in
// the same run (machines are noisy; only the ratios mean something). Not a test: no thresholds.
//
// Rows: realistic traced traffic spread over the 5 minutes before the run (a few thousand
// paths, unique ids inside many bodies, long header JSON), from 200 upids: this process, 4
// `sleep` children it spawns, pid 1 (they exist, so their cmdline resolves), one upid whose pid
// is this process's with an older start time (a reused pid: /proc/PID exists but is another
// process) and the rest pids that do not exist on this host (a lookup reads /proc and finds no
// such process; how LocalMetadata answers and how long it remembers that is its own policy).
//
// Variants of the bundled script, each run as:
//   loupe compile    compilePxl of px/http_data with the variant's arguments
//   loupe execute    executePlan of that plan → frames → collectFrames (rows as JS values)
//   loupe local      runScriptLocally → collectFrames: compile + execute, what the standalone's API does
//   loupe gRPC       the standalone's real API: localBrokerHandlers on 127.0.0.1, callStream, collectFrames
//   loupe distrib.   3 PEM gRPC servers (rows split by upid) + Kelvin + broker, NATS registry
//   hand loop        a loop over the table store's scan doing the same filter, lookups and projection
//   chdb             the equivalent SQL in embedded ClickHouse (max_threads=1), TSV parsed into rows;
//                    ClickHouse has no pod/cmdline lookup: once without those columns, once with a
//                    LEFT JOIN against a constant (upid, pod, cmdline) table read from the same metadata
// Medians of BENCH_HTTP_RUNS runs (default 5) after one warm-up round; every round runs each
// variant once per path, interleaved, the paths in a new order each round. BENCH_HTTP_ROWS
// overrides the row count; BENCH_HTTP_VARIANT=N and BENCH_HTTP_PATHS=a,b select (for profiling).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMetadata } from '../../dataplane/metadata/local.js';
import type { MetadataView } from '../../dataplane/metadata/types.js';
import { compilePxl } from '../../dataplane/pxl/compiler/compile.js';
import { executePlan } from '../../dataplane/pxl/exec/executor.js';
import { BROKER_SERVICE, callStream, insecureClient, startServer, type QueryLimitsRequest, type ScriptRequest } from '../../dataplane/query/grpc-services.js';
import { collectFrames, resultFrames, type QueryResults } from '../../dataplane/query/results.js';
import { localBrokerHandlers, runScriptLocally } from '../../dataplane/query/services.js';
import { resolveScript } from '../../dataplane/scripts/library.js';
import { parseProcStat, upidOf } from '../../dataplane/stats/process-stats.js';
import { seededRandom } from '../../dataplane/table-store/random.js';
import { HTTP_EVENTS } from '../../dataplane/table-store/schemas.js';
import { TableStore } from '../../dataplane/table-store/table-store.js';
import type { CellValue, DictVector, Int64Vector } from '../../dataplane/table-store/types.js';
import { startNats, type NatsServer } from '../harness/nats.js';
import { startQueryCluster, type QueryCluster } from '../harness/query-cluster.js';

const ROWS = Number(process.env['BENCH_HTTP_ROWS'] ?? 1_000_000);
const RUNS = Number(process.env['BENCH_HTTP_RUNS'] ?? 5);
const PEMS = 3;
const SPAN_NS = 300_000_000_000n;
const FILTER = 'checkout';
const WIDE = 100_000;

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- the rows ----------------------------------------------------------------------------

const RESOURCES = ['users', 'orders', 'carts', 'products', 'payments', 'sessions', 'inventory', 'search', 'reviews', 'shipments'];
const PATHS: string[] = ['/healthz', '/readyz', '/metrics'];
const LIST_AT = PATHS.length;
for (const r of RESOURCES) PATHS.push(`/api/v1/${r}`);
for (const r of RESOURCES) for (let p = 1; p <= 10; p++) PATHS.push(`/api/v1/${r}?page=${p}&limit=50`);
const BY_ID_AT = PATHS.length;
for (const r of RESOURCES) for (let id = 0; id < 300; id++) PATHS.push(`/api/v1/${r}/${(id * 7919) % 100_000}`);
const CHECKOUT_AT = PATHS.length;
for (let id = 0; id < 100; id++) PATHS.push(`/api/v2/${FILTER}/${(id * 104_729) % 1_000_000}/confirm`);

const REMOTE_ADDRS = Array.from({ length: 120 }, (_, i) => `10.244.${i % 6}.${11 + i}`);
const LOCAL_ADDRS = ['10.244.0.2', '10.244.1.7', '10.244.3.4', '127.0.0.1'];
const LOCAL_PORTS = [80, 8080, 9090, 3000];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'];
const REQ_HEADERS = [
  '{"Host":"frontend.shop.svc:8080","User-Agent":"Go-http-client/1.1","Accept":"application/json","Accept-Encoding":"gzip"}',
  '{"Host":"orders.shop.svc:8080","User-Agent":"python-requests/2.31.0","Accept":"*/*","Connection":"keep-alive","Content-Type":"application/json"}',
  '{"Host":"api.shop.example.com","User-Agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36","Accept":"text/html,application/json","Cookie":"session=3f9a8b7c6d5e4f3a2b1c"}',
  '{"Host":"payments.shop.svc:9090","User-Agent":"okhttp/4.12.0","Content-Type":"application/json","Authorization":"Bearer <redacted>"}',
  '{"Host":"10.244.0.2:8080","User-Agent":"kube-probe/1.29","Accept":"*/*"}',
  '{"Host":"10.244.1.7:9090","User-Agent":"Prometheus/2.51.0","Accept":"application/openmetrics-text;version=1.0.0"}',
];
const RESP_HEADERS = [
  '{"Content-Type":"application/json","Content-Length":"412","Server":"envoy","X-Envoy-Upstream-Service-Time":"12"}',
  '{"Content-Type":"application/json; charset=utf-8","Transfer-Encoding":"chunked","Connection":"keep-alive","Vary":"Accept-Encoding"}',
  '{"Content-Type":"text/plain","Content-Length":"2"}',
];
/** Bodies: "{ID}" is replaced by a per-row id (so most bodies are unique, as real ones are). */
const REQ_BODIES = ['', '{"userId":{ID},"items":[{"sku":"A-1002","qty":2}],"currency":"EUR"}', '{"query":"running shoes","size":20,"cursor":"{ID}"}', '{"status":"shipped","carrier":"DHL","order":{ID}}', '{"amount":4999,"method":"card","token":"tok_{ID}"}'];
const RESP_BODIES = [
  '',
  'ok',
  '{"id":{ID},"name":"Ada","email":"ada@example.com","orders":[101,102,103]}',
  '{"items":[{"sku":"A-1002","name":"Trail Runner","price":8999,"stock":14},{"sku":"B-2203","name":"Road Runner","price":7999,"stock":3}],"total":2,"next":"{ID}"}',
  '{"error":"upstream timeout","retryable":true,"request":"{ID}"}',
  '{"status":"accepted","id":"ord_{ID}"}',
  'Not Found',
];
const STATUSES: readonly (readonly [number, string])[] = [
  [200, 'OK'],
  [201, 'Created'],
  [204, 'No Content'],
  [304, 'Not Modified'],
  [404, 'Not Found'],
  [500, 'Internal Server Error'],
  [503, 'Service Unavailable'],
];

const body = (templates: readonly string[], t: number, id: number): string => (id < 0 ? templates[t]! : templates[t]!.replace('{ID}', String(id)));

/** One array per column: the row generator's choices, from which both loupe's rows and chdb's are built. */
interface Rows {
  readonly n: number;
  readonly oldest: bigint;
  readonly time: BigInt64Array;
  readonly upid: Uint16Array;
  readonly remoteAddr: Uint16Array;
  readonly remotePort: Uint16Array;
  readonly localAddr: Uint8Array;
  readonly localPort: Uint8Array;
  readonly role: Uint8Array;
  readonly contentType: Uint8Array;
  readonly reqHeaders: Uint8Array;
  readonly method: Uint8Array;
  readonly path: Uint16Array;
  readonly reqBodyT: Uint8Array;
  readonly reqBodyId: Int32Array;
  readonly respHeaders: Uint8Array;
  readonly status: Uint8Array;
  readonly respBodyT: Uint8Array;
  readonly respBodyId: Int32Array;
  readonly latency: BigInt64Array;
}

function generate(n: number, upids: number): Rows {
  const r = seededRandom(20240917);
  const end = nowNs();
  const start = end - SPAN_NS;
  const rows: Rows = {
    n,
    oldest: 0n,
    time: new BigInt64Array(n),
    upid: new Uint16Array(n),
    remoteAddr: new Uint16Array(n),
    remotePort: new Uint16Array(n),
    localAddr: new Uint8Array(n),
    localPort: new Uint8Array(n),
    role: new Uint8Array(n),
    contentType: new Uint8Array(n),
    reqHeaders: new Uint8Array(n),
    method: new Uint8Array(n),
    path: new Uint16Array(n),
    reqBodyT: new Uint8Array(n),
    reqBodyId: new Int32Array(n),
    respHeaders: new Uint8Array(n),
    status: new Uint8Array(n),
    respBodyT: new Uint8Array(n),
    respBodyId: new Int32Array(n),
    latency: new BigInt64Array(n),
  };
  let oldest = end;
  const step = Number(SPAN_NS) / n;
  for (let i = 0; i < n; i++) {
    // Arrival order ≈ time order, with up to 20 ms of reordering (events from several CPUs).
    let t = start + 1n + BigInt(Math.floor((i + 1) * step)) - BigInt(Math.floor(r() * 20_000_000));
    if (t <= start) t = start + 1n;
    rows.time[i] = t;
    if (t < oldest) oldest = t;
    // A few busy processes and a long tail.
    rows.upid[i] = Math.floor(upids * r() * r());
    rows.remoteAddr[i] = Math.floor(REMOTE_ADDRS.length * r());
    rows.remotePort[i] = 32768 + Math.floor(r() * 28_000);
    rows.localAddr[i] = Math.floor(LOCAL_ADDRS.length * r());
    rows.localPort[i] = Math.floor(LOCAL_PORTS.length * r());
    rows.role[i] = r() < 0.7 ? 2 : 1;
    const kind = r();
    let method: number;
    if (kind < 0.1) {
      // Probes and scrapes.
      rows.path[i] = Math.floor(r() * LIST_AT);
      rows.reqHeaders[i] = 4 + (rows.path[i] === 2 ? 1 : 0);
      method = 0;
    } else {
      rows.reqHeaders[i] = Math.floor(4 * r());
      method = Math.floor(METHODS.length * r());
      if (kind < 0.3) rows.path[i] = LIST_AT + Math.floor(r() * (BY_ID_AT - LIST_AT));
      else if (kind < 0.99) rows.path[i] = BY_ID_AT + Math.floor(r() * (CHECKOUT_AT - BY_ID_AT));
      else rows.path[i] = CHECKOUT_AT + Math.floor(r() * (PATHS.length - CHECKOUT_AT));
    }
    rows.method[i] = method;
    const hasBody = METHODS[method] === 'POST' || METHODS[method] === 'PUT';
    rows.reqBodyT[i] = hasBody ? 1 + Math.floor(r() * (REQ_BODIES.length - 1)) : 0;
    rows.reqBodyId[i] = hasBody ? Math.floor(r() * 1_000_000) : -1;
    const status = kind < 0.1 ? 0 : Math.min(STATUSES.length - 1, Math.floor(-Math.log(1 - r() * 0.999) * 1.2));
    rows.status[i] = status;
    const respBody = kind < 0.1 ? 1 : status === 4 ? 6 : status === 2 || status === 3 ? 0 : status >= 5 ? 4 : 2 + Math.floor(r() * 4);
    rows.respBodyT[i] = respBody;
    rows.respBodyId[i] = RESP_BODIES[respBody]!.includes('{ID}') ? Math.floor(r() * 1_000_000) : -1;
    rows.respHeaders[i] = respBody === 1 ? 2 : Math.floor(2 * r());
    rows.contentType[i] = RESP_BODIES[respBody]!.startsWith('{') ? 1 : 0;
    // Roughly log-normal: 50 µs to a few seconds.
    rows.latency[i] = BigInt(Math.round(50_000 * Math.exp(r() * 6 + r() * 4)));
  }
  return { ...rows, oldest };
}

function rowAt(rows: Rows, upids: readonly string[], i: number, out: CellValue[]): CellValue[] {
  const reqBody = body(REQ_BODIES, rows.reqBodyT[i]!, rows.reqBodyId[i]!);
  const respBody = body(RESP_BODIES, rows.respBodyT[i]!, rows.respBodyId[i]!);
  const [status, message] = STATUSES[rows.status[i]!]!;
  out[0] = rows.time[i]!;
  out[1] = upids[rows.upid[i]!]!;
  out[2] = REMOTE_ADDRS[rows.remoteAddr[i]!]!;
  out[3] = rows.remotePort[i]!;
  out[4] = LOCAL_ADDRS[rows.localAddr[i]!]!;
  out[5] = LOCAL_PORTS[rows.localPort[i]!]!;
  out[6] = rows.role[i]!;
  out[7] = 1;
  out[8] = 1;
  out[9] = rows.contentType[i]!;
  out[10] = REQ_HEADERS[rows.reqHeaders[i]!]!;
  out[11] = METHODS[rows.method[i]!]!;
  out[12] = PATHS[rows.path[i]!]!;
  out[13] = reqBody;
  out[14] = reqBody.length;
  out[15] = RESP_HEADERS[rows.respHeaders[i]!]!;
  out[16] = status;
  out[17] = message;
  out[18] = respBody;
  out[19] = respBody.length;
  out[20] = rows.latency[i]!;
  return out;
}

// ---- the processes the rows belong to ----------------------------------------------------

interface Upids {
  readonly list: string[];
  /** The upids of processes running now (this process, the children, pid 1). */
  readonly live: ReadonlySet<string>;
  readonly children: ChildProcess[];
  readonly describe: string;
}

function statOf(pid: number): { pid: number; starttimeTicks: number } | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

async function makeUpids(total: number): Promise<Upids> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < 4; i++) children.push(spawn('sleep', [String(3600 + i)], { stdio: 'ignore' }));
  // Wait until each child has exec'd, so its cmdline is sleep's, not node's.
  for (const c of children) {
    for (let tries = 0; tries < 200; tries++) {
      if (readFileSync(`/proc/${c.pid}/cmdline`, 'utf8').startsWith('sleep')) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const self = statOf(process.pid)!;
  const live = [self, ...children.map((c) => statOf(c.pid!)!)];
  const init = statOf(1);
  if (init) live.push(init);
  const list = live.map(upidOf);
  // A pid reused: this process's pid with an earlier start time, as rows of a process that exited.
  list.push(`${process.pid}:${Math.max(1, Math.floor(self.starttimeTicks / 2))}`);
  const reused = 1;
  const r = seededRandom(7);
  const goneAt = list.length;
  while (list.length < total) {
    const pid = 300 + Math.floor(r() * 32_000);
    if (existsSync(`/proc/${pid}`) || list.some((u) => u.startsWith(`${pid}:`))) continue;
    list.push(`${pid}:${Math.floor(r() * self.starttimeTicks) + 1}`);
  }
  // Spread the live ones over the busy end of the skewed distribution, not all at the top.
  const order = [...list.keys()];
  const positions = [0, 2, 5, 9, 14, 20];
  const shuffled = new Array<string>(list.length);
  const liveIdx = order.slice(0, live.length);
  const rest = order.slice(live.length);
  liveIdx.forEach((k, j) => (shuffled[positions[j]!] = list[k]!));
  let next = 0;
  for (let i = 0; i < shuffled.length; i++) if (shuffled[i] === undefined) shuffled[i] = list[rest[next++]!]!;
  const describe =
    `${list.length} upids: ${live.length} of processes that exist (this process ${list[0]}, 4 \`sleep\` children ${list.slice(1, 5).join(' ')}` +
    `${init ? `, pid 1 ${list[5]}` : ''}), ${reused} of a reused pid (${list[live.length]}: /proc/${process.pid} exists but started later), ` +
    `${list.length - goneAt} of pids that do not exist here`;
  return { list: shuffled, live: new Set(list.slice(0, live.length)), children, describe };
}

// ---- the variants ------------------------------------------------------------------------

interface Variant {
  readonly name: string;
  /** Script arguments for this run (start_time computed per run so every row stays in the window). */
  args(now: bigint): Record<string, string> | undefined;
  /** The window's lower bound for baselines, for a query compiled at `now`. */
  lower(now: bigint): bigint;
  readonly filter: string;
  readonly maxRows: number;
  readonly limits?: QueryLimitsRequest;
}

function variants(rows: Rows): Variant[] {
  // All rows stay inside the window however long the bench runs: '-Ns' reaching the oldest row.
  const seconds = (now: bigint) => (now - rows.oldest) / 1_000_000_000n + 2n;
  const window = { args: (now: bigint) => ({ start_time: `-${seconds(now)}s` }), lower: (now: bigint) => now - seconds(now) * 1_000_000_000n };
  return [
    { name: "defaults (start_time='-5m', path_filter='', max_rows=1000)", args: () => undefined, lower: (now) => now - SPAN_NS, filter: '', maxRows: 1000 },
    {
      name: `path_filter='${FILTER}' (~1% of rows), max_rows=${WIDE}, whole window`,
      args: (now) => ({ ...window.args(now), path_filter: FILTER, max_rows: String(WIDE) }),
      lower: window.lower,
      filter: FILTER,
      maxRows: WIDE,
      limits: { maxResultRows: WIDE },
    },
    {
      name: `no filter, max_rows=${WIDE} (result transfer), whole window`,
      args: (now) => ({ ...window.args(now), max_rows: String(WIDE) }),
      lower: window.lower,
      filter: '',
      maxRows: WIDE,
      limits: { maxResultRows: WIDE },
    },
  ];
}

/** What a path returned: rows as JS values (chdb's as text fields), with the latency column's position. */
interface Answer {
  readonly rows: readonly (readonly CellValue[])[];
  readonly latencyAt: number;
}

interface Outcome {
  readonly rows: number;
  /** Sum of the latency column, to check that two paths returned the same rows. */
  readonly latencySum: bigint;
  readonly result: readonly (readonly CellValue[])[];
}

const LATENCY_AT = 11;
const NO_ROWS: Answer = { rows: [], latencyAt: 0 };

const tableOf = (r: QueryResults): Answer => ({ rows: r.tables[0]?.rows ?? [], latencyAt: LATENCY_AT });

/** Computed after the clock stopped. */
function outcomeOf(a: Answer): Outcome {
  let latencySum = 0n;
  for (const row of a.rows) latencySum += BigInt(row[a.latencyAt]!);
  return { rows: a.rows.length, latencySum, result: a.rows };
}

// ---- the baselines -----------------------------------------------------------------------

/** The floor: the scan, a filter over each batch's path dictionary, per-upid lookups, rows out. */
function handLoop(store: TableStore, md: MetadataView, v: Variant, now: bigint): Answer {
  const names = HTTP_EVENTS.schema.columns.map((c) => c.name);
  const want = ['time_', 'upid', 'remote_addr', 'remote_port', 'trace_role', 'req_method', 'req_path', 'resp_status', 'resp_message', 'latency', 'req_body', 'resp_body'];
  const columns = want.map((c) => names.indexOf(c));
  const pods = new Map<string, string>();
  const cmdlines = new Map<string, string>();
  const out: CellValue[][] = [];
  for (const batch of store.scan('http_events', { columns, startTime: v.lower(now) })) {
    const [time, upid, raddr, rport, role, method, path, status, message, latency, reqBody, respBody] = batch.columns as [Int64Vector, DictVector, DictVector, Int64Vector, Int64Vector, DictVector, DictVector, Int64Vector, DictVector, Int64Vector, DictVector, DictVector];
    const match = new Uint8Array(path.dict.length);
    for (let d = 0; d < path.dict.length; d++) match[d] = path.dict[d]!.includes(v.filter) ? 1 : 0;
    // Lookups once per distinct upid of the query, per dictionary code of the batch.
    const podOf = new Array<string>(upid.dict.length);
    const cmdlineOf = new Array<string>(upid.dict.length);
    for (let d = 0; d < upid.dict.length; d++) {
      const u = upid.dict[d]!;
      let pod = pods.get(u);
      if (pod === undefined) {
        const p = md.process(u);
        pods.set(u, (pod = p?.podId === undefined ? '' : (md.pod(p.podId)?.name ?? '')));
        cmdlines.set(u, p?.cmdline ?? '');
      }
      podOf[d] = pod;
      cmdlineOf[d] = cmdlines.get(u)!;
    }
    for (let i = 0; i < batch.length; i++) {
      if (!match[path.codes[i]!]) continue;
      const u = upid.codes[i]!;
      out.push([
        time.values[i]!,
        upid.dict[u]!,
        podOf[u]!,
        cmdlineOf[u]!,
        raddr.dict[raddr.codes[i]!]!,
        rport.values[i]!,
        role.values[i]!,
        method.dict[method.codes[i]!]!,
        path.dict[path.codes[i]!]!,
        status.values[i]!,
        message.dict[message.codes[i]!]!,
        latency.values[i]!,
        reqBody.dict[reqBody.codes[i]!]!,
        respBody.dict[respBody.codes[i]!]!,
      ]);
      if (out.length === v.maxRows) return { rows: out, latencyAt: LATENCY_AT };
    }
  }
  return { rows: out, latencyAt: LATENCY_AT };
}

interface Chdb {
  Session: new () => { query(q: string, format?: string): string; close(): void };
  version?: () => { chdb: string };
}

const sqlString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const sqlArray = (xs: readonly string[]): string => `[${xs.map(sqlString).join(',')}]`;

class ChdbBaseline {
  private constructor(
    private readonly session: { query(q: string, format?: string): string; close(): void },
    private readonly dir: string,
    readonly version: string,
  ) {}

  static async open(rows: Rows, upids: readonly string[], md: MetadataView): Promise<ChdbBaseline | string> {
    let chdb: Chdb;
    try {
      chdb = (await import('chdb' as string)) as Chdb;
    } catch (e) {
      return `chdb is not installed (${(e as Error).message.split('\n')[0]}); \`npm run bench:http-data\` installs it`;
    }
    const dir = mkdtempSync(join(tmpdir(), 'loupe-http-bench-'));
    const session = new chdb.Session();
    const v = chdb.version?.();
    const self = new ChdbBaseline(session, dir, v ? `chdb ${v.chdb}` : 'chdb');
    // The generator's choices as RowBinary; the INSERT turns them into the same strings loupe stores.
    const file = join(dir, 'rows.bin');
    const fd = openSync(file, 'w');
    const WIDTH = 44;
    const CHUNK = 1 << 15;
    const buf = Buffer.alloc(CHUNK * WIDTH);
    for (let start = 0; start < rows.n; start += CHUNK) {
      const n = Math.min(CHUNK, rows.n - start);
      let o = 0;
      for (let i = start; i < start + n; i++) {
        o = buf.writeBigInt64LE(rows.time[i]!, o);
        o = buf.writeUInt16LE(rows.upid[i]!, o);
        o = buf.writeUInt16LE(rows.remoteAddr[i]!, o);
        o = buf.writeUInt16LE(rows.remotePort[i]!, o);
        o = buf.writeUInt8(rows.localAddr[i]!, o);
        o = buf.writeUInt8(rows.localPort[i]!, o);
        o = buf.writeUInt8(rows.role[i]!, o);
        o = buf.writeUInt8(rows.contentType[i]!, o);
        o = buf.writeUInt8(rows.reqHeaders[i]!, o);
        o = buf.writeUInt8(rows.method[i]!, o);
        o = buf.writeUInt16LE(rows.path[i]!, o);
        o = buf.writeUInt8(rows.reqBodyT[i]!, o);
        o = buf.writeInt32LE(rows.reqBodyId[i]!, o);
        o = buf.writeUInt8(rows.respHeaders[i]!, o);
        o = buf.writeUInt8(rows.status[i]!, o);
        o = buf.writeUInt8(rows.respBodyT[i]!, o);
        o = buf.writeInt32LE(rows.respBodyId[i]!, o);
        o = buf.writeBigInt64LE(rows.latency[i]!, o);
      }
      writeSync(fd, buf, 0, o);
    }
    closeSync(fd);
    const structure =
      't Int64, u UInt16, ra UInt16, rp UInt16, la UInt8, lp UInt8, role UInt8, ct UInt8, rh UInt8, m UInt8, p UInt16, qbt UInt8, qbi Int32, sh UInt8, st UInt8, sbt UInt8, sbi Int32, lat Int64';
    const lc = 'LowCardinality(String)';
    session.query(
      `CREATE TABLE http_events (time_ Int64, upid ${lc}, remote_addr ${lc}, remote_port Int64, local_addr ${lc}, local_port Int64, trace_role Int64, major_version Int64, minor_version Int64, content_type Int64, ` +
        `req_headers ${lc}, req_method ${lc}, req_path ${lc}, req_body String, req_body_size Int64, resp_headers ${lc}, resp_status Int64, resp_message ${lc}, resp_body String, resp_body_size Int64, latency Int64) ENGINE = MergeTree ORDER BY time_`,
    );
    const bodySql = (arr: string, t: string, id: string) => `if(${id} < 0, ${arr}[${t} + 1], replaceOne(${arr}[${t} + 1], '{ID}', toString(${id})))`;
    session.query(
      `INSERT INTO http_events SELECT t, ${sqlArray(upids)}[u + 1], ${sqlArray(REMOTE_ADDRS)}[ra + 1], rp, ${sqlArray(LOCAL_ADDRS)}[la + 1], [${LOCAL_PORTS.join(',')}][lp + 1], role, 1, 1, ct, ` +
        `${sqlArray(REQ_HEADERS)}[rh + 1], ${sqlArray(METHODS)}[m + 1], ${sqlArray(PATHS)}[p + 1], req_body, length(req_body), ${sqlArray(RESP_HEADERS)}[sh + 1], ` +
        `[${STATUSES.map((s) => s[0]).join(',')}][st + 1], ${sqlArray(STATUSES.map((s) => s[1]))}[st + 1], resp_body, length(resp_body), lat ` +
        `FROM (SELECT *, ${bodySql(sqlArray(REQ_BODIES), 'qbt', 'qbi')} AS req_body, ${bodySql(sqlArray(RESP_BODIES), 'sbt', 'sbi')} AS resp_body FROM file('${file}', 'RowBinary', '${structure}'))`,
    );
    session.query('OPTIMIZE TABLE http_events FINAL');
    // pod and cmdline have no SQL equivalent: a constant table read from the same metadata view.
    session.query(`CREATE TABLE procs (upid String, pod String, cmdline String) ENGINE = Memory`);
    const values = upids.map((u) => {
      const p = md.process(u);
      const pod = p?.podId === undefined ? '' : (md.pod(p.podId)?.name ?? '');
      return `(${sqlString(u)}, ${sqlString(pod)}, ${sqlString(p?.cmdline ?? '')})`;
    });
    session.query(`INSERT INTO procs VALUES ${values.join(',')}`);
    return self;
  }

  run(v: Variant, now: bigint, join: boolean): Answer {
    const where = `WHERE e.time_ >= ${v.lower(now)} AND position(e.req_path, ${sqlString(v.filter)}) > 0`;
    const cols = join
      ? 'e.time_, e.upid, p.pod, p.cmdline, e.remote_addr, e.remote_port, e.trace_role, e.req_method, e.req_path, e.resp_status, e.resp_message, e.latency, e.req_body, e.resp_body'
      : 'e.time_, e.upid, e.remote_addr, e.remote_port, e.trace_role, e.req_method, e.req_path, e.resp_status, e.resp_message, e.latency, e.req_body, e.resp_body';
    const from = join ? 'http_events AS e LEFT JOIN procs AS p ON e.upid = p.upid' : 'http_events AS e';
    const text = this.session.query(`SELECT ${cols} FROM ${from} ${where} LIMIT ${v.maxRows} SETTINGS max_threads = 1`, 'TSV');
    // Into JS rows (of text fields), as loupe's client gets its rows.
    const rows = text.length === 0 ? [] : text.slice(0, -1).split('\n').map((line) => line.split('\t'));
    return { rows, latencyAt: join ? LATENCY_AT : LATENCY_AT - 2 };
  }

  close(): void {
    this.session.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---- the distributed setup ---------------------------------------------------------------

async function startCluster(stores: readonly TableStore[]): Promise<QueryCluster | string> {
  let nats: NatsServer;
  try {
    nats = await startNats();
  } catch (e) {
    return (e as Error).message;
  }
  try {
    // Each PEM has its own metadata view, as separate processes would. The long expiry rides out
    // the event-loop stalls of generating rows and of the other paths' runs.
    const cluster = await startQueryCluster(nats.url, stores, { pemMetadata: () => new LocalMetadata(), expiryMs: 60_000 });
    return { ...cluster, stop: async () => { await cluster.stop(); await nats.stop(); } };
  } catch (e) {
    await nats.stop();
    throw e;
  }
}

// ---- main --------------------------------------------------------------------------------

interface Path {
  readonly name: string;
  /** Paths compared with the baselines (compile and execute are parts of "loupe local"). */
  readonly ratio: boolean;
  /** Untimed work before a run (compiling the plan that "loupe execute" runs). */
  prepare?(v: Variant, now: bigint): Promise<void>;
  run(v: Variant, now: bigint): Promise<Answer>;
}

async function main(): Promise<void> {
  const script = resolveScript('px/http_data');
  const upids = await makeUpids(200);
  const cleanups: (() => Promise<void> | void)[] = [() => upids.children.forEach((c) => c.kill('SIGTERM'))];
  try {
    const g0 = performance.now();
    const rows = generate(ROWS, upids.list.length);
    const store = new TableStore({ totalBytes: 4 * 2 ** 30 });
    const pemStores = Array.from({ length: PEMS }, () => new TableStore({ totalBytes: 2 * 2 ** 30 }));
    const table = store.createTable(HTTP_EVENTS.schema);
    const pemTables = pemStores.map((s) => s.createTable(HTTP_EVENTS.schema));
    const scratch = new Array<CellValue>(HTTP_EVENTS.schema.columns.length);
    // Rows of one process live on one node, as upids do.
    for (let i = 0; i < rows.n; i++) {
      rowAt(rows, upids.list, i, scratch);
      table.appendRow(scratch);
      pemTables[rows.upid[i]! % PEMS]!.appendRow(scratch);
    }
    const stats = table.stats();
    let liveRows = 0;
    let checkoutRows = 0;
    for (let i = 0; i < rows.n; i++) {
      if (upids.live.has(upids.list[rows.upid[i]!]!)) liveRows++;
      if (rows.path[i]! >= CHECKOUT_AT) checkoutRows++;
    }
    console.log(`px/http_data over ${rows.n.toLocaleString('en-US')} http_events rows (${stats.batches} sealed batches + ${stats.hotRows} hot rows, ${(stats.bytes / rows.n).toFixed(0)} bytes/row stored), generated in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
    console.log(`  times: the 5 minutes before generation; ${PATHS.length} distinct paths; most bodies unique`);
    console.log(`  ${upids.describe}; ${((100 * liveRows) / rows.n).toFixed(1)}% of rows belong to processes that exist`);
    // No forced gc() between runs: with one before each run, the defaults' compile + execute
    // took 3-6× longer (not bytecode flushing: --no-flush-bytecode changed nothing), which
    // measured the collector's aftermath rather than the query.
    console.log(`  node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${RUNS} runs + 1 warm-up per path, medians`);

    const metadata = new LocalMetadata();
    const resolved = upids.list.filter((u) => (metadata.process(u)?.cmdline ?? '') !== '').length;
    console.log(`  LocalMetadata resolves ${resolved} of the ${upids.list.length} upids to a cmdline; pod is '' for all (no Kubernetes here)`);
    const ch = await ChdbBaseline.open(rows, upids.list, metadata);
    if (typeof ch === 'string') console.log(`chdb: not run: ${ch}`);
    else {
      console.log(`  ${ch.version} loaded the same rows (LowCardinality strings except the bodies; MergeTree ORDER BY time_)`);
      cleanups.push(() => ch.close());
    }

    const standalone = await startServer('127.0.0.1:0', (s) => s.addService(BROKER_SERVICE, localBrokerHandlers({ source: store, metadata })));
    cleanups.push(() => standalone.server.forceShutdown());
    const cluster = await startCluster(pemStores);
    if (typeof cluster === 'string') console.log(`distributed: not run: ${cluster}`);
    else cleanups.push(() => cluster.stop());

    const request = (v: Variant, now: bigint): ScriptRequest => {
      const args = v.args(now);
      return { script: script.text, file: script.name, defaultEntry: script.entry, ...(args ? { args } : {}), ...(v.limits ? { limits: v.limits } : {}) };
    };
    const viaGrpc = async (address: string, req: ScriptRequest) => {
      const client = insecureClient(address);
      try {
        return tableOf(await collectFrames(callStream(client, BROKER_SERVICE.executeScript, req)));
      } finally {
        client.close();
      }
    };
    const tables = () => ({ schemas: (name: string) => store.schema(name), tableNames: store.tableNames() });
    const compile = (v: Variant, now: bigint) => {
      const args = v.args(now);
      return compilePxl(script.text, { ...tables(), now, entry: script.entry, ...(args ? { args } : {}) });
    };
    let compiled: Awaited<ReturnType<typeof compilePxl>> | undefined;
    const paths: Path[] = [
      {
        name: 'loupe compile (compilePxl)',
        ratio: false,
        run: async (v, now) => {
          await compile(v, now);
          return NO_ROWS;
        },
      },
      {
        name: 'loupe execute (plan → rows)',
        ratio: false,
        prepare: async (v, now) => {
          compiled = await compile(v, now);
        },
        run: async (v) => {
          const { plan } = compiled!;
          const results = executePlan(plan, { source: store, metadata, limits: { ...(v.limits?.maxResultRows ? { maxResultRows: v.limits.maxResultRows } : {}) } });
          return tableOf(await collectFrames(resultFrames(results, plan, performance.now())));
        },
      },
      { name: 'loupe local (compile + execute)', ratio: true, run: async (v, now) => tableOf(await collectFrames(runScriptLocally(request(v, now), { source: store, metadata }))) },
      { name: 'loupe gRPC standalone', ratio: true, run: (v, now) => viaGrpc(standalone.address, request(v, now)) },
      ...(typeof cluster === 'string' ? [] : [{ name: `loupe distributed (${PEMS} PEMs)`, ratio: true, run: (v: Variant, now: bigint) => viaGrpc(cluster.brokerAddress, request(v, now)) }]),
      { name: 'hand loop over the scan', ratio: false, run: async (v, now) => handLoop(store, metadata, v, now) },
      ...(typeof ch === 'string'
        ? []
        : [
            { name: 'chdb, no pod/cmdline', ratio: false, run: async (v: Variant, now: bigint) => ch.run(v, now, false) },
            { name: 'chdb + JOIN constant procs', ratio: false, run: async (v: Variant, now: bigint) => ch.run(v, now, true) },
          ]),
    ];

    // For profiling one combination: BENCH_HTTP_VARIANT=N (0-based), BENCH_HTTP_PATHS=substring,...
    const onlyVariant = process.env['BENCH_HTTP_VARIANT'];
    const onlyPaths = process.env['BENCH_HTTP_PATHS']?.split(',');
    if (onlyPaths) paths.splice(0, paths.length, ...paths.filter((p) => onlyPaths.some((o) => p.name.includes(o))));
    const vs = variants(rows).filter((_, i) => onlyVariant === undefined || String(i) === onlyVariant);
    const times = vs.map(() => paths.map(() => [] as number[]));
    const outcomes = vs.map(() => paths.map(() => undefined as Outcome | undefined));
    // Each round runs the paths in a new order, so the garbage one path leaves (collected
    // during whichever runs next) does not always land on the same path.
    const shuffle = seededRandom(99);
    for (let round = 0; round <= RUNS; round++) {
      for (const [vi, v] of vs.entries()) {
        const order = [...paths.keys()];
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(shuffle() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        for (const pi of order) {
          const p = paths[pi]!;
          // The query's now: compile sees the wall clock at this moment too.
          const now = nowNs();
          await p.prepare?.(v, now);
          const t0 = performance.now();
          const answer = await p.run(v, now);
          const ms = performance.now() - t0;
          if (round > 0) times[vi]![pi]!.push(ms);
          if (round === 0) outcomes[vi]![pi] = outcomeOf(answer);
        }
      }
    }

    const at = (name: string) => paths.findIndex((p) => p.name.startsWith(name));
    const [handAt, chAt, chJoinAt, localAt] = [at('hand loop'), at('chdb, no'), at('chdb + JOIN'), at('loupe local')];
    for (const [vi, v] of vs.entries()) {
      const med = paths.map((_, pi) => median(times[vi]![pi]!));
      const out = outcomes[vi]!;
      console.log(`\n${v.name}${v.maxRows === WIDE && v.filter === FILTER ? ` — ${checkoutRows} rows match` : ''}`);
      console.log(`  ${'path'.padEnd(32)} ${'median ms'.padStart(10)} ${'rows'.padStart(7)}   ${'÷chdb'.padStart(7)} ${'÷chdb+join'.padStart(10)} ${'÷hand loop'.padStart(10)}`);
      for (const [pi, p] of paths.entries()) {
        const ratio = (base: number) => (p.ratio && base >= 0 ? `${(med[pi]! / med[base]!).toFixed(2)}×` : '');
        const rowsOut = p.name.startsWith('loupe compile') ? '' : String(out[pi]!.rows);
        console.log(`  ${p.name.padEnd(32)} ${med[pi]!.toFixed(2).padStart(10)} ${rowsOut.padStart(7)}   ${ratio(chAt).padStart(7)} ${ratio(chJoinAt).padStart(10)} ${ratio(handAt).padStart(10)}`);
      }
      // Same answers: the hand loop and loupe return the same rows in the same order; the
      // others the same count (and, when the limit does not cut the scan, the same latencies).
      if (localAt < 0 || handAt < 0) continue;
      const local = out[localAt]!;
      const text = (o: Outcome) => JSON.stringify(o.result, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
      // '-5m' slides between two paths' runs (rows at the old end leave the window), so with the
      // defaults the first 1000 rows differ by a few; the other variants' window holds every row.
      const fixedWindow = v.args(0n) !== undefined;
      const checks = [fixedWindow ? `hand loop ${text(out[handAt]!) === text(local) ? 'same rows' : 'DIFFERENT ROWS'}` : `hand loop ${out[handAt]!.rows === local.rows ? 'agrees' : 'DIFFERS'}`];
      const whole = fixedWindow && local.rows < v.maxRows;
      for (const [pi, p] of paths.entries()) {
        if (pi === localAt || pi === handAt || p.name.startsWith('loupe compile')) continue;
        const o = out[pi]!;
        const ok = o.rows === local.rows && (!whole || o.latencySum === local.latencySum);
        checks.push(`${p.name.split(' (')[0]!.replace('loupe ', '')} ${ok ? 'agrees' : `DIFFERS (${o.rows} rows, latency sum ${o.latencySum} vs ${local.latencySum})`}`);
      }
      console.log(`  checks: ${checks.join('; ')}`);
    }
    console.log('\nratios: loupe time ÷ baseline time (below 1: loupe faster). chdb runs with max_threads=1, its time includes parsing its TSV into JS rows.');
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
