// Symbolized samples of one interval → stack_traces.beta rows: one per distinct (process,
// stack), the stack folded root first, leaf last, with an id that is equal for equal stacks.
import { createHash } from 'node:crypto';
import type { StackTraceRow } from '../table-store/schemas.js';
import { foldFrames } from './folded.js';
import type { SymbolizedSample } from './samples.js';

/** 63 bits of SHA-1 of the folded stack: positive, stable across processes and restarts. */
export function stackTraceId(folded: string): bigint {
  return createHash('sha1').update(folded).digest().readBigInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
}

export function toStackTraceRows(samples: readonly SymbolizedSample[], upidOf: (tgid: number) => string, timeNs: bigint): StackTraceRow[] {
  // Counts add up in place until the rows are handed out.
  const merged = new Map<string, { -readonly [K in keyof StackTraceRow]: StackTraceRow[K] }>();
  for (const s of samples) {
    const folded = foldFrames(s) || `[${s.comm || 'unknown'}]`;
    const upid = upidOf(s.tgid);
    const key = `${upid} ${folded}`;
    const row = merged.get(key);
    if (row) row.count += BigInt(s.count);
    else merged.set(key, { time_: timeNs, upid, stack_trace_id: stackTraceId(folded), stack_trace: folded, count: BigInt(s.count) });
  }
  return [...merged.values()];
}
