// `process_stats` rows (declared in table-store/schemas.ts) from /proc/PID/stat and /proc/PID/io.
// Parsing is pure (text in, fields out); ProcessStatsReader does the reading from a /proc root.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wallClockNs } from '../../lib/clock.js';
import type { ProcessStatsRow } from '../table-store/schemas.js';
import { hostKernelConstants, isGoneOrDenied, listPids, ProcParseError, type Clock, type KernelConstants } from './proc.js';

/** The fields of /proc/PID/stat that process_stats uses (proc(5) numbering in the comments). */
export interface ProcStat {
  pid: number; // 1
  comm: string; // 2
  state: string; // 3
  ppid: number; // 4
  minorFaults: number; // 10 minflt
  majorFaults: number; // 12 majflt
  utimeTicks: number; // 14
  stimeTicks: number; // 15
  numThreads: number; // 20
  starttimeTicks: number; // 22, since boot
  vsizeBytes: number; // 23
  rssPages: number; // 24
}

/** Parses /proc/PID/stat. The comm may hold spaces and parentheses: it ends at the last ")". */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ProcParseError('/proc/PID/stat', 'no "(comm)" field');
  const pid = Number(text.slice(0, open).trim());
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const rest = text.slice(close + 1).trim().split(/\s+/);
  if (!Number.isInteger(pid) || rest.length < 22) throw new ProcParseError('/proc/PID/stat', `expected at least 24 fields, got ${rest.length + 2}`);
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isFinite(v)) throw new ProcParseError('/proc/PID/stat', `field ${n} is "${rest[n - 3]}", not a number`);
    return v;
  };
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: field(4),
    minorFaults: field(10),
    majorFaults: field(12),
    utimeTicks: field(14),
    stimeTicks: field(15),
    numThreads: field(20),
    starttimeTicks: field(22),
    vsizeBytes: field(23),
    rssPages: field(24),
  };
}

export interface ProcIo {
  rchar: number;
  wchar: number;
  readBytes: number;
  writeBytes: number;
}

/** Parses /proc/PID/io ("key: value" lines). */
export function parseProcIo(text: string): ProcIo {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s*(\d+)\s*$/.exec(line);
    if (m) values.set(m[1]!, Number(m[2]));
  }
  const get = (key: string): number => {
    const v = values.get(key);
    if (v === undefined) throw new ProcParseError('/proc/PID/io', `no "${key}" line`);
    return v;
  };
  return { rchar: get('rchar'), wchar: get('wchar'), readBytes: get('read_bytes'), writeBytes: get('write_bytes') };
}

export function upidOf(stat: Pick<ProcStat, 'pid' | 'starttimeTicks'>): string {
  return `${stat.pid}:${stat.starttimeTicks}`;
}

/** `tgid:starttime`, stable across pid reuse; falls back to `tgid:0` once the process is gone. */
export function upidFor(tgid: number, cache: Map<number, string>): string {
  let upid = cache.get(tgid);
  if (!upid) {
    try {
      upid = upidOf(parseProcStat(readFileSync(`/proc/${tgid}/stat`, 'utf8')));
    } catch {
      upid = `${tgid}:0`;
    }
    cache.set(tgid, upid);
  }
  return upid;
}

/** One row from parsed files; `io` undefined when /proc/PID/io could not be read. */
export function toProcessStatsRow(stat: ProcStat, io: ProcIo | undefined, k: KernelConstants, time: bigint): ProcessStatsRow {
  const tickNs = 1e9 / k.clockTicksPerSecond;
  return {
    time_: time,
    upid: upidOf(stat),
    major_faults: stat.majorFaults,
    minor_faults: stat.minorFaults,
    cpu_utime_ns: Math.round(stat.utimeTicks * tickNs),
    cpu_ktime_ns: Math.round(stat.stimeTicks * tickNs),
    num_threads: stat.numThreads,
    vsize_bytes: stat.vsizeBytes,
    rss_bytes: stat.rssPages * k.pageSizeBytes,
    rchar_bytes: io?.rchar ?? 0,
    wchar_bytes: io?.wchar ?? 0,
    read_bytes: io?.readBytes ?? 0,
    write_bytes: io?.writeBytes ?? 0,
  };
}

export interface ProcessStatsReaderOptions {
  /** Default /proc; a fixture directory in tests, /host/proc in a container. */
  procRoot?: string;
  /** Default: this kernel's, from /proc/self/auxv. */
  kernel?: KernelConstants;
  clock?: Clock;
}

export class ProcessStatsReader {
  private readonly procRoot: string;
  private readonly kernel: KernelConstants;
  private readonly clock: Clock;

  constructor(opts: ProcessStatsReaderOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.kernel = opts.kernel ?? hostKernelConstants();
    this.clock = opts.clock ?? wallClockNs;
  }

  /** One row per pid (default: every process under the root); processes that exit meanwhile are skipped. */
  read(pids?: number[]): ProcessStatsRow[] {
    const time = this.clock();
    const rows: ProcessStatsRow[] = [];
    for (const pid of pids ?? listPids(readdirSync(this.procRoot))) {
      const row = this.readPid(pid, time);
      if (row) rows.push(row);
    }
    return rows;
  }

  /** undefined when the process does not exist (any more). */
  readPid(pid: number, time = this.clock()): ProcessStatsRow | undefined {
    let statText: string;
    try {
      statText = readFileSync(join(this.procRoot, String(pid), 'stat'), 'utf8');
    } catch (err) {
      if (isGoneOrDenied(err)) return undefined;
      throw err;
    }
    let io: ProcIo | undefined;
    try {
      io = parseProcIo(readFileSync(join(this.procRoot, String(pid), 'io'), 'utf8'));
    } catch (err) {
      if (!isGoneOrDenied(err)) throw err;
    }
    return toProcessStatsRow(parseProcStat(statText), io, this.kernel, time);
  }
}
