// Address -> function name for the profiler's frames: the one reader of /proc/PID/maps, ELF
// files (PT_LOAD segments, .symtab/.dynsym, the GNU build-id note), /tmp/perf-PID.map and
// /proc/kallsyms.
// User frames: the mapping holding the address gives the file and file offset, the ELF's PT_LOAD
// segments turn that into a link-time address, and .symtab names it: the file's own, else that of
// its separate debug file by build-id (/usr/lib/debug/.build-id/xx/rest.debug, e.g. libc6-dbg),
// else the file's .dynsym (exported functions only). Frames the
// kernel reports as (build-id, file offset) are placed through the mapping whose file carries that
// build-id. Anonymous executable memory is looked up in /tmp/perf-PID.map (JITs such as node
// --perf-basic-prof). Kernel frames: /proc/kallsyms. C++ names are demangled; there is no DWARF
// (inlined functions, file:line) yet: that belongs to the profiling pipeline's symbolizer.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { demangle as addonDemangle } from './demangle.js';

/** One line of /proc/PID/maps. */
export interface MapEntry {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  inode: number;
  path: string;
}

export function parseProcMaps(text: string): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+([0-9a-f]+)\s+\S+\s+(\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]),
      perms: m[3]!,
      offset: BigInt('0x' + m[4]),
      inode: Number(m[5]),
      path: m[6]!.trim(),
    });
  }
  return out;
}

/** A sorted table of [start, size) -> name ranges with binary search. */
export class SymbolTable {
  private readonly starts: BigUint64Array;
  private readonly sizes: BigUint64Array;
  private readonly names: string[];

  constructor(entries: { addr: bigint; size: bigint; name: string }[]) {
    const sorted = [...entries].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    this.starts = new BigUint64Array(sorted.length);
    this.sizes = new BigUint64Array(sorted.length);
    this.names = new Array<string>(sorted.length);
    sorted.forEach((e, i) => {
      this.starts[i] = e.addr;
      this.sizes[i] = e.size;
      this.names[i] = e.name;
    });
  }

  get size(): number {
    return this.names.length;
  }

  /**
   * The symbol containing addr. A symbol of size 0 (kallsyms gives no sizes) extends to the
   * next symbol; `maxGap` bounds how far, so an address past the last symbol stays unnamed.
   */
  lookup(addr: bigint, maxGap = 1n << 20n): string | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= addr) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // Several symbols may share an address (aliases); any containing one will do, so walk back
    // over zero-size or too-short neighbours to a sized symbol that covers addr.
    for (let i = found; i >= 0 && this.starts[i] === this.starts[found]; i--) {
      const size = this.sizes[i]!;
      if (size > 0n && addr < this.starts[i]! + size) return this.names[i];
    }
    if (found >= 0 && this.sizes[found] === 0n && addr - this.starts[found]! < maxGap) return this.names[found];
    return undefined;
  }
}

const PT_LOAD = 1;
const PT_NOTE = 4;
const SHT_SYMTAB = 2;
/** Where distributions install separate debug files (DIR/.build-id/xx/rest.debug). */
export const DEFAULT_DEBUG_DIRS: readonly string[] = ['/usr/lib/debug'];
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const NT_GNU_BUILD_ID = 3;

/** The GNU build-id (lowercase hex) in a buffer of ELF notes, or undefined. */
export function buildIdFromNotes(notes: Buffer, align = 4): string | undefined {
  const pad = (n: number) => (n + align - 1) & ~(align - 1);
  let o = 0;
  while (o + 12 <= notes.length) {
    const namesz = notes.readUInt32LE(o);
    const descsz = notes.readUInt32LE(o + 4);
    const type = notes.readUInt32LE(o + 8);
    const nameAt = o + 12;
    const descAt = nameAt + pad(namesz);
    if (descAt + descsz > notes.length) return undefined;
    if (type === NT_GNU_BUILD_ID && namesz === 4 && notes.toString('latin1', nameAt, nameAt + 3) === 'GNU') {
      return notes.toString('hex', descAt, descAt + descsz);
    }
    o = descAt + pad(descsz);
  }
  return undefined;
}

/** The running kernel's build-id; undefined where /sys/kernel/notes is not readable. */
export function kernelBuildId(): string | undefined {
  try {
    return buildIdFromNotes(readFileSync('/sys/kernel/notes'));
  } catch {
    return undefined;
  }
}

/** The kernel reports build-ids in a fixed 20-byte field, zero-padded: the same form, in hex. */
export function kernelFormBuildId(buildId: string): string {
  return buildId.padEnd(40, '0').slice(0, 40);
}

interface LoadSegment {
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
}

interface SymbolSection {
  offset: bigint;
  size: bigint;
  entsize: bigint;
  strOffset: bigint;
  strSize: bigint;
}

type Reader = (pos: bigint, len: number) => Buffer;

function withFile<T>(path: string, fn: (read: Reader) => T): T {
  const fd = openSync(path, 'r');
  try {
    return fn((pos, len) => {
      const b = Buffer.alloc(len);
      const n = readSync(fd, b, 0, len, Number(pos));
      if (n !== len) throw new Error(`${path}: short read at ${pos}`);
      return b;
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * One ELF64 little-endian file (read, never mapped): load segments and build-id when opened,
 * function symbols on first use (most mappings are only asked for their build-id).
 */
export class ElfFile {
  private table: SymbolTable | undefined;

  private constructor(
    readonly path: string,
    readonly segments: LoadSegment[],
    /** Lowercase hex; "" when the file has no GNU build-id note. */
    readonly buildId: string,
    private readonly symbolSection: SymbolSection | undefined,
    /** Whether the symbols come from .symtab (every function) rather than .dynsym (exported ones). */
    readonly hasSymtab: boolean,
    private readonly debugDirs: readonly string[],
  ) {}

  /**
   * Parses `path`; undefined if it is not a readable ELF64 little-endian file. `debugDirs`: where
   * to look for a separate debug file (DIR/.build-id/xx/rest.debug, as libc6-dbg and other -dbg or
   * -dbgsym packages install them) when the file itself has no .symtab.
   */
  static open(path: string, debugDirs: readonly string[] = []): ElfFile | undefined {
    try {
      return withFile(path, (read) => ElfFile.parse(path, read, debugDirs));
    } catch {
      return undefined;
    }
  }

  private static parse(path: string, read: Reader, debugDirs: readonly string[]): ElfFile | undefined {
    const eh = read(0n, 64);
    if (eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) return undefined;
    const phoff = eh.readBigUInt64LE(0x20);
    const shoff = eh.readBigUInt64LE(0x28);
    const phentsize = eh.readUInt16LE(0x36);
    const phnum = eh.readUInt16LE(0x38);
    const shentsize = eh.readUInt16LE(0x3a);
    const shnum = eh.readUInt16LE(0x3c);

    const segments: LoadSegment[] = [];
    let buildId = '';
    if (phnum > 0) {
      const ph = read(phoff, phentsize * phnum);
      for (let i = 0; i < phnum; i++) {
        const o = i * phentsize;
        const type = ph.readUInt32LE(o);
        if (type === PT_LOAD) {
          segments.push({ offset: ph.readBigUInt64LE(o + 8), vaddr: ph.readBigUInt64LE(o + 16), filesz: ph.readBigUInt64LE(o + 32) });
        } else if (type === PT_NOTE && !buildId) {
          const size = Number(ph.readBigUInt64LE(o + 32));
          if (size <= 0 || size >= 1 << 20) continue;
          const align = ph.readBigUInt64LE(o + 48) === 8n ? 8 : 4;
          buildId = buildIdFromNotes(read(ph.readBigUInt64LE(o + 8), size), align) ?? '';
        }
      }
    }

    const sections: { type: number; offset: bigint; size: bigint; link: number; entsize: bigint }[] = [];
    if (shnum > 0 && shoff > 0n) {
      const sh = read(shoff, shentsize * shnum);
      for (let i = 0; i < shnum; i++) {
        const o = i * shentsize;
        sections.push({
          type: sh.readUInt32LE(o + 4),
          offset: sh.readBigUInt64LE(o + 24),
          size: sh.readBigUInt64LE(o + 32),
          link: sh.readUInt32LE(o + 40),
          entsize: sh.readBigUInt64LE(o + 56),
        });
      }
    }
    // .symtab has every function; stripped files keep only .dynsym.
    const symtab = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
    const strtab = symtab && symtab.size > 0n ? sections[symtab.link] : undefined;
    const symbolSection = symtab && strtab ? { offset: symtab.offset, size: symtab.size, entsize: symtab.entsize, strOffset: strtab.offset, strSize: strtab.size } : undefined;
    return new ElfFile(path, segments, buildId, symbolSection, symtab?.type === SHT_SYMTAB, debugDirs);
  }

  /**
   * Function symbols (names as in the file, not demangled); empty if the file cannot be read again.
   * A stripped file (only .dynsym) takes the .symtab of its separate debug file, found by build-id,
   * when one is installed: its addresses are the same link-time ones.
   */
  get symbols(): SymbolTable {
    this.table ??= (!this.hasSymtab && this.debugFile()?.symbols) || this.readSymbols();
    return this.table;
  }

  /** The separate debug file with this file's build-id and a .symtab, if one is installed. */
  private debugFile(): ElfFile | undefined {
    if (this.buildId.length < 4) return undefined;
    for (const dir of this.debugDirs) {
      const debug = ElfFile.open(`${dir}/.build-id/${this.buildId.slice(0, 2)}/${this.buildId.slice(2)}.debug`);
      if (debug?.buildId === this.buildId && debug.hasSymtab) return debug;
    }
    return undefined;
  }

  private readSymbols(): SymbolTable {
    const s = this.symbolSection;
    if (!s) return new SymbolTable([]);
    const entries: { addr: bigint; size: bigint; name: string }[] = [];
    try {
      withFile(this.path, (read) => {
        const syms = read(s.offset, Number(s.size));
        const strs = read(s.strOffset, Number(s.strSize));
        const entsize = Number(s.entsize) || 24;
        for (let o = 0; o + 24 <= syms.length; o += entsize) {
          const type = syms[o + 4]! & 0xf;
          const shndx = syms.readUInt16LE(o + 6);
          if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || shndx === 0) continue;
          const value = syms.readBigUInt64LE(o + 8);
          if (value === 0n) continue;
          const nameOff = syms.readUInt32LE(o);
          const end = strs.indexOf(0, nameOff);
          entries.push({ addr: value, size: syms.readBigUInt64LE(o + 16), name: strs.toString('utf8', nameOff, end < 0 ? undefined : end) });
        }
      });
    } catch {
      // Replaced or removed since it was opened: its frames stay unnamed.
    }
    return new SymbolTable(entries);
  }

  /** Link-time virtual address of a file offset, via the PT_LOAD segment holding it. */
  fileOffsetToVaddr(off: bigint): bigint | undefined {
    for (const s of this.segments) {
      if (off >= s.offset && off < s.offset + s.filesz) return off - s.offset + s.vaddr;
    }
    return undefined;
  }
}

/** ELF files parsed once (per device, inode and mtime) and shared by every process that maps them. */
export class ElfCache {
  private readonly files = new Map<string, ElfFile | undefined>();

  /** `debugDirs`: roots of separate debug files by build-id (see ElfFile.open). */
  constructor(private readonly debugDirs: readonly string[] = DEFAULT_DEBUG_DIRS) {}

  get(path: string): ElfFile | undefined {
    let key: string;
    try {
      const st = statSync(path);
      key = `${st.dev}:${st.ino}:${st.mtimeMs}`;
    } catch {
      return undefined;
    }
    if (!this.files.has(key)) this.files.set(key, ElfFile.open(path, this.debugDirs));
    return this.files.get(key);
  }
}

/** A file-backed (or anonymous) executable mapping of one process, or the kernel. */
export interface MappingInfo {
  /** Unique within a Symbolizer: `${tgid}:${start}` for user mappings, "kernel" for the kernel. */
  key: string;
  start: bigint;
  end: bigint;
  /** File offset of `start`. */
  fileOffset: bigint;
  /** Path as the process sees it ("" for anonymous memory), or "[kernel.kallsyms]". */
  path: string;
  /** Lowercase hex; "" when unknown (or not read yet: it is filled in when a frame resolves in it). */
  buildId: string;
}

/** What one frame resolved to. */
export interface ResolvedFrame {
  /** Function name (C++ demangled), or "file+0xOFFSET" / "build-id:ID+0xOFFSET" / "0xADDR" when it could not be named. */
  name: string;
  /** The symbol as the symbol table spells it (mangled); equal to `name` when not from an ELF symbol. */
  systemName: string;
  /** The runtime address of the frame; for a (build-id, offset) frame whose file is not mapped, the file offset. */
  address: bigint;
  mapping: MappingInfo | undefined;
  /** Offset in mapping.path of the instruction looked up (a caller's return address - 1); undefined for anonymous memory and the kernel. */
  fileOffset: bigint | undefined;
}

export type Demangler = (name: string) => string;

const hex = (a: bigint) => '0x' + a.toString(16);

interface ProcessMapping {
  entry: MapEntry;
  info: MappingInfo;
  /** Resolved on first use: undefined = not yet, null = not an ELF we can read. */
  elf?: ElfFile | null;
}

const isFileBacked = (e: MapEntry) => e.inode !== 0 && e.path.startsWith('/');

/**
 * The executable mappings of one process (read from /proc/PID/maps while it is alive), its perf
 * map, and every frame resolved so far, each resolved once.
 */
export class ProcessSymbolizer {
  private mappings: ProcessMapping[] = [];
  private loadedAt = 0;
  private perfMap: SymbolTable | null | undefined;
  private readonly frames = new Map<bigint | string, ResolvedFrame>();

  constructor(
    readonly pid: number,
    private readonly elves: ElfCache,
    private readonly demangle: Demangler = addonDemangle,
    private readonly procRoot = '/proc',
  ) {
    this.reload();
  }

  /** Re-reads /proc/PID/maps (after a dlopen, say); keeps the old mappings if the process is gone. */
  reload(): void {
    this.loadedAt = performance.now();
    let text: string;
    try {
      text = readFileSync(`${this.procRoot}/${this.pid}/maps`, 'utf8');
    } catch {
      return;
    }
    this.mappings = parseProcMaps(text)
      .filter((e) => e.perms.includes('x'))
      .map((entry) => ({
        entry,
        info: { key: `${this.pid}:${entry.start}`, start: entry.start, end: entry.end, fileOffset: entry.offset, path: entry.path, buildId: '' },
      }));
  }

  /** At most once a second per process, so garbage addresses do not re-read maps every drain. */
  reloadIfStale(): void {
    if (performance.now() - this.loadedAt >= 1000) this.reload();
  }

  /** Whether addr lies in one of the mappings read so far. */
  covers(addr: bigint): boolean {
    return this.find(addr) !== undefined;
  }

  /** `isReturnAddress`: a caller's frame, so the call instruction is at addr - 1. */
  lookup(addr: bigint, isReturnAddress: boolean): ResolvedFrame {
    const key = isReturnAddress ? -addr : addr;
    let f = this.frames.get(key);
    if (!f) {
      f = this.resolve(addr, isReturnAddress);
      this.frames.set(key, f);
    }
    return f;
  }

  /** A frame as the kernel's build-id mode reports it: `buildId` in the kernel's 20-byte form (hex), offset in that file. */
  lookupBuildId(buildId: string, fileOffset: bigint, isReturnAddress: boolean): ResolvedFrame {
    const key = `${buildId}:${fileOffset}:${isReturnAddress ? 1 : 0}`;
    let f = this.frames.get(key);
    if (!f) {
      f = this.resolveBuildId(buildId, fileOffset, isReturnAddress);
      this.frames.set(key, f);
    }
    return f;
  }

  /** Just the name of lookup(). */
  symbolize(addr: bigint, isReturnAddress: boolean): string {
    return this.lookup(addr, isReturnAddress).name;
  }

  private find(addr: bigint): ProcessMapping | undefined {
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

  private elfOf(m: ProcessMapping): ElfFile | null {
    if (m.elf === undefined) {
      // /proc/PID/root/... reaches files inside the process's mount namespace (containers).
      m.elf = this.elves.get(`${this.procRoot}/${this.pid}/root${m.entry.path}`) ?? this.elves.get(m.entry.path) ?? null;
      m.info.buildId = m.elf?.buildId ?? '';
    }
    return m.elf;
  }

  /** Names file offset `off` of mapping m's file (whose ELF is known). */
  private named(m: ProcessMapping, elf: ElfFile | null, off: bigint, address: bigint): ResolvedFrame {
    const vaddr = elf?.fileOffsetToVaddr(off);
    const symbol = vaddr === undefined ? undefined : elf!.symbols.lookup(vaddr, 0n);
    if (symbol === undefined) {
      const name = `${basename(m.entry.path)}+${hex(off)}`;
      return { name, systemName: name, address, mapping: m.info, fileOffset: off };
    }
    return { name: symbol.startsWith('_Z') ? this.demangle(symbol) : symbol, systemName: symbol, address, mapping: m.info, fileOffset: off };
  }

  private resolve(addr: bigint, isReturnAddress: boolean): ResolvedFrame {
    const a = isReturnAddress && addr > 0n ? addr - 1n : addr;
    const m = this.find(a);
    if (!m || !isFileBacked(m.entry)) {
      const name = this.perfMapLookup(a) ?? (m?.entry.path ? `${m.entry.path}+${hex(a - m.entry.start)}` : hex(addr));
      return { name, systemName: name, address: addr, mapping: m?.info, fileOffset: undefined };
    }
    return this.named(m, this.elfOf(m), a - m.entry.start + m.entry.offset, addr);
  }

  private resolveBuildId(buildId: string, fileOffset: bigint, isReturnAddress: boolean): ResolvedFrame {
    const off = isReturnAddress && fileOffset > 0n ? fileOffset - 1n : fileOffset;
    let m = this.findByBuildId(buildId, fileOffset);
    if (!m) {
      this.reloadIfStale();
      m = this.findByBuildId(buildId, fileOffset);
    }
    if (!m) {
      const name = `build-id:${buildId}+${hex(off)}`;
      return { name, systemName: name, address: fileOffset, mapping: undefined, fileOffset: off };
    }
    const address = m.entry.start + (fileOffset - m.entry.offset);
    return this.named(m, this.elfOf(m), off, address);
  }

  /** The mapping whose file has this build-id, preferring the one that maps fileOffset. */
  private findByBuildId(buildId: string, fileOffset: bigint): ProcessMapping | undefined {
    let any: ProcessMapping | undefined;
    for (const m of this.mappings) {
      if (!isFileBacked(m.entry)) continue;
      const elf = this.elfOf(m);
      if (!elf?.buildId || kernelFormBuildId(elf.buildId) !== buildId) continue;
      if (fileOffset >= m.entry.offset && fileOffset < m.entry.offset + (m.entry.end - m.entry.start)) return m;
      any ??= m;
    }
    return any;
  }

  private perfMapLookup(addr: bigint): string | undefined {
    if (this.perfMap === undefined) {
      this.perfMap = null;
      try {
        const entries: { addr: bigint; size: bigint; name: string }[] = [];
        for (const line of readFileSync(`/tmp/perf-${this.pid}.map`, 'utf8').split('\n')) {
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

/** Kernel text symbols from /proc/kallsyms (all addresses read as 0 without CAP_SYSLOG). */
export class KernelSymbolizer {
  private readonly table: SymbolTable;

  constructor(kallsyms?: string) {
    const text = kallsyms ?? readFileSync('/proc/kallsyms', 'utf8');
    const entries: { addr: bigint; size: bigint; name: string }[] = [];
    for (const line of text.split('\n')) {
      const m = /^([0-9a-f]+) ([tTwW]) (\S+)/.exec(line);
      if (!m) continue;
      const addr = BigInt('0x' + m[1]);
      if (addr !== 0n) entries.push({ addr, size: 0n, name: m[3]! });
    }
    this.table = new SymbolTable(entries);
  }

  get size(): number {
    return this.table.size;
  }

  symbolize(addr: bigint, isReturnAddress: boolean): string {
    const a = isReturnAddress && addr > 0n ? addr - 1n : addr;
    const name = this.table.lookup(a);
    if (name) return name;
    // x86-64 module space, where BPF JIT images live too: a frame of a module or BPF program
    // unloaded since the sample (e.g. another tracer that has stopped) has no kallsyms entry left.
    if (a >= MODULE_SPACE_START && a < MODULE_SPACE_END) return `[unloaded module or bpf]+${hex(addr)}`;
    return hex(addr);
  }
}

const MODULE_SPACE_START = 0xffffffffa0000000n;
const MODULE_SPACE_END = 0xffffffffff000000n;
/** Kernel text lives in the upper half of the x86-64 / arm64 address space. */
const KERNEL_MAPPING_START = 0xffff800000000000n;
const KERNEL_MAPPING_END = 0xffffffffffffffffn;

/** Status of a user frame in build-id mode (the kernel's enum bpf_stack_build_id_status). */
export const BUILD_ID_FRAME = { empty: 0, valid: 1, ip: 2 } as const;
export const BUILD_ID_SIZE = 20;

/** A user stack as drained: addresses, or in build-id mode (build-id, file offset) pairs where the kernel found them. */
export interface UserStack {
  tgid: number;
  /** Leaf first. Addresses; in build-id mode, file offsets where userFrameStatus[i] is valid. */
  userFrames: BigUint64Array;
  /** Build-id mode only: 20 bytes per frame. */
  userBuildIds?: Uint8Array;
  /** Build-id mode only: BUILD_ID_FRAME.valid (build-id + offset) or .ip (the kernel fell back to the address). */
  userFrameStatus?: Uint8Array;
}

/**
 * Frames of many processes and the kernel, each distinct (process, address) resolved once.
 * Snapshot a process (observe) while it is alive, right after a drain; naming can come later.
 */
export class Symbolizer {
  private readonly processes = new Map<number, ProcessSymbolizer>();
  private readonly elves: ElfCache;
  private kernelSymbols: KernelSymbolizer | undefined;
  private readonly kernelFrames = new Map<bigint, ResolvedFrame>();
  private kernelInfo: MappingInfo | undefined;
  private readonly demangle: Demangler;
  private readonly procRoot: string;

  /** `debugDirs`: roots of separate debug files by build-id (default /usr/lib/debug). */
  constructor(opts: { procRoot?: string; demangle?: Demangler; debugDirs?: readonly string[] } = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.demangle = opts.demangle ?? addonDemangle;
    this.elves = new ElfCache(opts.debugDirs);
  }

  process(tgid: number): ProcessSymbolizer {
    let p = this.processes.get(tgid);
    if (!p) {
      p = new ProcessSymbolizer(tgid, this.elves, this.demangle, this.procRoot);
      this.processes.set(tgid, p);
    }
    return p;
  }

  /** Reads the mappings of a process the first time it is seen, or again when `addr` falls in none of them. */
  observe(tgid: number, addr: bigint | undefined): void {
    const p = this.processes.get(tgid);
    if (!p) this.process(tgid);
    else if (addr !== undefined && !p.covers(addr)) p.reloadIfStale();
  }

  /** `isReturnAddress`: a caller's frame, so the call instruction is at addr - 1. */
  user(tgid: number, addr: bigint, isReturnAddress: boolean): ResolvedFrame {
    return this.process(tgid).lookup(addr, isReturnAddress);
  }

  /** `buildId`: the kernel's 20-byte form, in hex (see kernelFormBuildId). */
  userBuildId(tgid: number, buildId: string, fileOffset: bigint, isReturnAddress: boolean): ResolvedFrame {
    return this.process(tgid).lookupBuildId(buildId, fileOffset, isReturnAddress);
  }

  /** User frame i of a drained stack, in either user-stack mode. */
  userFrame(s: UserStack, i: number): ResolvedFrame {
    const isReturnAddress = i > 0;
    if (s.userFrameStatus?.[i] === BUILD_ID_FRAME.valid) {
      const id = Buffer.from(s.userBuildIds!.buffer, s.userBuildIds!.byteOffset + i * BUILD_ID_SIZE, BUILD_ID_SIZE).toString('hex');
      return this.userBuildId(s.tgid, id, s.userFrames[i]!, isReturnAddress);
    }
    return this.user(s.tgid, s.userFrames[i]!, isReturnAddress);
  }

  /** The first user frame that is an address (to check the snapshot of the process's mappings), if any. */
  static firstAddress(s: UserStack): bigint | undefined {
    if (!s.userFrameStatus) return s.userFrames[0];
    const i = s.userFrameStatus.indexOf(BUILD_ID_FRAME.ip);
    return i < 0 ? undefined : s.userFrames[i];
  }

  kernel(addr: bigint, isReturnAddress: boolean): ResolvedFrame {
    const key = isReturnAddress ? -addr : addr;
    let frame = this.kernelFrames.get(key);
    if (!frame) {
      this.kernelSymbols ??= new KernelSymbolizer();
      const name = this.kernelSymbols.symbolize(addr, isReturnAddress);
      frame = { name, systemName: name, address: addr, mapping: this.kernelMapping(), fileOffset: undefined };
      this.kernelFrames.set(key, frame);
    }
    return frame;
  }

  kernelMapping(): MappingInfo {
    this.kernelInfo ??= { key: 'kernel', start: KERNEL_MAPPING_START, end: KERNEL_MAPPING_END, fileOffset: 0n, path: '[kernel.kallsyms]', buildId: kernelBuildId() ?? '' };
    return this.kernelInfo;
  }
}
