// What `loupe profile` and `loupe trace` (and later the agents) aim at: a process, a cgroup v2
// subtree, for how long. Each check reads the facts it names from /proc and the cgroup file
// system and fails with a message that says what to pass instead.
import { existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../lib/cli.js';
import { parseDurationNs } from '../lib/duration.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface CgroupTarget {
  /** The directory, as found. */
  readonly path: string;
  /** The directory's inode: what the kernel reports as the cgroup's id. */
  readonly id: bigint;
}

/** "10s", "500ms", "2m", "1h30m" or a bare number of seconds -> milliseconds (lib/duration.ts's grammar). */
export function parseDuration(s: string): number {
  const ns = parseDurationNs(s, { bareNumberUnit: 's' });
  if (ns === undefined || ns <= 0n) throw new UsageError(`--duration "${s}": must be a positive duration such as 500ms, 10s or 2m`, '--duration');
  return Math.round(Number(ns) / 1e6);
}

/** A process id that exists and is a process, not one of its threads. */
export function checkPid(s: string): number {
  if (!/^[1-9]\d*$/.test(s)) throw new UsageError(`--pid "${s}": must be a process id (a positive integer)`, '--pid');
  const pid = Number(s);
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    throw new UsageError(`--pid ${pid}: no such process`, '--pid');
  }
  const tgid = Number(/^Tgid:\s*(\d+)/m.exec(status)?.[1] ?? pid);
  if (tgid !== pid) throw new UsageError(`--pid ${pid}: is a thread of process ${tgid}; pass --pid ${tgid}`, '--pid');
  return pid;
}

/** Where cgroup2 is mounted (e.g. /sys/fs/cgroup or, on hybrid hosts, /sys/fs/cgroup/unified). */
export function cgroup2Mount(mounts = readFileSync('/proc/self/mounts', 'utf8')): string | undefined {
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type] = line.split(' ');
    if (type === 'cgroup2' && mountPoint) return mountPoint;
  }
  return undefined;
}

/**
 * A cgroup v2 directory (absolute, or relative to the cgroup2 mount), checked to be one, with its
 * id. The BPF filters take the directory itself (see native-bpf/src/cgroup_filter.h).
 */
export function resolveCgroup(path: string): CgroupTarget {
  const mount = cgroup2Mount();
  const candidates = isAbsolute(path) ? [path] : [resolve(path), ...(mount ? [join(mount, path)] : [])];
  const found = candidates.find((p) => existsSync(p));
  const where = mount ? `cgroup2 is mounted at ${mount}` : 'no cgroup2 file system is mounted here';
  if (!found) throw new UsageError(`--cgroup "${path}": no such directory (${where})`, '--cgroup');
  if (!statSync(found).isDirectory() || statfsSync(found).type !== CGROUP2_SUPER_MAGIC) {
    throw new UsageError(`--cgroup "${path}": not a cgroup v2 directory (${where})`, '--cgroup');
  }
  const below = mount ? relative(mount, resolve(found)) : '';
  if (!mount || below.startsWith('..')) {
    throw new UsageError(`--cgroup "${path}": not under the cgroup2 mount (${where})`, '--cgroup');
  }
  return { path: found, id: statSync(found, { bigint: true }).ino };
}
