// One profiling session: start the BPF profiler, drain and symbolize periodically until the
// duration ends or the signal aborts, then drain a last time and detach.
import { CpuProfiler, type DrainCounters, type ProfilerInfo, type StartOptions, type UserStackMode } from '../../native-bpf/index.js';
import { sleep, wallClockNs } from '../../lib/clock.js';
import { SampleCollector, type SymbolizedSample } from './samples.js';

export interface SessionOptions {
  frequencyHz: number;
  durationMs: number;
  /** Only this process. */
  pid?: number;
  /** Only tasks in this cgroup v2 directory or below it. */
  cgroupPath?: string;
  /** Default 'ip'; see native-bpf's StartOptions. */
  userStackMode?: UserStackMode;
  /** Default 'auto' (cycles, else cpu-clock); see native-bpf's StartOptions. */
  event?: StartOptions['event'];
  /** Default 1000 ms. */
  drainIntervalMs?: number;
  /** Ends the session early; what was sampled so far is kept. */
  signal?: AbortSignal;
  /** Called once the perf events are attached, with the event chosen. */
  onStarted?: (info: ProfilerInfo) => void;
}

export interface SessionResult {
  info: ProfilerInfo;
  samples: SymbolizedSample[];
  total: number;
  counters: DrainCounters;
  /** ns since the epoch. */
  startedAtNs: bigint;
  durationNs: bigint;
}

export async function runSession(opts: SessionOptions, collector = new SampleCollector()): Promise<SessionResult> {
  const { frequencyHz, durationMs, drainIntervalMs = 1000, signal } = opts;
  const profiler = await CpuProfiler.start({
    frequencyHz,
    ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
    ...(opts.cgroupPath !== undefined ? { cgroupPath: opts.cgroupPath } : {}),
    ...(opts.userStackMode !== undefined ? { userStackMode: opts.userStackMode } : {}),
    ...(opts.event !== undefined ? { event: opts.event } : {}),
  });
  const startedAtNs = wallClockNs();
  const start = performance.now();
  let end = start;
  try {
    opts.onStarted?.(profiler.info);
    const deadline = start + durationMs;
    for (;;) {
      await sleep(Math.min(drainIntervalMs, Math.max(0, deadline - performance.now())), signal);
      // At the end the final drain (which detaches first) takes the rest, so no drain delays the stop.
      if (signal?.aborted || performance.now() >= deadline) break;
      collector.add(await profiler.drain());
    }
  } finally {
    end = performance.now();
    collector.add(await profiler.stop());
  }
  return {
    info: profiler.info,
    samples: collector.samples(),
    total: collector.total,
    counters: profiler.counters!,
    startedAtNs,
    durationNs: BigInt(Math.round((end - start) * 1e6)),
  };
}
