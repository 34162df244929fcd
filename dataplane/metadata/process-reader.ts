// Reads what the metadata service knows about one process from a /proc root: its stat (to
// check the upid's start time, so a reused pid is not mistaken for the process a row meant),
// cmdline and cgroup. The parsers are pure and live beside their file formats.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isGoneOrDenied } from '../stats/proc.js';
import { parseProcStat, upidOf, type ProcStat } from '../stats/process-stats.js';
import { parseCgroupIdentity } from './cgroup.js';
import { parseCmdline } from './cmdline.js';
import type { ProcessInfo } from './types.js';
import type { Upid } from './upid.js';

type Read<T> = { ok: true; value: T } | { ok: false; gone: boolean };

function readFile(path: string): Read<Buffer> {
  try {
    return { ok: true, value: readFileSync(path) };
  } catch (err) {
    if (!isGoneOrDenied(err)) throw err;
    const code = (err as { code?: unknown }).code;
    return { ok: false, gone: code === 'ENOENT' || code === 'ESRCH' };
  }
}

function readStat(dir: string): ProcStat | undefined {
  const r = readFile(join(dir, 'stat'));
  return r.ok ? parseProcStat(r.value.toString('utf8')) : undefined;
}

/**
 * The process `upid` names, or undefined when it no longer runs (or its pid now belongs to a
 * younger process). A cmdline or cgroup that is hidden from us (hidepid, EACCES) reads as
 * empty; a kernel thread or zombie, whose cmdline is empty, shows its comm in brackets, as ps does.
 */
export function readProcess(procRoot: string, upid: Upid): ProcessInfo | undefined {
  const dir = join(procRoot, String(upid.pid));
  const stat = readStat(dir);
  if (!stat || stat.starttimeTicks !== upid.startTicks) return undefined;
  const cmdline = readFile(join(dir, 'cmdline'));
  const cgroup = readFile(join(dir, 'cgroup'));
  if ((!cmdline.ok && cmdline.gone) || (!cgroup.ok && cgroup.gone)) return undefined;
  // The pid may have been reused between the reads: the files above must belong to the same process.
  if (readStat(dir)?.starttimeTicks !== upid.startTicks) return undefined;

  const args = cmdline.ok ? parseCmdline(cmdline.value) : '';
  const identity = cgroup.ok ? parseCgroupIdentity(cgroup.value.toString('utf8')) : {};
  const info: { -readonly [K in keyof ProcessInfo]: ProcessInfo[K] } = {
    upid: upidOf(stat),
    pid: stat.pid,
    cmdline: args !== '' || !cmdline.ok ? args : `[${stat.comm}]`,
  };
  if (identity.containerId) info.containerId = identity.containerId;
  if (identity.podUid) info.podId = identity.podUid;
  return info;
}
