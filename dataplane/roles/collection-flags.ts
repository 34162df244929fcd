// Which processes the socket tracer of `loupe pem` and `loupe standalone` watches: --pid N,N or
// --cgroup PATH (declared in crds/contract/common.ts), checked against /proc and the cgroup file
// system by targets.ts, as `loupe trace` does.
import type { CollectorOptions } from '../collectors/socket-trace-collector.js';
import { UsageError } from '../../lib/cli.js';
import { checkPid, resolveCgroup } from '../targets.js';

/** What the tracer is pointed at, as written; `resolveTracerTarget` checks it against the host. */
export type TracerTarget = { readonly pids: readonly string[] } | { readonly cgroup: string };

/** --pid (already split at commas) or --cgroup; neither → every process. */
export function tracerTarget(pids: readonly string[] | undefined, cgroup: string | undefined): TracerTarget | undefined {
  if (pids && cgroup !== undefined) throw new UsageError('give --pid or --cgroup, not both', '--pid');
  if (cgroup !== undefined) return { cgroup };
  return pids ? { pids } : undefined;
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
