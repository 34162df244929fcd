// The upid string rows carry, "tgid:startTicks" (see dataplane/stats/process-stats.ts, which
// formats it with upidOf). The start time makes it unique across pid reuse.

export interface Upid {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks since boot. */
  startTicks: number;
}

const UPID = /^([1-9]\d{0,9}):(\d{1,19})$/;

/** undefined for anything that is not "tgid:startTicks" with decimal numbers. */
export function parseUpid(upid: string): Upid | undefined {
  const m = UPID.exec(upid);
  if (!m) return undefined;
  const pid = Number(m[1]);
  const startTicks = Number(m[2]);
  if (pid > 0x7fffffff || !Number.isSafeInteger(startTicks)) return undefined;
  return { pid, startTicks };
}
