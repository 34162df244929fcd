// PxL executor throughput: 10 M synthetic http_events rows in batches of 8192 (req_path ~200
// distinct dictionary entries, a few resp_status values, int64 latency), grouped by
// (req_path, resp_status) with count, mean(latency) and quantiles(latency), through
// executePlan. The same rows are loaded into chdb (ClickHouse's engine in-process) and the
// same query runs there with max_threads=1, for a per-core ratio. Not a test: no thresholds.
// BENCH_PXL_ROWS overrides the row count.
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowBatch, TableSchema } from '../../dataplane/table-store/types.js';
import { executePlan } from '../../dataplane/pxl/exec/executor.js';
import { collectResults } from '../../dataplane/pxl/exec/results.js';
import { MemoryTableSource, PlanBuilder } from '../../dataplane/pxl/exec/test-support.js';

const ROWS = Number(process.env['BENCH_PXL_ROWS'] ?? 10_000_000);
const BATCH = 8192;
const RUNS = 3;

const SCHEMA: TableSchema = {
  name: 'http_events',
  timeColumn: 'time_',
  columns: [
    { name: 'time_', type: 'time64ns' },
    { name: 'req_path', type: 'string' },
    { name: 'resp_status', type: 'int64' },
    { name: 'latency', type: 'int64', semantic: 'duration_ns' },
  ],
};

const PATHS = Array.from({ length: 200 }, (_, i) => `/api/v1/${['users', 'orders', 'carts', 'items', 'search'][i % 5]}/${i}`);
const STATUSES = [200, 200, 200, 200, 200, 200, 201, 204, 301, 404, 500];

/** xorshift32: the same rows every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface Data {
  readonly batches: RowBatch[];
  /** Per row, for chdb: path index, status, latency, time. */
  readonly pathIdx: Uint8Array;
  readonly status: Int16Array;
  readonly latency: BigInt64Array;
  readonly time: BigInt64Array;
}

function generate(rows: number): Data {
  const r = rng(42);
  const pathIdx = new Uint8Array(rows);
  const status = new Int16Array(rows);
  const latency = new BigInt64Array(rows);
  const time = new BigInt64Array(rows);
  const t0 = 1_700_000_000_000_000_000n;
  for (let i = 0; i < rows; i++) {
    // Skewed paths: a few are hot.
    pathIdx[i] = Math.floor(PATHS.length * r() * r());
    status[i] = STATUSES[Math.floor(r() * STATUSES.length)]!;
    // Log-uniform latency between 50 µs and 2 s.
    latency[i] = BigInt(Math.round(50_000 * Math.exp(r() * Math.log(40_000))));
    time[i] = t0 + BigInt(i) * 1000n;
  }
  // Table-store-like batches: each batch has its own dictionary of the paths it uses.
  const batches: RowBatch[] = [];
  for (let start = 0; start < rows; start += BATCH) {
    const n = Math.min(BATCH, rows - start);
    const local = new Int32Array(PATHS.length).fill(-1);
    const dict: string[] = [];
    const codes = new Uint32Array(n);
    const st = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const p = pathIdx[start + i]!;
      if (local[p]! < 0) {
        local[p] = dict.length;
        dict.push(PATHS[p]!);
      }
      codes[i] = local[p]!;
      st[i] = BigInt(status[start + i]!);
    }
    batches.push({
      length: n,
      columns: [
        { type: 'time64ns', values: time.subarray(start, start + n) },
        { type: 'string', codes, dict },
        { type: 'int64', values: st },
        { type: 'int64', values: latency.subarray(start, start + n) },
      ],
    });
  }
  return { batches, pathIdx, status, latency, time };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (rowsPerS: number): string => `${(rowsPerS / 1e6).toFixed(1)} M rows/s`;

/** One result row per group: key "path|status" → count, mean, p50, p99. */
type Answer = Map<string, { count: number; mean: number; p50: number; p99: number }>;

async function runLoupe(data: Data): Promise<{ wall: number; cpu: number; groups: number; answer: Answer }> {
  const source = new MemoryTableSource().addBatches(SCHEMA, data.batches);
  const p = new PlanBuilder();
  const s = p.source(SCHEMA, ['req_path', 'resp_status', 'latency']);
  const a = p.agg(s, ['req_path', 'resp_status'], [
    ['count', 'count', 'latency'],
    ['mean_latency', 'mean', 'latency'],
    ['latency_quantiles', 'quantiles', 'latency'],
  ]);
  p.sink(a, 'out');
  const plan = p.plan();
  const walls: number[] = [];
  const cpus: number[] = [];
  let groups = 0;
  const answer: Answer = new Map();
  for (let run = 0; run < RUNS + 1; run++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const tables = await collectResults(executePlan(plan, { source, limits: { maxWallTimeMs: 600_000 } }));
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    groups = tables[0]!.rows.length;
    if (run === 0) {
      for (const [path, status, count, mean, q] of tables[0]!.rows) {
        const quantiles = JSON.parse(q as string) as Record<string, number>;
        answer.set(`${path}|${status}`, { count: Number(count), mean: mean as number, p50: quantiles['p50']!, p99: quantiles['p99']! });
      }
      continue; // warm-up
    }
    walls.push(wall);
    cpus.push((c.user + c.system) / 1e6);
  }
  return { wall: median(walls), cpu: median(cpus), groups, answer };
}

/** Counts and means of two answers (quantile definitions differ: ClickHouse samples and interpolates). */
function compare(a: Answer, b: Answer): string {
  if (a.size !== b.size) return `different group counts: ${a.size} vs ${b.size}`;
  let countsDiffer = 0;
  let mean = 0;
  for (const [key, x] of a) {
    const y = b.get(key);
    if (!y) return `group ${key} missing in chdb`;
    if (x.count !== y.count) countsDiffer++;
    mean = Math.max(mean, Math.abs(x.mean - y.mean) / Math.abs(y.mean));
  }
  return `${countsDiffer === 0 ? 'counts equal' : `${countsDiffer} counts differ`}, means within ${mean.toExponential(1)} (relative)`;
}

/** Largest relative error of the answer's p50 and p99 against exact nearest-rank quantiles of the data. */
function quantileError(data: Data, answer: Answer): string {
  const key = (i: number) => `${PATHS[data.pathIdx[i]!]}|${data.status[i]}`;
  const groups = new Map<string, number[]>();
  for (let i = 0; i < ROWS; i++) {
    const k = key(i);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(Number(data.latency[i]!));
  }
  let p50 = 0;
  let p99 = 0;
  for (const [k, values] of groups) {
    const sorted = Float64Array.from(values).sort();
    const exact = (p: number) => sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
    const got = answer.get(k)!;
    p50 = Math.max(p50, Math.abs(got.p50 - exact(0.5)) / exact(0.5));
    p99 = Math.max(p99, Math.abs(got.p99 - exact(0.99)) / exact(0.99));
  }
  return `p50 ${(p50 * 100).toFixed(2)}%, p99 ${(p99 * 100).toFixed(2)}% (bound: 3%)`;
}

interface Chdb {
  Session: new () => { query(q: string, format?: string): string; close(): void };
}

async function runChdb(data: Data): Promise<{ label: string; wall: number; groups: number; answer: Answer }[] | string> {
  let chdb: Chdb;
  try {
    chdb = (await import('chdb' as string)) as Chdb;
  } catch (e) {
    return `chdb is not installed (${(e as Error).message.split('\n')[0]})`;
  }
  const dir = mkdtempSync(join(tmpdir(), 'loupe-pxl-bench-'));
  const session = new chdb.Session();
  try {
    // The same rows as RowBinary: time Int64, path index UInt8, status Int16, latency Int64.
    const file = join(dir, 'rows.bin');
    const fd = openSync(file, 'w');
    const CHUNK = 1 << 16;
    const buf = Buffer.alloc(CHUNK * 19);
    for (let start = 0; start < ROWS; start += CHUNK) {
      const n = Math.min(CHUNK, ROWS - start);
      let o = 0;
      for (let i = start; i < start + n; i++) {
        buf.writeBigInt64LE(data.time[i]!, o);
        buf.writeUInt8(data.pathIdx[i]!, o + 8);
        buf.writeInt16LE(data.status[i]!, o + 9);
        buf.writeBigInt64LE(data.latency[i]!, o + 11);
        o += 19;
      }
      writeSync(fd, buf, 0, o);
    }
    closeSync(fd);
    const paths = `[${PATHS.map((p) => `'${p}'`).join(',')}]`;
    const out: { label: string; wall: number; groups: number; answer: Answer }[] = [];
    for (const [label, type] of [
      ['String', 'String'],
      ['LowCardinality(String)', 'LowCardinality(String)'],
    ] as const) {
      const table = `http_events_${label === 'String' ? 's' : 'lc'}`;
      session.query(`CREATE TABLE ${table} (time_ Int64, req_path ${type}, resp_status Int64, latency Int64) ENGINE = MergeTree ORDER BY time_`);
      session.query(
        `INSERT INTO ${table} SELECT time_, ${paths}[path + 1], status, latency FROM file('${file}', 'RowBinary', 'time_ Int64, path UInt8, status Int16, latency Int64')`,
      );
      session.query(`OPTIMIZE TABLE ${table} FINAL`);
      const q = `SELECT req_path, resp_status, count(), avg(latency), quantiles(0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)(latency) FROM ${table} GROUP BY req_path, resp_status SETTINGS max_threads = 1`;
      const walls: number[] = [];
      let groups = 0;
      const answer: Answer = new Map();
      for (let run = 0; run < RUNS + 1; run++) {
        const t0 = performance.now();
        const res = session.query(q, 'TSV');
        const wall = (performance.now() - t0) / 1000;
        const lines = res.trim().split('\n');
        groups = lines.length;
        if (run > 0) walls.push(wall);
        else {
          for (const line of lines) {
            const [path, status, count, mean] = line.split('\t');
            answer.set(`${path}|${status}`, { count: Number(count), mean: Number(mean), p50: NaN, p99: NaN });
          }
        }
      }
      out.push({ label, wall: median(walls), groups, answer });
    }
    return out;
  } finally {
    session.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const g0 = performance.now();
  const data = generate(ROWS);
  console.log(`generated ${ROWS} rows in ${data.batches.length} batches (${((performance.now() - g0) / 1000).toFixed(1)} s)`);
  console.log('query: groupby(req_path, resp_status).agg(count, mean(latency), quantiles(latency))');
  const loupe = await runLoupe(data);
  console.log(`loupe executor: ${loupe.groups} groups, ${loupe.wall.toFixed(3)} s wall, ${loupe.cpu.toFixed(3)} s CPU`);
  console.log(`  ${fmt(ROWS / loupe.wall)} wall (one thread), ${fmt(ROWS / loupe.cpu)} per CPU-second (includes GC threads)`);
  console.log(`  quantiles against exact nearest-rank values, largest relative error: ${quantileError(data, loupe.answer)}`);
  const ch = await runChdb(data);
  if (typeof ch === 'string') {
    console.log(`chdb: not run: ${ch}`);
    return;
  }
  for (const r of ch) {
    console.log(`chdb (${r.label} key, max_threads=1): ${r.groups} groups, ${r.wall.toFixed(3)} s, ${fmt(ROWS / r.wall)}`);
    const ratio = loupe.wall / r.wall;
    console.log(`  loupe/chdb time ratio: ${ratio.toFixed(2)}× (${ratio <= 1 ? 'loupe faster' : 'chdb faster'}; goal ≤ 3×)`);
    console.log(`  same answers: ${compare(loupe.answer, r.answer)}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
