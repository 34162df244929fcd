// The data-collection flags `loupe pem` and `loupe standalone` share: which sources run, and
// which processes the socket tracer watches (--pid N,N or --cgroup PATH, checked against /proc
// and the cgroup file system by targets.ts, as `loupe trace` does).
import type { CollectorOptions } from '../collectors/socket-trace-collector.js';
import type { SourceName } from '../pem/collection.js';
import { checkPid, resolveCgroup } from '../targets.js';
import { RoleConfigError } from './settings.js';

export const SOURCES: readonly SourceName[] = ['socket_tracer', 'process_stats', 'network_stats', 'cpu_profiler'];

/** "socket_tracer,process_stats" → the sources; undefined → all (the caller's default). */
export function parseSources(text: string | undefined): SourceName[] | undefined {
  if (text === undefined) return undefined;
  const sources = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = sources.filter((s) => !(SOURCES as readonly string[]).includes(s));
  if (bad.length > 0 || sources.length === 0) throw new RoleConfigError('--sources', `--sources: unknown source ${bad.join(', ') || '(empty)'}; choose from ${SOURCES.join(', ')}`);
  return [...new Set(sources)] as SourceName[];
}

/** What the tracer is pointed at, as written; `resolveTracerTarget` checks it against the host. */
export type TracerTarget = { readonly pids: readonly string[] } | { readonly cgroup: string };

/** --pid (repeatable, each a comma-separated list) or --cgroup; neither → every process. */
export function parseTracerTarget(pid: readonly string[] | undefined, cgroup: string | undefined): TracerTarget | undefined {
  if (pid && cgroup !== undefined) throw new RoleConfigError('--pid', 'give --pid or --cgroup, not both');
  if (cgroup !== undefined) {
    if (cgroup.trim() === '') throw new RoleConfigError('--cgroup', '--cgroup: empty; give a cgroup v2 directory (absolute, or relative to the cgroup2 mount)');
    return { cgroup };
  }
  if (!pid) return undefined;
  const pids = pid.flatMap((p) => p.split(',')).map((p) => p.trim());
  if (pids.some((p) => p === '')) throw new RoleConfigError('--pid', `--pid "${pid.join(',')}": an empty entry; write --pid N or --pid N,N`);
  return { pids };
}

/** The socket tracer's filter: each pid must be a running process, the cgroup a cgroup v2 directory. */
export function resolveTracerTarget(target: TracerTarget | undefined): CollectorOptions | undefined {
  if (!target) return undefined;
  if ('cgroup' in target) {
    const cgroup = resolveCgroup(target.cgroup);
    return { cgroupPath: cgroup.path };
  }
  return { pids: [...new Set(target.pids.map(checkPid))] };
}
