// What process_stats and network_stats share: the /proc root, the row clock, the error class,
// and the kernel constants (clock tick, page size) read from the auxiliary vector.
import { readFileSync } from 'node:fs';

/** A /proc file did not have the expected shape. */
export class ProcParseError extends Error {
  readonly code = 'PROC_PARSE';
  constructor(
    /** Which file, e.g. "/proc/PID/stat". */
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ProcParseError';
  }
}

/** Wall-clock time in nanoseconds since the epoch (the `time_` column). */
export type Clock = () => bigint;

/** The kernel's USER_HZ (unit of the tick counters in /proc/PID/stat) and page size. */
export interface KernelConstants {
  clockTicksPerSecond: number;
  pageSizeBytes: number;
}

const AT_PAGESZ = 6n;
const AT_CLKTCK = 17n;

/** Reads AT_CLKTCK and AT_PAGESZ from an auxiliary vector (pairs of native-endian u64). */
export function parseAuxv(buf: Buffer): KernelConstants {
  let clockTicksPerSecond: number | undefined;
  let pageSizeBytes: number | undefined;
  for (let o = 0; o + 16 <= buf.length; o += 16) {
    const key = buf.readBigUInt64LE(o);
    const value = Number(buf.readBigUInt64LE(o + 8));
    if (key === AT_CLKTCK) clockTicksPerSecond = value;
    else if (key === AT_PAGESZ) pageSizeBytes = value;
    else if (key === 0n) break;
  }
  if (!clockTicksPerSecond || !pageSizeBytes) throw new ProcParseError('auxv', 'no AT_CLKTCK or AT_PAGESZ entry');
  return { clockTicksPerSecond, pageSizeBytes };
}

let host: KernelConstants | undefined;

/** This kernel's constants, from /proc/self/auxv (read once). */
export function hostKernelConstants(): KernelConstants {
  host ??= parseAuxv(readFileSync('/proc/self/auxv'));
  return host;
}

/** The numeric entries of a /proc root, ascending. */
export function listPids(entries: string[]): number[] {
  return entries
    .filter((e) => /^[1-9]\d*$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
}

/** True for the errors a process that exited (or hid its files) causes mid-read. */
export function isGoneOrDenied(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM';
}
