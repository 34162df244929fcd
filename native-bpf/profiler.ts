// The CPU profiler (src/profiler.bpf.c, src/addon.cc): start, drain, stop; a drained batch
// becomes one Stack per (process, user stack, kernel stack), frames as the kernel reports them.
// Naming the frames is symbols.ts; the pipeline that ships (sessions, pprof, folded) is
// dataplane/profiler/.
import { NativeBpfError, requireBpf, type DrainBatch, type DrainCounters, type NativeBpfAddon, type ProfilerHandle, type ProfilerInfo, type StartOptions } from './addon.js';
import { BUILD_ID_SIZE } from './symbols.js';

/** One aggregated stack: frames leaf first, as the kernel reports them. */
export interface Stack {
  tgid: number;
  pid: number;
  comm: string;
  count: number;
  /** Addresses; in build-id mode, file offsets where userFrameStatus[i] is BUILD_ID_FRAME.valid. */
  userFrames: BigUint64Array;
  /** Build-id mode only: 20 bytes per user frame. */
  userBuildIds?: Uint8Array;
  /** Build-id mode only: BUILD_ID_FRAME.valid or .ip per user frame. */
  userFrameStatus?: Uint8Array;
  kernFrames: BigUint64Array;
}

export function batchToStacks(b: DrainBatch): Stack[] {
  const out: Stack[] = [];
  for (let i = 0; i < b.tgids.length; i++) {
    const comm = b.comms.subarray(i * 16, i * 16 + 16);
    const nul = comm.indexOf(0);
    const [from, to] = [b.userFrameStarts[i]!, b.userFrameStarts[i + 1]!];
    out.push({
      tgid: b.tgids[i]!,
      pid: b.pids[i]!,
      comm: comm.toString('utf8', 0, nul < 0 ? 16 : nul),
      count: b.counts[i]!,
      userFrames: b.userFrames.subarray(from, to),
      ...(b.userStackMode === 'build-id'
        ? { userBuildIds: b.userBuildIds.subarray(from * BUILD_ID_SIZE, to * BUILD_ID_SIZE), userFrameStatus: b.userFrameStatus.subarray(from, to) }
        : {}),
      kernFrames: b.kernFrames.subarray(b.kernFrameStarts[i]!, b.kernFrameStarts[i + 1]!),
    });
  }
  return out;
}

/** A running profiler. drain() empties the kernel maps; stop() drains a last time and detaches. */
export class CpuProfiler {
  private stopped = false;
  counters: DrainCounters | undefined;

  /** The perf event sampling runs on and the user stack mode, as started. */
  readonly info: ProfilerInfo;

  private constructor(
    private readonly native: NativeBpfAddon,
    private readonly handle: ProfilerHandle,
  ) {
    this.info = native.profilerInfo(handle);
  }

  /**
   * Fails with the capability message when BPF cannot be used here, with a NativeBpfError
   * (EBPF_LOAD, EPERF_OPEN, EPERF_NO_PMU, ...) when loading or attaching fails, and with a
   * TypeError / RangeError (EINVAL) for bad options.
   */
  static async start(opts: StartOptions): Promise<CpuProfiler> {
    const native = requireBpf();
    const handle = await native.startProfiler(opts).catch((err: Error & { code?: string }) => {
      throw new NativeBpfError(err.code ?? 'EBPF', err.message);
    });
    return new CpuProfiler(native, handle);
  }

  async drain(): Promise<Stack[]> {
    return this.take(await this.native.drain(this.handle));
  }

  /** Detaches, returns what was sampled since the last drain, frees the kernel objects. */
  async stop(): Promise<Stack[]> {
    if (this.stopped) return [];
    this.stopped = true;
    try {
      return this.take(await this.native.drain(this.handle, { final: true }));
    } finally {
      this.native.stopProfiler(this.handle);
    }
  }

  private take(batch: DrainBatch): Stack[] {
    this.counters = batch.counters;
    return batchToStacks(batch);
  }
}
