// The one TypeScript door to the native addon (build/Release/loupe_bpf.node, built by
// `bash native-bpf/build.sh`): loads it, turns drained batches into stacks, folds them; the
// socket tracer (socket-tracer.ts) is re-exported from here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SocketTracerNative } from './socket-tracer.js';
import { BUILD_ID_SIZE, Symbolizer } from './symbols.js';

export { demangle, demangleAll } from './demangle.js';

export * from './socket-tracer.js';

export interface Capabilities {
  ok: boolean;
  capBpf: boolean;
  capPerfmon: boolean;
  capSysAdmin: boolean;
  btf: boolean;
  kernelRelease: string;
  kernelOk: boolean;
  perfEventParanoid: number;
  /** e.g. ["CAP_BPF", "BTF"] */
  missing: string[];
  /** What is missing and how to fix it. */
  message: string;
}

export interface StartOptions {
  /** Samples per second per CPU. */
  frequencyHz: number;
  /** Only this process (tgid). */
  pid?: number;
  /** Only tasks in this cgroup v2 directory or below it (the kernel checks the task's place in the
   * real hierarchy, so this works inside a cgroup namespace too). */
  cgroupPath?: string;
  /**
   * 'ip' (default): user frames are addresses, named through the process's mappings.
   * 'build-id': the kernel reports each user frame as (build-id, file offset) where it can
   * (BPF_F_STACK_BUILD_ID stack maps), else as the address; symbolization finds the file by its
   * build-id among the process's mappings.
   */
  userStackMode?: UserStackMode;
  /**
   * What drives sampling. 'auto' (default): hardware CPU cycles, or the software cpu-clock where
   * there is no hardware PMU (VMs, most containers). 'cycles' fails (NativeBpfError
   * EPERF_NO_PMU) without a PMU; 'cpu-clock' always works.
   */
  event?: 'auto' | PerfEventName;
}

export type UserStackMode = 'ip' | 'build-id';
/** The perf event a running profiler samples on. */
export type PerfEventName = 'cycles' | 'cpu-clock';

export interface ProfilerInfo {
  event: PerfEventName;
  userStackMode: UserStackMode;
}

/** Cumulative since start, except the missing/truncated counts, which are per drain. */
export interface DrainCounters {
  samples: number;
  lostCountsMapFull: number;
  lostUserStacks: number;
  lostKernStacks: number;
  missingStacks: number;
  truncatedUserStacks: number;
  truncatedKernStacks: number;
}

/** One drain: row i is (tgids[i], counts[i]); its frames are *Frames[*FrameStarts[i] .. *FrameStarts[i+1]). */
export interface DrainBatch {
  tgids: Uint32Array;
  pids: Uint32Array;
  counts: Float64Array;
  userStackIds: Int32Array;
  kernStackIds: Int32Array;
  /** 16 bytes per row, NUL-padded. */
  comms: Buffer;
  userFrameStarts: Uint32Array;
  /** Addresses; in build-id mode, file offsets where userFrameStatus is BUILD_ID_FRAME.valid. */
  userFrames: BigUint64Array;
  /** Build-id mode: 20 bytes per user frame (zeros where the status is not valid); empty in ip mode. */
  userBuildIds: Uint8Array;
  /** Build-id mode: BUILD_ID_FRAME.valid or .ip per user frame; empty in ip mode. */
  userFrameStatus: Uint8Array;
  userStackMode: UserStackMode;
  event: PerfEventName;
  kernFrameStarts: Uint32Array;
  kernFrames: BigUint64Array;
  counters: DrainCounters;
}

declare const profilerHandleBrand: unique symbol;
export type ProfilerHandle = { readonly [profilerHandleBrand]: true };

export interface NativeBpfAddon extends SocketTracerNative {
  capabilities(): Capabilities;
  startProfiler(opts: StartOptions): Promise<ProfilerHandle>;
  profilerInfo(handle: ProfilerHandle): ProfilerInfo;
  /** final: detach the perf events first, then read both slots, so no sample is left behind. */
  drain(handle: ProfilerHandle, opts?: { final?: boolean }): Promise<DrainBatch>;
  stopProfiler(handle: ProfilerHandle): void;
  /** Itanium C++ names ("_Z...") demangled; anything else returned as it is. */
  demangle(names: string[]): string[];
}

export class NativeBpfError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}; ${hint}` : message);
    this.name = 'NativeBpfError';
  }
}

let addon: NativeBpfAddon | undefined;

/** The addon, loaded once. Throws NativeBpfError ADDON_NOT_BUILT when it is missing. */
export function loadAddon(): NativeBpfAddon {
  if (addon) return addon;
  const candidates = [
    process.env.LOUPE_NATIVE_BPF_ADDON,
    // from dist/native-bpf/index.js
    fileURLToPath(new URL('../../native-bpf/build/Release/loupe_bpf.node', import.meta.url)),
    // from native-bpf/index.ts run in place
    fileURLToPath(new URL('./build/Release/loupe_bpf.node', import.meta.url)),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new NativeBpfError(
      'ADDON_NOT_BUILT',
      `the native BPF addon is not built (looked for ${candidates.join(', ')})`,
      'run `bash native-bpf/build.sh`',
    );
  }
  addon = createRequire(import.meta.url)(found) as NativeBpfAddon;
  return addon;
}

export function capabilities(): Capabilities {
  return loadAddon().capabilities();
}

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
    const native = loadAddon();
    const caps = native.capabilities();
    if (!caps.ok) throw new NativeBpfError('BPF_UNAVAILABLE', caps.message);
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

/** Turns a stack's frames into names; one instance per profile so ELF files are parsed once. */
export class StackSymbolizer {
  constructor(readonly symbolizer = new Symbolizer()) {}

  /** Frames root first: user frames, then kernel frames suffixed `_[k]`. Call while the process is alive. */
  frames(s: Stack): string[] {
    this.symbolizer.observe(s.tgid, Symbolizer.firstAddress(s));
    const out: string[] = [];
    for (let i = s.userFrames.length - 1; i >= 0; i--) out.push(this.symbolizer.userFrame(s, i).name);
    for (let i = s.kernFrames.length - 1; i >= 0; i--) out.push(this.symbolizer.kernel(s.kernFrames[i]!, i > 0).name + '_[k]');
    return out;
  }
}

/** Folded stacks ("comm;root;...;leaf count" per line, Brendan Gregg's format), identical stacks merged. */
export class FoldedStacks {
  private readonly merged = new Map<string, number>();

  constructor(private readonly symbolizer = new StackSymbolizer()) {}

  /** Symbolizes now: call it right after a drain, while the processes still exist. */
  add(stacks: Stack[]): void {
    for (const s of stacks) {
      const frames = this.symbolizer.frames(s).map((f) => f.replace(/;/g, ':'));
      const line = [s.comm.replace(/[;\s]/g, '_') || '[unknown]', ...frames].join(';');
      this.merged.set(line, (this.merged.get(line) ?? 0) + s.count);
    }
  }

  /** Most frequent first. */
  toString(): string {
    return [...this.merged.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([line, n]) => `${line} ${n}`)
      .join('\n');
  }
}

export function foldStacks(stacks: Stack[], symbolizer?: StackSymbolizer): string {
  const folded = new FoldedStacks(symbolizer);
  folded.add(stacks);
  return folded.toString();
}

export interface ProfileResult {
  /** The perf event sampling ran on. */
  event: PerfEventName;
  stacks: Stack[];
  folded: string;
  samples: number;
  counters: DrainCounters;
}

/** Profiles for `durationMs`, draining (and symbolizing) every `drainIntervalMs`. */
export async function profile(
  opts: StartOptions & { durationMs: number; drainIntervalMs?: number },
): Promise<ProfileResult> {
  const { durationMs, drainIntervalMs = 1000, ...start } = opts;
  const profiler = await CpuProfiler.start(start);
  const stacks: Stack[] = [];
  const folded = new FoldedStacks();
  const take = (batch: Stack[]): void => {
    stacks.push(...batch);
    folded.add(batch);
  };
  try {
    const deadline = Date.now() + durationMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(drainIntervalMs, Math.max(0, deadline - Date.now()))));
      take(await profiler.drain());
    }
  } finally {
    take(await profiler.stop());
  }
  return {
    event: profiler.info.event,
    stacks,
    folded: folded.toString(),
    samples: stacks.reduce((n, s) => n + s.count, 0),
    counters: profiler.counters!,
  };
}
