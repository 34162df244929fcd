// `loupe trace`: HTTP traffic of a process, a cgroup or every process, as http_events rows.
import { parseFlags, UsageError } from '../../lib/cli.js';
import { checkPid, parseDuration, resolveCgroup, type CgroupTarget } from '../targets.js';
import { SocketTraceCollector } from './socket-trace-collector.js';
import { HTTP_EVENTS, type HttpEventRow } from '../table-store/schemas.js';

export const TRACE_USAGE = `usage: loupe trace [--pid N | --cgroup PATH] [--duration 10s] [--format table|json] [--body-limit BYTES]
  Records HTTP/1.x requests and responses with eBPF socket tracing (no code changes), on
  every side the traced processes are on (a request between two of them shows twice).
  --pid N          only this process (repeatable)
  --cgroup PATH    only processes in this cgroup v2 directory or below it (absolute, or
                   relative to the cgroup2 mount), including those started after tracing begins
  (neither)        every process but loupe itself
  --duration D     how long to trace (default 10s; Ctrl-C stops early)
  --format F       table (default) or json: one http_events row per line, Pixie column names`;

export interface TraceRequest {
  pids?: number[];
  cgroup?: CgroupTarget;
  durationMs: number;
  format: 'table' | 'json';
  bodyLimitBytes: number;
}

export function parseTraceArgs(args: string[]): TraceRequest {
  const { values } = parseFlags({
    args,
    options: {
      pid: { type: 'string', multiple: true },
      cgroup: { type: 'string' },
      duration: { type: 'string', default: '10s' },
      format: { type: 'string', default: 'table' },
      'body-limit': { type: 'string', default: '1024' },
    },
    strict: true,
  });
  if (values.pid && values.cgroup) throw new UsageError('give --pid or --cgroup, not both', '--pid');
  const pids = values.pid?.map(checkPid);
  const cgroup = values.cgroup !== undefined ? resolveCgroup(values.cgroup) : undefined;
  const durationMs = parseDuration(values.duration!);
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError(`--format ${values.format}: use table or json`, '--format');
  const bodyLimitBytes = Number(values['body-limit']);
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 0) throw new UsageError(`--body-limit ${values['body-limit']}: a number of bytes`, '--body-limit');
  return { ...(pids ? { pids } : {}), ...(cgroup ? { cgroup } : {}), durationMs, format: values.format, bodyLimitBytes };
}

export function rowToJson(r: HttpEventRow): string {
  const out: Record<string, unknown> = {};
  for (const c of HTTP_EVENTS.columns) {
    const v = r[c];
    out[c] = typeof v === 'bigint' ? (c === 'time_' ? v.toString() : Number(v)) : v;
  }
  return JSON.stringify(out);
}

function rowToTable(r: HttpEventRow): string {
  const time = new Date(Number(r.time_ / 1_000_000n)).toISOString();
  return [time, String(r.req_method).padEnd(7), String(r.resp_status).padEnd(4), `${(Number(r.latency) / 1e6).toFixed(2)} ms`.padStart(10), `${r.remote_addr}:${r.remote_port}`.padEnd(22), r.req_path].join('  ');
}

export async function traceCommand(args: string[]): Promise<number> {
  const req = parseTraceArgs(args);
  let collector: SocketTraceCollector;
  try {
    collector = await SocketTraceCollector.start({
      ...(req.pids ? { pids: req.pids } : {}),
      ...(req.cgroup ? { cgroupPath: req.cgroup.path } : {}),
      tracker: { bodyLimitBytes: req.bodyLimitBytes },
      // A look at the processes named, client or server: every side they are on, not Pixie's
      // once-per-request rule of the PEM and standalone tables.
      traceRoles: 'both',
    });
  } catch (err) {
    console.error(`loupe trace: ${(err as Error).message}`);
    return 1;
  }
  const print = (rows: HttpEventRow[]) => {
    for (const r of rows) process.stdout.write(`${req.format === 'json' ? rowToJson(r) : rowToTable(r)}\n`);
  };
  if (req.format === 'table') console.log(['time'.padEnd(24), 'method ', 'stat', '   latency', 'remote'.padEnd(22), 'path'].join('  '));
  const poller = setInterval(() => print(collector.poll().httpEvents), 250);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, req.durationMs);
    const early = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', early);
    process.once('SIGTERM', early);
  });
  clearInterval(poller);
  print((await collector.stop()).httpEvents);
  const c = collector.counters;
  if (c) console.error(`loupe trace: ${c.events} socket events; lost ${c.lostRingbufFull} to a full ring buffer, ${c.budgetDrops} over the per-connection budget; ${c.truncated} truncated`);
  return 0;
}
