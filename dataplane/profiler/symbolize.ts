// Address -> (name, mapping) for the profiler's frames, built on native-bpf/symbols.ts (ELF
// symbol tables, kallsyms, perf maps). Differs from native-bpf's StackSymbolizer in what the
// profile writers need and what an always-on agent can afford: it keeps the mapping (file,
// offset, build-id) of each frame, resolves each mapping's ELF file once (not one stat per
// frame), and names each distinct (process, address) once, however many stacks share it.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ElfCache, KernelSymbolizer, parseProcMaps, SymbolTable, type ElfFile, type MapEntry } from '../../native-bpf/symbols.js';
import { BuildIdCache, kernelBuildId } from './build-id.js';

/** A file-backed (or anonymous) executable mapping of one process, or the kernel. */
export interface MappingInfo {
  /** Unique within a profile: `${tgid}:${start}` for user mappings, "kernel" for the kernel. */
  key: string;
  start: bigint;
  end: bigint;
  fileOffset: bigint;
  /** Path as the process sees it ("" for anonymous memory), or "[kernel.kallsyms]". */
  path: string;
  /** Lowercase hex; "" when unknown. */
  buildId: string;
}

export interface ResolvedFrame {
  /** Function name, or "file+0xOFFSET" / "0xADDR" when it could not be named. */
  name: string;
  mapping: MappingInfo | undefined;
}

/** Kernel text lives in the upper half of the x86-64 / arm64 address space. */
const KERNEL_MAPPING_START = 0xffff800000000000n;
const KERNEL_MAPPING_END = 0xffffffffffffffffn;

const hex = (a: bigint) => '0x' + a.toString(16);

interface UserMapping {
  entry: MapEntry;
  info: MappingInfo;
  /** Resolved on first use: undefined = not yet, null = not an ELF we can read. */
  elf?: ElfFile | null;
}

/** One process's executable mappings (sorted), its perf map and its resolved frames. */
class ProcessImage {
  private mappings: UserMapping[] = [];
  private loadedAt = 0;
  private perfMap: SymbolTable | null | undefined;
  readonly frames = new Map<bigint, ResolvedFrame>();

  constructor(
    readonly tgid: number,
    private readonly procRoot: string,
  ) {
    this.reload();
  }

  /** Re-reads /proc/PID/maps (after a dlopen, say); keeps the old mappings if the process is gone. */
  reload(): void {
    this.loadedAt = performance.now();
    let text: string;
    try {
      text = readFileSync(`${this.procRoot}/${this.tgid}/maps`, 'utf8');
    } catch {
      return;
    }
    const entries = parseProcMaps(text).filter((e) => e.perms.includes('x'));
    this.mappings = entries.map((entry) => ({
      entry,
      info: { key: `${this.tgid}:${entry.start}`, start: entry.start, end: entry.end, fileOffset: entry.offset, path: entry.path, buildId: '' },
    }));
  }

  /** At most once a second per process, so garbage addresses do not re-read maps every drain. */
  reloadIfStale(): void {
    if (performance.now() - this.loadedAt >= 1000) this.reload();
  }

  find(addr: bigint): UserMapping | undefined {
    let lo = 0;
    let hi = this.mappings.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = this.mappings[mid]!;
      if (addr < m.entry.start) hi = mid - 1;
      else if (addr >= m.entry.end) lo = mid + 1;
      else return m;
    }
    return undefined;
  }

  perfMapLookup(addr: bigint): string | undefined {
    if (this.perfMap === undefined) {
      this.perfMap = null;
      try {
        const entries: { addr: bigint; size: bigint; name: string }[] = [];
        for (const line of readFileSync(`/tmp/perf-${this.tgid}.map`, 'utf8').split('\n')) {
          const m = /^([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(.+)$/.exec(line);
          if (m) entries.push({ addr: BigInt('0x' + m[1]), size: BigInt('0x' + m[2]), name: m[3]! });
        }
        this.perfMap = new SymbolTable(entries);
      } catch {
        // No JIT map: anonymous frames stay addresses.
      }
    }
    return this.perfMap?.lookup(addr, 0n);
  }
}

export class FrameSymbolizer {
  private readonly processes = new Map<number, ProcessImage>();
  private readonly elves = new ElfCache();
  private readonly buildIds = new BuildIdCache();
  private kernelSymbols: KernelSymbolizer | undefined;
  private readonly kernelFrames = new Map<bigint, ResolvedFrame>();
  private kernelInfo: MappingInfo | undefined;

  constructor(private readonly procRoot = '/proc') {}

  /**
   * Snapshot the mappings of a process the first time it is seen, or again when `addr` falls in
   * none of them. Call while the process is alive (right after a drain); naming can come later.
   */
  observe(tgid: number, addr: bigint | undefined): void {
    const p = this.processes.get(tgid);
    if (!p) this.processes.set(tgid, new ProcessImage(tgid, this.procRoot));
    else if (addr !== undefined && !p.find(addr)) p.reloadIfStale();
  }

  /** `isReturnAddress`: a caller's frame, so the call instruction is at addr - 1. */
  user(tgid: number, addr: bigint, isReturnAddress: boolean): ResolvedFrame {
    let p = this.processes.get(tgid);
    if (!p) {
      p = new ProcessImage(tgid, this.procRoot);
      this.processes.set(tgid, p);
    }
    const key = isReturnAddress ? -addr : addr;
    let frame = p.frames.get(key);
    if (!frame) {
      frame = this.resolveUser(p, isReturnAddress && addr > 0n ? addr - 1n : addr, addr);
      p.frames.set(key, frame);
    }
    return frame;
  }

  kernel(addr: bigint, isReturnAddress: boolean): ResolvedFrame {
    const key = isReturnAddress ? -addr : addr;
    let frame = this.kernelFrames.get(key);
    if (!frame) {
      this.kernelSymbols ??= new KernelSymbolizer();
      frame = { name: this.kernelSymbols.symbolize(addr, isReturnAddress), mapping: this.kernelMapping() };
      this.kernelFrames.set(key, frame);
    }
    return frame;
  }

  kernelMapping(): MappingInfo {
    this.kernelInfo ??= { key: 'kernel', start: KERNEL_MAPPING_START, end: KERNEL_MAPPING_END, fileOffset: 0n, path: '[kernel.kallsyms]', buildId: kernelBuildId() ?? '' };
    return this.kernelInfo;
  }

  private resolveUser(p: ProcessImage, a: bigint, addr: bigint): ResolvedFrame {
    const m = p.find(a);
    if (!m || m.entry.inode === 0 || !m.entry.path.startsWith('/')) {
      const name = p.perfMapLookup(a) ?? (m?.entry.path ? `${m.entry.path}+${hex(a - m.entry.start)}` : hex(addr));
      return { name, mapping: m?.info };
    }
    if (m.elf === undefined) {
      // /proc/PID/root/... reaches files inside the process's mount namespace (containers).
      const inRoot = `${this.procRoot}/${p.tgid}/root${m.entry.path}`;
      m.elf = this.elves.get(inRoot) ?? this.elves.get(m.entry.path) ?? null;
      m.info.buildId = this.buildIds.get(inRoot) ?? this.buildIds.get(m.entry.path) ?? '';
    }
    const off = a - m.entry.start + m.entry.offset;
    const vaddr = m.elf?.fileOffsetToVaddr(off);
    const name = vaddr === undefined ? undefined : m.elf!.symbols.lookup(vaddr, 0n);
    return { name: name ?? `${basename(m.entry.path)}+${hex(off)}`, mapping: m.info };
  }
}
