// The native addon's boundary (build/Release/loupe_bpf.node, built by `bash native-bpf/build.sh`):
// what crosses Node-API (options, drained batches, counters, handles), loading the addon once,
// and the capability check. Internal: everything outside native-bpf/ imports index.ts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What capabilities() reports: whether BPF can be used here, and if not, what is missing. */
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

// ---------------------------------------------------------------- CPU profiler (src/addon.cc)
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

// ---------------------------------------------------------------- socket tracer (src/tracer.cc)
export interface TracerOptions {
  /** Only these processes (tgids, as the host sees them); omit to trace every process but this one. */
  pids?: number[];
  /** Instead of pids: only tasks in this cgroup v2 directory or below it, including processes started later. */
  cgroupPath?: string;
  /** Payload bytes kept per data event, 1..8192 (default 4096); longer calls are truncated. */
  maxEventBytes?: number;
  /** Payload bytes kept per connection (default 16 MiB); later data events are dropped and counted. */
  connBudgetBytes?: number;
  /** Ring buffer size: a power of two, at least 4096 (default 8 MiB). */
  ringBytes?: number;
  /** Events held between drains before the addon drops (and counts) new ones (default 64 MiB). */
  maxPendingBytes?: number;
  /** Diagnostics: attach to sys_exit but return at once, capturing nothing. What is
   * left is the kernel's own cost of running hooks on every syscall (benchmarks compare it). */
  hooksOnly?: boolean;
  /** Diagnostics: count the sys_exit program's runs and time them (turns the kernel's BPF
   * run-time statistics on, for every program on the machine, while this tracer runs); the
   * counters then carry programRuns and programRunTimeNs. */
  measureProgramTime?: boolean;
}

/** Cumulative since start. Every way an event can go missing has its own counter. */
export interface TracerCounters {
  /** Records the kernel put into the ring buffer. */
  events: number;
  /** Records the poller thread took out of it (equals `events` once the tracer is stopped). */
  received: number;
  /** Records dropped in the kernel: ring buffer full. */
  lostRingbufFull: number;
  /** Records dropped in the addon: more than maxPendingBytes waited for a drain. */
  lostUserBuffer: number;
  /** Records shorter than their header claims (never expected). */
  malformed: number;
  /** Close events the addon added for connections of processes that exited without close()
   * (found about once a second); these are not ring-buffer records. */
  exitCloses: number;
  /** Data events whose payload is shorter than what the syscall moved (per-event cap, iovec limit, budget). */
  truncated: number;
  /** Data events not emitted because their connection's byte budget was spent. */
  budgetDrops: number;
  /** Connections not tracked: the kernel connection table was full. */
  connTableFull: number;
  /** Payload copies from user memory that failed. */
  readFailed: number;
  /** x86 32-bit syscalls (int 0x80, sysenter) of traced processes whose number is that of a traced
   * 64-bit syscall: not decoded (ia32 numbers and argument layouts differ) and skipped. */
  compatSkipped: number;
  /** With measureProgramTime: runs of the sys_exit program (one per syscall of any process). */
  programRuns?: number;
  /** With measureProgramTime: their total run time, ns. */
  programRunTimeNs?: number;
}

/** One drain as the addon returns it: row i of every column is event i; its payload is
 * payload[payloadOffsets[i] .. payloadOffsets[i + 1]). */
export interface TracerBatch {
  kinds: Uint8Array;
  roles: Uint8Array;
  directions: Uint8Array;
  syscalls: Uint8Array;
  /** open: 1 when the kernel captures no payload for the connection past its first
   * SOCK_DETECT_BYTES (a client side whose remote end is in the inside networks). */
  noPayload: Uint8Array;
  families: Uint16Array;
  sockTypes: Uint16Array;
  localPorts: Uint16Array;
  remotePorts: Uint16Array;
  tgids: Uint32Array;
  fds: Int32Array;
  generations: Float64Array;
  /** data: bytes the syscall moved; close: bytes sent over the connection's life. */
  sizes: Float64Array;
  /** data: stream offset of the event's first byte in its direction; close: bytes received. */
  positions: Float64Array;
  /** CLOCK_MONOTONIC ns at syscall exit. */
  timestamps: BigUint64Array;
  /** 16 bytes per row (IPv4 in the first 4). */
  localAddrs: Uint8Array;
  remoteAddrs: Uint8Array;
  payloadOffsets: Uint32Array;
  payload: Buffer;
  counters: TracerCounters;
  /** True once stopTracer finished: this batch holds the last events. */
  stopped: boolean;
}

declare const tracerHandleBrand: unique symbol;
export type TracerHandle = { readonly [tracerHandleBrand]: true };

/** The native side of the tracer (part of the addon, see NativeBpfAddon). */
export interface SocketTracerNative {
  startTracer(opts: TracerOptions): Promise<TracerHandle>;
  /** Synchronous: moves the events the poller thread collected since the last drain. */
  drainTracer(handle: TracerHandle): TracerBatch;
  /** Synchronous: replaces the inside networks with `keys` (20 bytes each: prefix length, 16 address bytes); returns how many are installed. */
  setTracerInsideNets(handle: TracerHandle, keys: Uint8Array): number;
  /** Detaches, reads the ring buffer to its end and frees the kernel objects; drain once more afterwards. */
  stopTracer(handle: TracerHandle): Promise<void>;
}

export interface NativeBpfAddon extends SocketTracerNative {
  capabilities(): Capabilities;
  startProfiler(opts: StartOptions): Promise<ProfilerHandle>;
  profilerInfo(handle: ProfilerHandle): ProfilerInfo;
  /** final: detach the perf events first, then read both slots, so no sample is left behind. */
  drain(handle: ProfilerHandle, opts?: { final?: boolean }): Promise<DrainBatch>;
  stopProfiler(handle: ProfilerHandle): void;
  /** Itanium C++ names ("_Z...") demangled; anything else returned as it is. */
  demangle(names: string[]): string[];
  /** The version of the Node headers the addon was compiled against, e.g. "24.22.3". */
  readonly nodeHeaders: string;
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
    // from dist/native-bpf/addon.js
    fileURLToPath(new URL('../../native-bpf/build/Release/loupe_bpf.node', import.meta.url)),
    // from native-bpf/addon.ts run in place
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

/** The addon, once the capability check passed; else NativeBpfError BPF_UNAVAILABLE saying what is missing. */
export function requireBpf(): NativeBpfAddon {
  const native = loadAddon();
  const caps = native.capabilities();
  if (!caps.ok) throw new NativeBpfError('BPF_UNAVAILABLE', caps.message);
  return native;
}

